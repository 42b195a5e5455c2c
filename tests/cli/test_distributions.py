"""The two distributions install only what they need: `pcaps-client` (httpx and attrs) and the toolkit.

Each test builds a wheel from the checkout (about 3 s, once per process; tests/cli/wheels.py) and, for the client,
installs it into an empty venv from local wheels only (a few seconds more).
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from email.parser import Parser
from pathlib import Path

from pcaps_contract.codegen.render import PACKAGE_NAME
from tests.cli.wheels import (
    ROOT,
    built,
    fresh_venv,
    normalized,
    pip_install,
    repack,
    requirement_name,
    requirements_closure,
)

CLIENT_NEEDS = {"httpx", "attrs"}
LISTED = (
    "import importlib.metadata as m, json, pcaps_client\n"
    "print(json.dumps([pcaps_client.__version__, sorted(d.metadata['Name'] for d in m.distributions())]))\n"
)


def requirements_of(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode()).get_all("Requires-Dist") or []


def test_the_client_wheel_installs_alone_with_httpx_and_attrs(tmp_path: Path) -> None:
    wheel = built("pcaps-client")
    assert {requirement_name(requirement) for requirement in requirements_of(wheel)} == CLIENT_NEEDS
    closure = set().union(*(requirements_closure(name) for name in CLIENT_NEEDS))
    house = repack(closure, tmp_path / "wheels")
    python = fresh_venv(tmp_path / "venv")

    done = pip_install(python, "--find-links", str(house), str(wheel))
    assert done.returncode == 0, done.stderr[-3000:]
    listed = subprocess.run([str(python), "-c", LISTED], capture_output=True, text=True, cwd=tmp_path, timeout=60)

    assert listed.returncode == 0, listed.stderr[-3000:]
    version, installed = json.loads(listed.stdout)
    installed = {normalized(name) for name in installed}
    assert installed == {"pcaps-client"} | closure, "the client pulled more than httpx and attrs"
    assert {"schemathesis", "hypothesis", "pcaps-contract"}.isdisjoint(installed)
    assert wheel.name == f"pcaps_client-{version}-py3-none-any.whl", "the wheel's version is the package's"


def test_the_client_distribution_survives_a_generation_and_carries_the_generated_version() -> None:
    project = (ROOT / "generated" / "pyproject.toml").read_text(encoding="utf-8")
    init = (ROOT / "generated" / PACKAGE_NAME / "__init__.py").read_text(encoding="utf-8")
    assert f'path = "{PACKAGE_NAME}/__init__.py"' in project, "the version must come from the generated package"
    assert '__version__ = "' in init


def test_the_toolkit_wheel_declares_ranges_ships_its_suite_and_leaves_the_client_out() -> None:
    wheel = built("pcaps-contract")
    runtime = [requirement for requirement in requirements_of(wheel) if "extra ==" not in requirement]
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()

    assert [requirement for requirement in runtime if "==" in requirement] == [], "exact pins belong in the locks"
    named = {requirement_name(requirement) for requirement in runtime}
    assert {"requests", "rich", "hypothesis", "schemathesis"} <= named
    assert {"boto3", "openapi-python-client", "ruff", "attrs"}.isdisjoint(named), "extras or the client's own"
    assert "pcaps_contract/contract_tests/test_contract.py" in names
    assert "pcaps_contract/_bundled/client-config.yaml" in names
    assert not any(name.startswith(f"{PACKAGE_NAME}/") for name in names), "pcaps-client ships the client"
