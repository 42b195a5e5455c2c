"""The client's release record (`_diff.release`): the recorded spec, the version in the config, CHANGELOG.md."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcaps_contract._errors import SpecError, UsageError
from pcaps_contract.diff import release
from pcaps_contract.openapi.spec import default_spec_path

SpecEdit = Callable[[dict[str, Any]], None]
EditFile = Callable[[Path, SpecEdit], None]


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.yaml"
    shutil.copy(default_spec_path(), path)
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "client-config.yaml"
    path.write_text('# the client\npackage_version_override: "0.4.1"  # bumped by generate\npost_hooks: []\n')
    return path


@pytest.fixture
def output(tmp_path: Path) -> Path:
    path = tmp_path / "generated"
    path.mkdir()
    return path


def test_with_nothing_recorded_the_plan_is_a_first_release_at_the_configured_version(
    spec: Path, config: Path, output: Path
) -> None:
    planned = release.plan(spec, output, config)

    assert planned.first and (planned.old_version, planned.new_version) == ("0.4.1", "0.4.1")
    assert planned.changes == [] and planned.level == "none"
    assert planned.entry == "## 0.4.1\n\nFirst recorded generation.\n"


@pytest.mark.parametrize(
    ("edit", "version", "level"),
    [("breaking", "1.0.0", "major"), ("addition", "0.5.0", "minor"), ("documentation", "0.4.2", "patch")],
)
def test_the_plan_bumps_the_version_the_changes_since_the_recorded_spec_call_for(
    spec: Path,
    config: Path,
    output: Path,
    spec_edits: dict[str, SpecEdit],
    edit_spec_file: EditFile,
    edit: str,
    version: str,
    level: str,
) -> None:
    release.record(spec, output, "")
    edit_spec_file(spec, spec_edits[edit])

    planned = release.plan(spec, output, config)

    assert (planned.first, planned.new_version, planned.level) == (False, version, level)
    assert planned.entry.startswith(f"## {version}\n")


def test_an_unchanged_spec_plans_no_release(spec: Path, config: Path, output: Path) -> None:
    release.record(spec, output, "")

    planned = release.plan(spec, output, config)

    assert (planned.new_version, planned.entry, planned.changes) == ("0.4.1", "", [])


def test_stale_is_none_without_a_record_empty_when_current_and_the_changes_otherwise(
    spec: Path, output: Path, spec_edits: dict[str, SpecEdit], edit_spec_file: EditFile
) -> None:
    assert release.stale(spec, output) is None
    release.record(spec, output, "")
    assert release.stale(spec, output) == []
    edit_spec_file(spec, spec_edits["breaking"])

    behind = release.stale(spec, output)

    assert behind is not None and [change.breaking for change in behind] == [True]


def test_a_recorded_spec_that_is_not_valid_openapi_is_refused_naming_it(spec: Path, output: Path) -> None:
    (output / release.SNAPSHOT_FILENAME).write_text("openapi: 3.1.0\npaths: {}\n")  # no `info`

    with pytest.raises(SpecError, match=r"spec\.openapi\.yaml is .*pcaps-contract lint"):
        release.stale(spec, output)


def test_record_keeps_the_spec_and_prepends_each_entry_below_the_title(spec: Path, output: Path) -> None:
    release.record(spec, output, "## 0.1.0\n\nFirst recorded generation.\n")
    release.record(spec, output, "## 0.2.0\n\nMinor release.\n")

    assert (output / release.SNAPSHOT_FILENAME).read_bytes() == spec.read_bytes()
    assert (output / release.CHANGELOG_FILENAME).read_text() == (
        f"{release.CHANGELOG_TITLE}\n## 0.2.0\n\nMinor release.\n\n## 0.1.0\n\nFirst recorded generation.\n"
    )


def test_record_with_no_entry_leaves_the_changelog_alone(spec: Path, output: Path) -> None:
    release.record(spec, output, "")

    assert sorted(path.name for path in output.iterdir()) == [release.SNAPSHOT_FILENAME]


@pytest.mark.parametrize(
    ("line", "rewritten"),
    [
        ('package_version_override: "0.4.1"  # bumped', 'package_version_override: "1.0.0"  # bumped'),
        ("package_version_override: '0.4.1'", "package_version_override: '1.0.0'"),
        ("package_version_override: 0.4.1", "package_version_override: 1.0.0"),
    ],
    ids=["double-quoted", "single-quoted", "bare"],
)
def test_the_version_is_read_and_rewritten_in_place_whatever_its_quotes(
    tmp_path: Path, line: str, rewritten: str
) -> None:
    config = tmp_path / "client-config.yaml"
    config.write_text(f"# before\n{line}\npost_hooks: []\n")

    assert release.read_version(config) == "0.4.1"
    release.write_version(config, "1.0.0")

    assert config.read_text() == f"# before\n{rewritten}\npost_hooks: []\n"
    assert release.read_version(config) == "1.0.0"


def test_a_config_without_a_version_line_is_a_usage_error_saying_what_to_add(tmp_path: Path) -> None:
    config = tmp_path / "client-config.yaml"
    config.write_text("package_name_override: pcaps_client\n")

    with pytest.raises(UsageError, match=r"no `package_version_override: X\.Y\.Z` line; add the client's version"):
        release.read_version(config)


def test_a_missing_config_is_a_spec_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"client-config\.yaml cannot be read .*restore the generator config"):
        release.read_version(tmp_path / "client-config.yaml")
