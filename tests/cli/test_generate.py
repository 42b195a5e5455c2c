"""`pcaps-contract generate` end to end: the drift gate, regeneration after a spec change, usage errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pcaps_contract._cli import main
from pcaps_contract.openapi.spec import default_spec_path
from tests.cli.wheels import built, unpacked

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "generated" / "pcaps_client"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["generate", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def output(tmp_path: Path) -> Path:
    """A copy of the committed generated/ folder, free to change."""
    copy = tmp_path / "generated"
    shutil.copytree(COMMITTED, copy / "pcaps_client", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def changed_spec(tmp_path: Path) -> Path:
    """The bundled spec plus a status `archived` and an optional Ownership field `region`."""
    document = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    schemas = document["components"]["schemas"]
    schemas["OwnershipStatus"]["enum"].append("archived")
    schemas["Ownership"]["properties"]["region"] = {"type": "string", "description": "The bucket's region."}
    path = tmp_path / "changed.openapi.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_check_passes_on_the_committed_client(capsys: pytest.CaptureFixture[str], output: Path) -> None:
    code, out, _ = _run(capsys, "--check", "--output", str(output))

    assert code == 0
    assert out.strip().endswith("pcaps_client: up to date")


def test_a_spec_change_fails_the_check_naming_each_file_then_generate_brings_it_in(
    capsys: pytest.CaptureFixture[str], output: Path, changed_spec: Path
) -> None:
    before = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}

    code, out, err = _run(capsys, "--check", "--spec", str(changed_spec), "--output", str(output))

    assert code == 1
    assert "changed: pcaps_client/models/ownership_status.py" in out
    assert "changed: pcaps_client/models/ownership.py" in out
    assert '+    ARCHIVED = "archived"' in out
    assert "2 file(s) differ" in err and "pcaps-contract generate" in err
    assert {path: path.read_bytes() for path in output.rglob("*") if path.is_file()} == before, "--check wrote"

    code, out, _ = _run(capsys, "--spec", str(changed_spec), "--output", str(output))

    assert code == 0
    assert out.splitlines()[:2] == [
        "changed: pcaps_client/models/ownership.py",
        "changed: pcaps_client/models/ownership_status.py",
    ]
    assert _run(capsys, "--check", "--spec", str(changed_spec), "--output", str(output))[0] == 0
    probe = (
        "from pcaps_client.models import Ownership, OwnershipStatus\n"
        "record = Ownership.from_dict({'id': 'a' * 32, 'destination_conf': 'gs://b', 'filename': 'f',"
        " 'status': 'archived', 'submitted': '2026-11-26T11:05:00Z', 'region': 'eu'})\n"
        "assert record.status is OwnershipStatus.ARCHIVED and record.region == 'eu', record\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env={"PYTHONPATH": str(output)}, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_generate_into_an_empty_folder_writes_the_package_then_finds_it_up_to_date(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = _run(capsys, "--output", str(tmp_path / "out"))

    assert code == 0
    assert "added: pcaps_client/models/ownership.py" in out
    assert (tmp_path / "out" / "pcaps_client" / "client.py").read_bytes() == (COMMITTED / "client.py").read_bytes()
    written = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert written == ["CHANGELOG.md", "pcaps_client", "spec.openapi.yaml"], "left a temporary folder behind"
    assert _run(capsys, "--output", str(tmp_path / "out"))[1].strip().endswith("already up to date")


def test_a_spec_that_does_not_load_exits_2_with_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _run(capsys, "--check", "--spec", str(tmp_path / "missing.yaml"))

    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and "missing.yaml: no such file" in err
    assert len(err.strip().splitlines()) == 1


def test_a_spec_the_generator_rejects_exits_2_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], output: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: 3.1.0\npaths: {}\n", encoding="utf-8")  # no `info`
    before = {path: path.read_bytes() for path in output.rglob("*") if path.is_file()}

    code, _, err = _run(capsys, "--spec", str(broken), "--output", str(output))

    assert code == 2
    assert "openapi-python-client could not generate a client" in err and "info" in err
    assert "Traceback" not in err
    assert {path: path.read_bytes() for path in output.rglob("*") if path.is_file()} == before
    assert sorted(path.name for path in output.iterdir()) == ["pcaps_client"]


def test_an_output_that_is_a_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    afile = tmp_path / "generated"
    afile.write_text("", encoding="utf-8")

    code, _, err = _run(capsys, "--output", str(afile))

    assert code == 2
    assert "is a file" in err


def _files_of(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_from_an_installed_wheel_generate_writes_only_into_the_working_tree_never_the_package(tmp_path: Path) -> None:
    """The wheel's files on PYTHONPATH, as an install lays them out; outside a checkout, it asks for both paths."""
    site = unpacked(built("pcaps-contract"), tmp_path / "site")
    installed = _files_of(site)
    env = {**os.environ, "PYTHONPATH": str(site)}

    def installed_generate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pcaps_contract", "generate", *args]
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in [(), ("--check",), ("--output", str(elsewhere / "out")), ("--config", str(elsewhere / "nope.yaml"))]:
        done = installed_generate(elsewhere, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "--config" in done.stderr and "Traceback" not in done.stderr
    assert "--output DIR" in installed_generate(elsewhere).stderr
    assert list(elsewhere.iterdir()) == []

    checkout = tmp_path / "checkout"
    (checkout / "spec").mkdir(parents=True)
    shutil.copy(site / "pcaps_contract" / "_bundled" / "client-config.yaml", checkout / "spec")
    done = installed_generate(checkout)

    assert done.returncode == 0, done.stderr
    assert (checkout / "generated" / "pcaps_client" / "client.py").read_bytes() == (
        COMMITTED / "client.py"
    ).read_bytes()
    assert installed_generate(checkout, "--check").returncode == 0
    assert _files_of(site) == installed, "generate wrote inside the installed package"
