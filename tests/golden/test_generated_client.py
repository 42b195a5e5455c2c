"""The committed generated/pcaps_client is exactly what the generator makes of the spec, and it type-checks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pcaps_contract.codegen import render as codegen

COMMITTED = Path(__file__).resolve().parents[2] / "generated" / codegen.PACKAGE_NAME
FIX = "run `pcaps-contract generate` and commit generated/ (never edit generated files by hand)"
DIFF_LINES = 8  # of each file's diff in the failure message: enough to recognise the change, short enough to list all


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The client generated from the bundled spec, into a temporary directory."""
    return codegen.render(None, tmp_path_factory.mktemp("golden"))


def test_the_committed_client_is_byte_identical_to_a_fresh_generation(fresh: Path) -> None:
    changes = codegen.compare(COMMITTED, fresh)

    if changes:
        listed = "\n".join(change.render(max_lines=DIFF_LINES) for change in changes)
        pytest.fail(
            f"generated/{codegen.PACKAGE_NAME} differs from a fresh generation in {len(changes)} file(s) ({FIX}); "
            f"`added` is generated but not committed, `removed` committed but no longer generated:\n{listed}",
            pytrace=False,
        )


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
