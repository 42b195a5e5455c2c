"""Exact pins live only in the locks (with hashes); the package metadata gives ranges the locks fall inside."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME, DEV = ROOT / "requirements" / "runtime.lock", ROOT / "requirements" / "dev.lock"
# They shape what the toolkit produces: generated cases (a seed replays only with the same versions), generated code.
SHAPING = ("hypothesis", "schemathesis", "ruff", "openapi-python-client")
_ENTRY = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ;[^\\]*)? \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", re.M
)


def locked(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """Each pin of a lock: name -> (version, hashes)."""
    text = path.read_text(encoding="utf-8")
    entries = {
        str(canonicalize_name(name)): (version, frozenset(re.findall(r"sha256:([0-9a-f]{64})", hashes)))
        for name, version, hashes in _ENTRY.findall(text)
    }
    pins = [line for line in text.splitlines() if line and not line[0].isspace() and not line.startswith("#")]
    assert len(pins) == len(entries), "a pin without hashes, or one the pattern does not read"
    return entries


def project(path: Path) -> dict[str, list[str]]:
    table = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    return {"": table["dependencies"], **table.get("optional-dependencies", {})}


def dev_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_pin_has_hashes_and_the_runtime_lock_is_the_dev_lock_s_subset() -> None:
    runtime, dev = locked(RUNTIME), locked(DEV)
    assert runtime and set(runtime) < set(dev)
    assert {name: dev[name] for name in runtime} == runtime, "the two locks disagree on a version or its hashes"


def test_the_shaping_tools_are_pinned_in_both_locks() -> None:
    for lock in (locked(RUNTIME), locked(DEV)):
        assert set(SHAPING) <= set(lock)


@pytest.mark.parametrize("pyproject", [ROOT / "pyproject.toml", ROOT / "generated" / "pyproject.toml"])
def test_the_metadata_gives_ranges_and_the_dev_lock_satisfies_each(pyproject: Path) -> None:
    dev = locked(DEV)
    for group, requirements in project(pyproject).items():
        for text in requirements:
            requirement = Requirement(text)
            name = str(canonicalize_name(requirement.name))
            if group != "dev":  # the dev tools are the project's own; users never install them
                assert not any(spec.operator == "==" for spec in requirement.specifier), f"pin {text} in the locks"
            assert name in dev, f"{text} is not in {DEV.name}"
            assert requirement.specifier.contains(dev[name][0]), f"{DEV.name} has {name}=={dev[name][0]}, not {text}"


def test_the_runtime_lock_holds_the_toolkit_with_its_extras_and_no_dev_tool() -> None:
    runtime = locked(RUNTIME)
    groups = project(ROOT / "pyproject.toml")
    wanted = {
        str(canonicalize_name(Requirement(text).name)) for group in ("", "s3", "generate") for text in groups[group]
    }
    assert wanted <= set(runtime)
    assert {"moto", "mypy", "mutmut", "cloudflare", "pytest-xdist", "hatchling"}.isdisjoint(runtime)


def test_the_set_up_is_redone_when_a_lock_or_a_pyproject_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev = dev_script()
    for name in dev.INPUTS:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("a\n", encoding="utf-8")
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    before = dev.fingerprint()
    assert set(dev.INPUTS) == {
        "requirements/dev.lock",
        "requirements/runtime.lock",
        "pyproject.toml",
        "generated/pyproject.toml",
    }
    for name in dev.INPUTS:
        (tmp_path / name).write_text("b\n", encoding="utf-8")
        assert dev.fingerprint() != before, name
        (tmp_path / name).write_text("a\n", encoding="utf-8")
