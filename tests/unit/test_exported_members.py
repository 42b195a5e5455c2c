"""The public surface: four modules, each exactly what its `__all__` names; every other module is private (a `_name`,
or inside a package of the house, behind its face)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

import pcaps_contract
import pcaps_contract.gate
import pcaps_contract.mock
import pcaps_contract.replay

PUBLIC = {
    "pcaps_contract": [
        "PcapsContractError",
        "Spec",
        "SpecError",
        "UsageError",
        "__version__",
        "default_spec_path",
        "load_spec",
    ],
    "pcaps_contract.gate": [
        "ALL_CHECKS",
        "FAILED",
        "GATE_ARGUMENTS",
        "GateOptions",
        "GateReport",
        "PASSED",
        "SKIPPED",
        "check_options",
        "options_from",
        "resolve_options",
        "run_check",
        "run_gate",
    ],
    "pcaps_contract.mock": ["DEV_API_KEY", "DEV_EMAIL", "DEV_TOKEN", "MockConfig", "create_app", "run_mock"],
    "pcaps_contract.replay": ["BASE_URL_ENV", "replay"],
}
# The house's packages (ARCHITECTURE.md): internal to the toolkit, each entered by its face (`__init__`), whose
# `__all__` is exactly the names its type-checked imports serve (tests/unit/test_architecture.py); their modules are
# named for what they do, without an underscore.
HOUSE = ("codegen", "compare", "diff", "engine", "fuzz", "gate", "judge", "lint", "openapi", "passive", "report")
TYPING_NAMES = {"annotations", "TYPE_CHECKING", "Any", "Mapping"}
HEAVY = ("hypothesis", "schemathesis", "httpx", "jsonschema", "starlette")


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_surface_is_pinned(name: str) -> None:
    assert sorted(importlib.import_module(name).__all__) == PUBLIC[name]


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_exported_member_exists_and_nothing_else_is_public(name: str) -> None:
    module = importlib.import_module(name)
    for member in module.__all__:
        assert getattr(module, member) is not None, member
    # As httpx tests its own: a public name in the module's namespace that `__all__` leaves out is a leak
    # (submodules and what the standard library's typing tools bind aside).
    public = {
        key
        for key, value in vars(module).items()
        if not key.startswith("_") and not isinstance(value, ModuleType) and key not in TYPING_NAMES
    }
    assert public <= set(module.__all__), sorted(public - set(module.__all__))


def test_every_other_module_is_private() -> None:
    public_modules = {"pcaps_contract.gate", "pcaps_contract.mock", "pcaps_contract.replay"}
    # The pytest suite, named on pytest's command line (`-p`, `--pyargs`) rather than imported.
    public_modules |= {"pcaps_contract.contract_tests", "pcaps_contract.contract_tests.test_contract"}
    found = {
        info.name
        for info in pkgutil.walk_packages(pcaps_contract.__path__, "pcaps_contract.")
        if not any(part.startswith("_") for part in info.name.split(".")[1:])
        and not any(info.name.startswith(f"pcaps_contract.{face}.") for face in HOUSE)
        and info.name.removeprefix("pcaps_contract.") not in set(HOUSE) - {"gate"}
    }
    assert found == public_modules


@pytest.mark.parametrize(
    "command", [[], ["check"], ["fuzz"], ["mock"], ["diff"], ["generate"], ["lint"], ["verify"], ["proxy"]]
)
@pytest.mark.subprocess
def test_help_loads_no_heavy_library(command: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pcaps_contract._cli", *command, "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "pcaps_contract" in loaded  # the measurement saw the package itself
    assert not {name for name in loaded if name.split(".")[0] in HEAVY}
