"""`pytest contract_tests` runs the same gate: it passes the bundled mock and fails a broken app naming the check.

An installed toolkit runs the same suite from its wheel:
`pytest -p pcaps_contract.contract_tests --pyargs pcaps_contract.contract_tests`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.cli.helpers import ROOT
from tests.cli.wheels import built, unpacked
from tests.gallery.broken import OWNER


def pytest_contract_tests(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "contract_tests", "-q", "-p", "no:cacheprovider", "--max-examples", "2"]
    return subprocess.run([*command, *arguments], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_pytest_contract_tests_passes_the_bundled_mock() -> None:
    done = pytest_contract_tests("--seed", "3")
    assert done.returncode == 0, done.stdout[-3000:]
    assert "seed 3 (profile quick)" in done.stdout


def test_pytest_contract_tests_fails_a_broken_app_on_the_right_test() -> None:
    app = "tests.gallery.broken:created_not_listed"
    done = pytest_contract_tests("--app", app, "--token", "pcaps-contract-dev-token", "--account-id", OWNER)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FAILED contract_tests/test_contract.py::test_operation_keeps_the_contract" in done.stdout
    assert "[list_buckets-created_ownership_is_listed]" in done.stdout
    assert "Expected: status 200 listing the created ids" in done.stdout
    assert "pcaps-contract-dev-token" not in done.stdout


def test_the_suite_runs_from_an_installed_wheel_outside_any_checkout(tmp_path: Path) -> None:
    site = unpacked(built("pcaps-contract"), tmp_path / "site")
    command = [sys.executable, "-m", "pytest", "-p", "pcaps_contract.contract_tests", "--pyargs", "-q", "-rA"]
    done = subprocess.run(
        [*command, "pcaps_contract.contract_tests", "-p", "no:cacheprovider", "--max-examples", "1", "--seed", "3"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "seed 3 (profile quick)" in done.stdout
    assert (
        "PASSED site/pcaps_contract/contract_tests/test_contract.py::test_operation_keeps_the_contract[" in done.stdout
    )
