"""A mistyped command, option or choice: exit 2 with one sentence naming the closest valid one, and never a value
typed on the command line echoed (it may be a secret)."""

from __future__ import annotations

import contextlib
import difflib
import io
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pcaps_contract._cli import build_parser, main

SECRET = "tok-3f9a1c0d7e5b42a8b6c1d9e0f7a2b4c6"
COMMANDS = ["lint", "check", "compare", "diff", "fuzz", "proxy", "verify", "mock", "generate"]
# What a command cannot go without: argparse says that first, before anything it did not recognise.
REQUIRED = {"verify": ["traffic.har"], "proxy": ["--upstream", "http://127.0.0.1:9/client/v4"]}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pcaps_contract", *args], capture_output=True, text=True, timeout=60)


def refused(argv: list[str]) -> str:
    """What the command line says, in-process, when it refuses `argv` (it must: exit 2)."""
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout), pytest.raises(SystemExit) as ended:
        main(argv)
    assert ended.value.code == 2, stdout.getvalue() + stderr.getvalue()
    assert stdout.getvalue() == ""
    return stderr.getvalue()


def options_of(command: str) -> list[str]:
    parser = build_parser()
    commands = next(action for action in parser._actions if action.dest == "==SUPPRESS==" and action.choices)
    sub = commands.choices[command]  # type: ignore[index]
    return [name for action in sub._actions for name in action.option_strings if name.startswith("--")]


def test_a_mistyped_command_names_the_closest_one() -> None:
    done = run("chek")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "error: pcaps-contract: unknown command (did you mean check?); see `pcaps-contract --help`.\n"
    )


@pytest.mark.parametrize("argv", [[SECRET], ["--token", SECRET, "check"]])
def test_a_command_like_no_other_lists_them_all_without_echoing_it(argv: list[str]) -> None:
    stderr = refused(argv)  # an option before the command: its value is read as the command
    assert SECRET not in stderr and SECRET[:8] not in stderr
    assert stderr == (
        "error: pcaps-contract: unknown command (choose from lint, check, compare, diff, fuzz, proxy, verify, mock, "
        "generate); see `pcaps-contract --help`.\n"
    )


def test_a_mistyped_option_names_the_closest_option_of_its_command() -> None:
    done = run("check", "--acount-id", "023e105f4ecef8ad9ca31a8372d0c353")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "error: pcaps-contract check: unrecognized arguments: --acount-id (did you mean --account-id?), "
        "1 value(s) (not shown); see `pcaps-contract check --help`.\n"
    )


@pytest.mark.parametrize("argv", [["--tokn", SECRET], [f"--tokn={SECRET}"], ["--tokn", SECRET, "--acount-id", SECRET]])
def test_a_mistyped_secret_option_never_shows_its_value(argv: list[str]) -> None:
    stderr = refused(["check", *argv])
    assert SECRET not in stderr and SECRET[:8] not in stderr
    assert "--tokn (did you mean --token?)" in stderr
    assert stderr.count("\n") == 1


def test_a_mistyped_choice_names_the_closest_choice_without_echoing_the_value() -> None:
    stderr = refused(["diff", "--format", "tabel"])
    assert stderr == (
        "error: pcaps-contract diff: argument --format: invalid choice (did you mean table?); "
        "see `pcaps-contract diff --help`.\n"
    )


def test_a_mistyped_top_level_option_names_the_closest_one() -> None:
    assert "--verison (did you mean --version?)" in refused(["--verison"])


def _edits(word: str) -> st.SearchStrategy[str]:
    """`word` with one character of its name (after the dashes) deleted, replaced, inserted or swapped."""
    letters = st.sampled_from("abcdefghijklmnopqrstuvwxyz-")
    name_at = st.integers(2, len(word) - 1)

    def delete(at: int) -> str:
        return word[:at] + word[at + 1 :]

    def replace(at: int, letter: str) -> str:
        return word[:at] + letter + word[at + 1 :]

    def insert(at: int, letter: str) -> str:
        return word[:at] + letter + word[at:]

    def swap(at: int) -> str:
        at = min(at, len(word) - 2)
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]

    return st.one_of(
        name_at.map(delete),
        st.builds(replace, name_at, letters),
        st.builds(insert, name_at, letters),
        name_at.map(swap),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), command=st.sampled_from(COMMANDS), with_value=st.booleans())
def test_any_near_miss_of_an_option_is_refused_naming_the_closest_option_and_never_its_value(
    data: st.DataObject, command: str, with_value: bool
) -> None:
    options = options_of(command)
    option = data.draw(st.sampled_from(options))
    typed = data.draw(_edits(option))
    # argparse takes a unique prefix of an option as the option: only what it cannot read is a near miss here
    assume(len(typed) > 2 and typed.startswith("--") and not any(valid.startswith(typed) for valid in options))
    argv = [command, *REQUIRED.get(command, []), f"{typed}={SECRET}" if with_value else typed]

    stderr = refused(argv)

    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert SECRET not in stderr
    assert stderr.startswith(f"error: pcaps-contract {command}: unrecognized arguments: {typed} (did you mean ")
    suggested = re.search(r"\(did you mean (\S+)\?\)", stderr)
    assert suggested is not None and suggested[1] in options
    # the one suggested is at least as close to what was typed as the option it was typed from
    closeness = difflib.SequenceMatcher(None, typed, suggested[1]).ratio()
    assert closeness >= difflib.SequenceMatcher(None, typed, option).ratio() - 1e-9


def test_a_prefix_of_several_options_names_them_and_never_the_value_glued_to_it() -> None:
    stderr = refused(["check", f"--a={SECRET}"])
    assert SECRET not in stderr and SECRET[:8] not in stderr
    assert stderr.startswith("error: pcaps-contract check: ambiguous option: --a could match --app, --account-id")


def test_a_value_with_spaces_is_counted_as_one_and_none_of_it_shown() -> None:
    stderr = refused(["check", "--tokn", f"{SECRET} -x {SECRET}"])
    assert SECRET not in stderr and "-x" not in stderr
    assert "--tokn (did you mean --token?), 1 value(s) (not shown)" in stderr
