"""The committed generated/pcaps_client is exactly what the generator makes of the spec, and it type-checks."""

from __future__ import annotations

import filecmp
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pcaps_contract import _codegen as codegen

COMMITTED = Path(__file__).resolve().parents[2] / "generated" / codegen.PACKAGE_NAME
FIX = "run `pcaps-contract generate` and commit generated/ (never edit generated files by hand)"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client generated from the bundled spec, into a temporary directory."""
    return codegen.render(None, tmp_path_factory.mktemp("golden"))


def _differences(comparison: filecmp.dircmp[str], prefix: str = "") -> Iterator[str]:
    ignored = codegen.IGNORED_NAMES
    for name in comparison.left_only:
        if name not in ignored:
            yield f"{prefix}{name} is committed but no longer generated"
    for name in comparison.right_only:
        if name not in ignored:
            yield f"{prefix}{name} is generated but not committed"
    for name in comparison.diff_files:
        yield f"{prefix}{name} differs from a fresh generation"
    for name, sub in sorted(comparison.subdirs.items()):
        if name not in ignored:
            yield from _differences(sub, f"{prefix}{name}/")


def test_the_committed_client_is_byte_identical_to_a_fresh_generation(fresh: Path) -> None:
    comparison = filecmp.dircmp(COMMITTED, fresh, ignore=[*codegen.IGNORED_NAMES])
    # dircmp compares by stat signature first; compare contents so that equal sizes cannot hide a change.
    problems = list(_differences(comparison))
    problems += [
        f"{path.relative_to(fresh)} differs from a fresh generation"
        for path in sorted(fresh.rglob("*.py"))
        if (COMMITTED / path.relative_to(fresh)).is_file()
        and (COMMITTED / path.relative_to(fresh)).read_bytes() != path.read_bytes()
    ]
    if problems:
        pytest.fail(f"generated/{codegen.PACKAGE_NAME}/{sorted(set(problems))[0]} ({FIX})", pytrace=False)


def test_the_generated_client_holds_no_machine_specific_text(fresh: Path) -> None:
    leaks = re.compile(r"object at 0x|/tmp/|/home/|/root/|/work/|[A-Z]:\\\\|\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d")
    found = [str(path.relative_to(fresh)) for path in fresh.rglob("*.py") if leaks.search(path.read_text())]
    caches = [str(path.relative_to(fresh)) for path in fresh.rglob("*") if path.name in codegen.IGNORED_NAMES]

    assert found == []
    assert caches == [], "the generator or its ruff post-hooks left a cache in the output"


def test_the_generated_client_passes_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", "/dev/null", str(COMMITTED)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
