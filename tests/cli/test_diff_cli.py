"""`pcaps-contract diff` end to end: specs from files and from git revisions of a temporary repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pcaps_contract._cli import main
from pcaps_contract.openapi.spec import default_spec_path, working_tree_spec_path

SPEC = "spec/pcaps-ownership.openapi.yaml"
SpecEdit = Callable[[dict[str, Any]], None]  # the `spec_edits` fixture's values
EditFile = Callable[[Path, SpecEdit], None]
Edit = Callable[[str], None]
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


def git(repo: Path, *arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_IDENTITY})


@pytest.fixture
def edit(repo: Path, spec_edits: dict[str, SpecEdit], edit_spec_file: EditFile) -> Edit:
    """Apply one of the shared spec edits (`breaking`, `addition`, ...) to the repository's working tree."""
    return lambda kind: edit_spec_file(repo / SPEC, spec_edits[kind])


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A git repository holding the bundled spec committed on `main`, as the current directory."""
    (tmp_path / "spec").mkdir()
    shutil.copy(default_spec_path(), tmp_path / SPEC)
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    git(tmp_path, "add", SPEC)
    git(tmp_path, "commit", "--quiet", "-m", "spec")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    code = main(["diff", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_base_compares_the_working_tree_with_a_ref_and_exits_1_on_a_breaking_change(
    repo: Path, capsys: pytest.CaptureFixture[str], edit: Edit
) -> None:
    edit("breaking")
    code, out, _ = run(capsys, "--base", "main", "--spec", SPEC)
    assert code == 1
    assert [" ".join(line.split()) for line in out.splitlines()] == [
        "CLASS FOR CHANGE WHERE",
        "breaking response consumers enum value `expired` added to `status` [add_bucket, list_buckets, validate_bucket]"
        " /components/schemas/OwnershipStatus/enum",
        "",
        f"main:{SPEC} -> {SPEC}: 1 breaking, 0 non-breaking",
    ]
    assert out.index("WHERE") == out.index("/components/schemas/OwnershipStatus/enum") - out.index("breaking ")


def test_allow_breaking_reports_the_change_and_exits_0(
    repo: Path, capsys: pytest.CaptureFixture[str], edit: Edit
) -> None:
    edit("breaking")
    code, out, _ = run(capsys, "--base", "main", "--spec", SPEC, "--allow-breaking")
    assert code == 0
    assert out.endswith("1 breaking, 0 non-breaking\n")


def test_a_non_breaking_change_exits_0(repo: Path, capsys: pytest.CaptureFixture[str], edit: Edit) -> None:
    edit("addition")
    code, out, _ = run(capsys, "main", "--spec", SPEC)
    assert code == 0
    assert "non-breaking  response consumers  response field `region` added" in out


def test_two_bare_revisions_compare_the_spec_at_each(
    repo: Path, capsys: pytest.CaptureFixture[str], edit: Edit
) -> None:
    git(repo, "checkout", "--quiet", "-b", "feature")
    edit("breaking")
    git(repo, "commit", "--quiet", "-am", "expired status")
    git(repo, "checkout", "--quiet", "main")
    code, out, _ = run(capsys, "main", "feature", "--spec", SPEC)
    assert code == 1
    assert out.splitlines()[-1] == f"main:{SPEC} -> feature:{SPEC}: 1 breaking, 0 non-breaking"


def test_rev_colon_path_and_a_plain_file_can_be_mixed(
    repo: Path, capsys: pytest.CaptureFixture[str], edit: Edit
) -> None:
    edit("breaking")
    code, out, _ = run(capsys, f"HEAD:{SPEC}", SPEC)
    assert code == 1
    assert out.splitlines()[-1] == f"HEAD:{SPEC} -> {SPEC}: 1 breaking, 0 non-breaking"


def test_unchanged_spec_reports_no_changes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--base", "main", "--spec", SPEC)
    assert (code, out) == (0, f"main:{SPEC} -> {SPEC}: no changes\n")


def test_json_output_has_stable_documented_keys(repo: Path, capsys: pytest.CaptureFixture[str], edit: Edit) -> None:
    edit("breaking")
    code, out, _ = run(capsys, "--base", "main", "--spec", SPEC, "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "old": f"main:{SPEC}",
        "new": SPEC,
        "breaking": 1,
        "non_breaking": 0,
        "changes": [
            {
                "class": "breaking",
                "audience": "response consumers",
                "rule": "response-enum-value-added",
                "description": "enum value `expired` added to `status`",
                "location": "/components/schemas/OwnershipStatus/enum",
                "spec": "new",
                "operations": ["add_bucket", "list_buckets", "validate_bucket"],
            }
        ],
    }


def test_markdown_output_is_a_pull_request_comment(repo: Path, capsys: pytest.CaptureFixture[str], edit: Edit) -> None:
    edit("breaking")
    code, out, _ = run(capsys, "--base", "main", "--spec", SPEC, "--format", "markdown")
    assert code == 1
    assert out.splitlines() == [
        f"### API contract: `main:{SPEC}` → `{SPEC}`",
        "",
        "**1 breaking, 0 non-breaking**",
        "",
        "| | change | for | where | operations |",
        "|---|---|---|---|---|",
        "| ❌ breaking | enum value `expired` added to `status` | response consumers "
        "| `/components/schemas/OwnershipStatus/enum` | add_bucket, list_buckets, validate_bucket |",
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("no-such-rev", "--spec", SPEC), "`no-such-rev` is neither a file nor a git revision"),
        (("main:spec/missing.yaml", SPEC), "`main:spec/missing.yaml` cannot be read from git"),
        (("broken", "--spec", SPEC), "broken:spec/pcaps-ownership.openapi.yaml is not valid YAML or JSON"),
        (("invalid", "--spec", SPEC), "invalid:spec/pcaps-ownership.openapi.yaml is not valid OpenAPI 3.1.0"),
        (("--base", "main", "main"), "give either --base REF or OLD [NEW], not both."),
        ((), "nothing to compare"),
        (("main", "--spec", "elsewhere/spec.yaml"), "is not a directory"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], arguments: tuple[str, ...], message: str
) -> None:
    for branch, text in (("broken", "paths: [unclosed\n"), ("invalid", "info: {title: t, version: '1'}\npaths: 7\n")):
        git(repo, "checkout", "--quiet", "-b", branch, "main")
        (repo / SPEC).write_text(f"openapi: 3.1.0\n{text}")
        git(repo, "commit", "--quiet", "-am", f"{branch} spec")
    git(repo, "checkout", "--quiet", "main")
    code, out, err = run(capsys, *arguments)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err
    assert len(err.splitlines()) == 1


def test_outside_a_git_repository_a_revision_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(default_spec_path(), tmp_path / "spec.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, _, err = run(capsys, "main", "--spec", "spec.yaml")
    assert code == 2
    assert "is not inside a git repository" in err


def test_without_spec_a_revision_means_the_spec_of_the_working_tree_around_the_current_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], edit: Edit
) -> None:
    edit("breaking")
    (repo / "deeper" / "still").mkdir(parents=True)
    monkeypatch.chdir(repo / "deeper" / "still")
    code, out, err = run(capsys, "--base", "main")
    assert (code, err) == (1, "")
    assert "main:spec/pcaps-ownership.openapi.yaml" in out
    assert "breaking" in out


def test_the_search_for_a_working_tree_spec_stops_at_the_repository_top(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    shutil.copy(default_spec_path(), tmp_path / SPEC)
    inner = tmp_path / "other-repository" / "src"
    inner.mkdir(parents=True)
    (tmp_path / "other-repository" / ".git").mkdir()
    assert working_tree_spec_path(inner) == default_spec_path()
    assert working_tree_spec_path(tmp_path / "other-repository" / "..") == (tmp_path / SPEC).resolve()


def test_the_installed_command_runs_diff_as_a_user_would(repo: Path, edit: Edit) -> None:
    edit("breaking")
    done = subprocess.run(
        [sys.executable, "-m", "pcaps_contract", "diff", "--base", "main", "--spec", SPEC, "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["breaking"] == 1
