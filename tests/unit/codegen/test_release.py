"""The `generate` transaction (`_release`): version planned, package rendered, release recorded, all or nothing.

The generator itself is replaced by a stand-in `codegen.render` that writes a two-file package carrying the
config's version, so each test runs in-process in a fraction of a second; `codegen.generate` (the swap) is real.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcaps_contract._errors import SpecError
from pcaps_contract.codegen import release as _release
from pcaps_contract.codegen import render as codegen
from pcaps_contract.diff import release
from pcaps_contract.openapi.spec import default_spec_path

PACKAGE = Path(_release.__file__).parent
SpecEdit = Callable[[dict[str, Any]], None]
EditFile = Callable[[Path, SpecEdit], None]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A spec, a generator config and an output folder of their own, and a stand-in generator."""
    shutil.copy(default_spec_path(), tmp_path / "spec.yaml")
    shutil.copy(codegen.generator_config_path(), tmp_path / "client-config.yaml")
    monkeypatch.setattr(codegen, "generator_config_path", lambda: tmp_path / "client-config.yaml")
    monkeypatch.setattr(codegen, "render", _render_stand_in(tmp_path / "client-config.yaml"))
    return tmp_path


def _render_stand_in(
    config: Path, fail: BaseException | None = None
) -> Callable[[Path | None, Path, Path | None], Path]:
    """A `codegen.render` that writes a package carrying the config's version; with `fail`, half a package."""

    def render(spec_path: Path | None, destination: Path, config_path: Path | None = None) -> Path:
        package = destination / codegen.PACKAGE_NAME
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(f'__version__ = "{release.read_version(config)}"\n')
        if fail is not None:
            raise fail
        (package / "client.py").write_text("class Client: ...\n")
        return package

    return render


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder`, by relative path."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def _generate(project: Path) -> _release.Generated:
    return _release.generate(project / "spec.yaml", project / "out")


def test_a_first_generation_writes_the_package_and_records_a_first_release(project: Path) -> None:
    done = _generate(project)

    assert [(change.kind, change.path) for change in done.files] == [
        ("added", "pcaps_client/__init__.py"),
        ("added", "pcaps_client/client.py"),
    ]
    assert done.release.first and done.release.new_version == done.release.old_version == "0.1.0"
    assert done.package == project / "out" / "pcaps_client" and done.spec_path == project / "spec.yaml"
    assert (project / "out" / release.SNAPSHOT_FILENAME).read_bytes() == (project / "spec.yaml").read_bytes()
    assert "## 0.1.0\n\nFirst recorded generation.\n" in done.changelog.read_text()


def test_a_breaking_change_bumps_the_version_before_the_package_is_rendered(
    project: Path, spec_edits: dict[str, SpecEdit], edit_spec_file: EditFile
) -> None:
    _generate(project)
    edit_spec_file(project / "spec.yaml", spec_edits["breaking"])

    done = _generate(project)

    assert (done.release.old_version, done.release.new_version, done.release.level) == ("0.1.0", "1.0.0", "major")
    assert [(change.kind, change.path) for change in done.files] == [("changed", "pcaps_client/__init__.py")]
    assert (done.package / "__init__.py").read_text() == '__version__ = "1.0.0"\n'
    assert release.read_version(project / "client-config.yaml") == "1.0.0"
    assert done.changelog.read_text().splitlines()[2] == "## 1.0.0"


def test_a_generation_with_nothing_changed_writes_nothing_and_keeps_the_version(project: Path) -> None:
    _generate(project)
    before = _snapshot(project)

    done = _generate(project)

    assert done.files == [] and done.release.entry == "" and done.release.changes == []
    assert _snapshot(project) == before


@pytest.mark.parametrize("failure", [SpecError("the generator failed"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failed_render_leaves_the_output_folder_and_the_config_as_they_were(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec_edits: dict[str, SpecEdit],
    edit_spec_file: EditFile,
    failure: BaseException,
) -> None:
    _generate(project)
    edit_spec_file(project / "spec.yaml", spec_edits["breaking"])
    output, config = _snapshot(project / "out"), (project / "client-config.yaml").read_bytes()
    monkeypatch.setattr(codegen, "render", _render_stand_in(project / "client-config.yaml", fail=failure))

    with pytest.raises(type(failure)):
        _generate(project)

    assert _snapshot(project / "out") == output, "the package or its release record changed"
    assert sorted(path.name for path in (project / "out").iterdir()) == [
        release.CHANGELOG_FILENAME,
        "pcaps_client",
        release.SNAPSHOT_FILENAME,
    ]
    assert (project / "client-config.yaml").read_bytes() == config, "the version stayed bumped"


def test_a_failure_while_recording_puts_the_record_back_so_the_next_run_plans_the_same_release(
    project: Path, monkeypatch: pytest.MonkeyPatch, spec_edits: dict[str, SpecEdit], edit_spec_file: EditFile
) -> None:
    _generate(project)
    edit_spec_file(project / "spec.yaml", spec_edits["breaking"])
    snapshot = project / "out" / release.SNAPSHOT_FILENAME
    recorded, changelog = snapshot.read_bytes(), (project / "out" / release.CHANGELOG_FILENAME).read_bytes()
    real_record = release.record

    def record_then_fail(spec_path: Path, output_dir: Path, entry: str) -> None:
        snapshot.write_bytes(spec_path.read_bytes())
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(release, "record", record_then_fail)
    with pytest.raises(OSError, match="No space left"):
        _generate(project)

    assert snapshot.read_bytes() == recorded
    assert (project / "out" / release.CHANGELOG_FILENAME).read_bytes() == changelog
    assert release.read_version(project / "client-config.yaml") == "0.1.0"
    monkeypatch.setattr(release, "record", real_record)
    assert _generate(project).release.new_version == "1.0.0"


def test_a_failure_before_anything_existed_leaves_no_record_behind(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(codegen, "render", _render_stand_in(project / "client-config.yaml", fail=SpecError("no")))

    with pytest.raises(SpecError):
        _generate(project)

    assert _snapshot(project / "out") == {}


def test_check_lists_differing_files_and_then_does_not_read_the_record(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    differs = [codegen.FileChange("pcaps_client/client.py", "changed")]
    monkeypatch.setattr(codegen, "check", lambda *_: differs)

    def stale(*_: object) -> None:
        pytest.fail("check compared the recorded spec although files differ")

    monkeypatch.setattr(release, "stale", stale)

    checked = _release.check(project / "spec.yaml", project / "out")

    assert (checked.files, checked.behind) == (differs, [])


def test_check_names_the_spec_changes_the_record_does_not_hold_yet(
    project: Path, spec_edits: dict[str, SpecEdit], edit_spec_file: EditFile
) -> None:
    _generate(project)
    assert _release.check(project / "spec.yaml", project / "out").behind == []
    edit_spec_file(project / "spec.yaml", spec_edits["addition"])

    checked = _release.check(project / "spec.yaml", project / "out")

    assert checked.files == []  # the stand-in renders the same package whatever the spec says
    assert [change.breaking for change in checked.behind] == [False]
    assert checked.snapshot == project / "out" / release.SNAPSHOT_FILENAME
