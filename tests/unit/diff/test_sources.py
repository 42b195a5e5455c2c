"""Where `diff` reads a spec (`_diff.sources`): a file, `REV:path` or a bare revision, each validated first.

The git cases run git on a repository made in a temporary folder (no network), with one commit of the spec
and a different working-tree copy, so that a test can tell which of the two it read.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcaps_contract._errors import SpecError
from pcaps_contract.diff.sources import checked, load_source, load_working_tree
from pcaps_contract.openapi.spec import SPEC_FILENAME, default_spec_path, read_document, working_tree_spec_path

SpecEdit = Callable[[dict[str, Any]], None]
EditFile = Callable[[Path, SpecEdit], None]


def _git(where: Path, *arguments: str) -> None:
    identity = ["-c", "user.name=pcaps", "-c", "user.email=pcaps@example.com", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", *identity, *arguments], cwd=where, check=True, capture_output=True)


@pytest.fixture
def repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec_edits: dict[str, SpecEdit], edit_spec_file: EditFile
) -> Path:
    """A repository whose HEAD holds the bundled spec at spec/api.yaml; the working tree adds a status."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never the repository tmp_path may sit in
    root = tmp_path / "repo"
    (root / "spec").mkdir(parents=True)
    shutil.copy(default_spec_path(), root / "spec" / "api.yaml")
    _git(root, "init", "--quiet")
    _git(root, "add", "spec/api.yaml")
    _git(root, "commit", "--quiet", "-m", "spec")
    edit_spec_file(root / "spec" / "api.yaml", spec_edits["breaking"])
    return root


def _statuses(document: dict[str, Any]) -> list[str]:
    statuses: list[str] = document["components"]["schemas"]["OwnershipStatus"]["enum"]
    return statuses


COMMITTED = ["pending", "success", "failed"]
WORKING = [*COMMITTED, "expired"]


def test_an_existing_file_is_read_under_the_name_it_was_given(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)

    source = load_source("spec/api.yaml", repo / "spec" / "api.yaml")

    assert source.label == "spec/api.yaml"
    assert _statuses(source.document) == WORKING


def test_rev_colon_path_reads_the_file_at_that_revision_relative_to_the_repository_top(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "spec")

    source = load_source("HEAD:spec/api.yaml", repo / "spec" / "api.yaml")

    assert (source.label, _statuses(source.document)) == ("HEAD:spec/api.yaml", COMMITTED)


def test_rev_colon_dot_slash_path_is_relative_to_the_current_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "spec")

    assert _statuses(load_source("HEAD:./api.yaml", repo / "spec" / "api.yaml").document) == COMMITTED


def test_a_bare_revision_means_the_working_tree_spec_as_it_was_then(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # anywhere: the revision is looked up in the spec's own repository

    source = load_source("HEAD", repo / "spec" / "api.yaml")

    assert (source.label, _statuses(source.document)) == ("HEAD:spec/api.yaml", COMMITTED)


def test_a_name_that_is_neither_a_file_nor_a_revision_says_what_may_be_given(repo: Path) -> None:
    with pytest.raises(
        SpecError, match=r"`no-such-branch` is neither a file nor a git revision of .*`REV:path` or `REV`"
    ):
        load_source("no-such-branch", repo / "spec" / "api.yaml")


def test_rev_colon_with_nothing_after_it_is_refused(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)

    with pytest.raises(SpecError, match=r"`HEAD:` is neither a file nor `REV:path`"):
        load_source("HEAD:", repo / "spec" / "api.yaml")


def test_a_path_the_revision_does_not_hold_gives_gits_reason(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)

    with pytest.raises(SpecError, match=r"`HEAD:spec/gone.yaml` cannot be read from git \(.*gone.yaml.*\); check"):
        load_source("HEAD:spec/gone.yaml", repo / "spec" / "api.yaml")


@pytest.mark.subprocess  # git, asked where the repository is
def test_outside_a_repository_a_revision_cannot_be_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "plain").mkdir()
    shutil.copy(default_spec_path(), tmp_path / "plain" / "api.yaml")

    with pytest.raises(SpecError, match=r"is not inside a git repository, so .* pass spec files instead"):
        load_source("HEAD", tmp_path / "plain" / "api.yaml")


def test_without_git_installed_a_revision_cannot_be_read(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("PATH", str(repo / "no-bin"))

    with pytest.raises(SpecError, match=r"git is not installed, so `HEAD:spec/api.yaml` cannot be read"):
        load_source("HEAD:spec/api.yaml", repo / "spec" / "api.yaml")


def test_a_spec_at_a_revision_is_validated_before_anything_compares_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "spec" / "broken.yaml").write_text("openapi: 3.1.0\npaths: {}\n")  # no `info`
    _git(repo, "add", "spec/broken.yaml")
    _git(repo, "commit", "--quiet", "-m", "broken")
    monkeypatch.chdir(repo)

    with pytest.raises(SpecError, match=r"HEAD:spec/broken.yaml is .*run `pcaps-contract lint` on it"):
        load_source("HEAD:spec/broken.yaml", repo / "spec" / "api.yaml")


def test_the_working_tree_spec_is_labelled_relative_to_the_current_directory_when_below_it(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec = repo / "spec" / "api.yaml"
    monkeypatch.chdir(repo)
    assert load_working_tree(spec).label == "spec/api.yaml"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    assert load_working_tree(spec).label == str(spec)


def test_checked_refuses_a_document_that_is_not_openapi_3() -> None:
    document = read_document(default_spec_path())
    assert checked(document, "spec.yaml") is document

    with pytest.raises(SpecError, match=r"swagger.yaml is not an OpenAPI 3 document"):
        checked({"swagger": "2.0", "info": {}, "paths": {}}, "swagger.yaml")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    depth=st.integers(min_value=0, max_value=5),
    spec_at=st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
    git_at=st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
)
def test_the_working_tree_spec_is_the_nearest_spec_folder_above_the_current_one_up_to_the_repository_top(
    tmp_path_factory: pytest.TempPathFactory, depth: int, spec_at: int | None, git_at: int | None
) -> None:
    """Folders 0 (the top of the layout) to `depth` (the current folder): a `spec/` at level `spec_at` and a `.git`
    at level `git_at`; the search goes up from the current folder and stops after the first folder with `.git`."""
    top = tmp_path_factory.mktemp("layout")
    levels = [top]
    for level in range(1, depth + 1):
        levels.append(levels[-1] / f"level{level}")
    levels[-1].mkdir(parents=True, exist_ok=True)
    if spec_at is not None and spec_at <= depth:
        (levels[spec_at] / "spec").mkdir()
        shutil.copy(default_spec_path(), levels[spec_at] / "spec" / SPEC_FILENAME)
    if git_at is not None and git_at <= depth:
        (levels[git_at] / ".git").mkdir()

    found = working_tree_spec_path(levels[-1])

    if spec_at is None or spec_at > depth or (git_at is not None and spec_at < git_at <= depth):
        assert found == default_spec_path()  # no spec, or one beyond the repository's top
    else:
        assert found == (levels[spec_at] / "spec" / SPEC_FILENAME).resolve()
