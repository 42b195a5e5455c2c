"""Whole command-line output pinned as snapshots: the exit code and stdout, with what varies between runs normalised.

On a mismatch the test prints a unified diff; `PCAPS_UPDATE_SNAPSHOTS=1` rewrites the files instead (review the diff
before committing it).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.helpers import Outcome, Run

SNAPSHOTS = Path(__file__).parent / "snapshots"
OWNER, OTHER = "023e105f4ecef8ad9ca31a8372d0c353", "9a7806061c88ada191ed06f989cc3dac"
UPDATE = os.environ.get("PCAPS_UPDATE_SNAPSHOTS") == "1"


def _count(found: re.Match[str]) -> str:
    """`ok 35   ` -> `ok N    `: the same width, so that the table keeps its columns."""
    return f"{found['status']} N".ljust(len(found[0]))


def normalise_check(stdout: str) -> str:
    """The table's counts (they move whenever Hypothesis's constants from the source move), requests, seconds."""
    text = re.sub(r"(?P<status>ok|FAIL) \d+ *", _count, stdout)
    text = re.sub(r"; \d+ requests;", "; N requests;", text)
    text = re.sub(r"\); \d+(\.\d+)?s: ", "); T s: ", text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def normalise_plan(stdout: str, tmp_path: Path) -> str:
    """The temporary directory."""
    return stdout.replace(str(tmp_path), "<tmp>")


def compare(name: str, outcome: Outcome, normalise: Callable[[str], str]) -> None:
    """Compare the exit code and normalised stdout with snapshots/<name>.txt (rewrite it: PCAPS_UPDATE_SNAPSHOTS=1)."""
    actual = f"exit code {outcome.code}\n{normalise(outcome.stdout)}"
    path = SNAPSHOTS / f"{name}.txt"
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"{path} is missing; write it with PCAPS_UPDATE_SNAPSHOTS=1 and review it.", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True), str(path), "this run"
        )
        pytest.fail(
            f"{name}: output differs from its snapshot (PCAPS_UPDATE_SNAPSHOTS=1 rewrites it):\n{''.join(diff)}",
            pytrace=False,
        )


def test_check_of_the_bundled_mock_under_the_ci_profile(run_cli: Run) -> None:
    compare("check_ci", run_cli("check", "--profile", "ci"), normalise_check)


def _plan_with_defaults(run_cli: Run) -> Outcome:
    argv = ["fuzz", "--plan", "--base-url", "https://staging.example.com/client/v4", "--account-id", OWNER]
    outcome = run_cli(*argv, "--token", "a-token-never-printed")
    assert "a-token-never-printed" not in outcome.stdout + outcome.stderr
    return outcome


def test_the_fuzz_plan_with_its_defaults_and_a_drawn_seed(run_cli: Run) -> None:
    outcome = _plan_with_defaults(run_cli)
    assert re.search(r"^seed:        \d+$", outcome.stdout, re.MULTILINE)

    def drawn(stdout: str) -> str:
        stdout = re.sub(r"^seed:        \d+$", "seed:        <drawn>", stdout, flags=re.MULTILINE)
        # The default is pinned by the test below.
        return re.sub(r"^workers:     .*$", "workers:     <default>", stdout, flags=re.MULTILINE)

    compare("fuzz_plan_defaults", outcome, drawn)


def test_the_fuzz_plan_without_workers_shows_how_many_it_will_use(run_cli: Run) -> None:
    assert re.search(r"^workers:     1$", _plan_with_defaults(run_cli).stdout, re.MULTILINE)


def test_the_fuzz_plan_with_every_option_given(run_cli: Run, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text('{"findings": []}', encoding="utf-8")
    argv = ["fuzz", "--plan", "--base-url", "http://127.0.0.1:8787/client/v4", "--account-id", OWNER]
    argv += ["--account-id", OTHER, "--email", "someone@example.com", "--api-key", "a-key-never-printed"]
    argv += ["--duration", "1h30m", "--rate-limit", "300/min", "--workers", "2", "--seed", "42", "--timeout", "5"]
    argv += ["--operation", "list_buckets", "--operation", "delete_bucket", "--max-response-bytes", "4096"]
    argv += ["--report-dir", str(tmp_path / "reports"), "--baseline", str(baseline)]
    outcome = run_cli(*argv)
    assert "a-key-never-printed" not in outcome.stdout + outcome.stderr
    compare("fuzz_plan_every_option", outcome, lambda stdout: normalise_plan(stdout, tmp_path))
