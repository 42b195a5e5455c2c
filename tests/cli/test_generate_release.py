"""`pcaps-contract generate` records each release of the client: what changed, the semver bump, the CHANGELOG."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pcaps_contract._cli import main
from pcaps_contract._errors import SpecError
from pcaps_contract.codegen import render as codegen
from pcaps_contract.diff import release
from pcaps_contract.openapi.spec import default_spec_path

Document = dict[str, Any]
SpecEdit = Callable[[Document], None]  # the `spec_edits` fixture's values
EditFile = Callable[[Path, SpecEdit], None]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A spec and a generator config of its own, so the checkout's files are never touched."""
    shutil.copy(default_spec_path(), tmp_path / "spec.yaml")
    shutil.copy(codegen.generator_config_path(), tmp_path / "client-config.yaml")
    monkeypatch.setattr(codegen, "generator_config_path", lambda: tmp_path / "client-config.yaml")
    return tmp_path


def reword_api_key_scheme(document: Document) -> None:
    document["components"]["securitySchemes"]["api_key"]["description"] = "A Global API key."


def generate(project: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["generate", "--spec", str(project / "spec.yaml"), "--output", str(project / "out"), *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def record_a_generation(project: Path) -> None:
    """What a first `generate` leaves beside the package, without running the generator."""
    (project / "out").mkdir()
    release.record(project / "spec.yaml", project / "out", "## 0.1.0\n\nFirst recorded generation.\n")


def test_each_generation_bumps_the_version_the_changes_call_for_and_prepends_an_entry(
    project: Path, capsys: pytest.CaptureFixture[str], spec_edits: dict[str, SpecEdit], edit_spec_file: EditFile
) -> None:
    record_a_generation(project)
    edit_spec_file(project / "spec.yaml", spec_edits["breaking"])
    code, out, _ = generate(project, capsys)
    assert code == 0
    assert "breaking response consumers enum value `expired` added to `status`" in " ".join(out.split())
    assert out.splitlines()[-1].startswith("pcaps_client 1.0.0 (major release, was 0.1.0): see ")
    assert release.read_version(project / "client-config.yaml") == "1.0.0"
    assert '__version__ = "1.0.0"' in (project / "out" / "pcaps_client" / "__init__.py").read_text()

    edit_spec_file(project / "spec.yaml", spec_edits["addition"])
    code, out, _ = generate(project, capsys)
    assert out.splitlines()[-1].startswith("pcaps_client 1.1.0 (minor release, was 1.0.0)")
    changelog = (project / "out" / "CHANGELOG.md").read_text()
    headings = [line for line in changelog.splitlines() if line.startswith("#")]
    assert headings == [
        "# Changelog of the generated client `pcaps_client`",
        "## 1.1.0",
        "### Non-breaking",
        "## 1.0.0",
        "### Breaking",
        "## 0.1.0",
    ]
    assert (project / "out" / release.SNAPSHOT_FILENAME).read_text() == (project / "spec.yaml").read_text()


def test_check_fails_when_the_recorded_spec_is_older_than_the_spec(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, edit_spec_file: EditFile
) -> None:
    record_a_generation(project)
    monkeypatch.setattr(codegen, "check", lambda *_: [])  # the package itself is up to date
    assert generate(project, capsys, "--check")[0] == 0
    edit_spec_file(project / "spec.yaml", reword_api_key_scheme)
    code, _, err = generate(project, capsys, "--check")
    assert code == 1
    assert "records an older spec (0 breaking, 1 non-breaking); run `pcaps-contract generate`" in err


def test_a_failed_generation_leaves_the_version_alone(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    spec_edits: dict[str, SpecEdit],
    edit_spec_file: EditFile,
) -> None:
    record_a_generation(project)
    edit_spec_file(project / "spec.yaml", spec_edits["breaking"])

    def fail(*_: object) -> None:
        raise SpecError("the generator failed")

    monkeypatch.setattr(codegen, "generate", fail)
    code, _, err = generate(project, capsys)
    assert (code, err) == (2, "error: the generator failed\n")
    assert release.read_version(project / "client-config.yaml") == "0.1.0"
    assert "1.0.0" not in (project / "out" / "CHANGELOG.md").read_text()


def test_the_version_is_rewritten_in_place_keeping_the_config_comments(tmp_path: Path) -> None:
    config = tmp_path / "client-config.yaml"
    config.write_text('# the version\npackage_version_override: "0.4.1"  # bump me\npost_hooks: []\n')
    release.write_version(config, "1.0.0")
    assert config.read_text() == '# the version\npackage_version_override: "1.0.0"  # bump me\npost_hooks: []\n'
