"""A plain `schemathesis run` of the spec against the served mock finds nothing, at several seeds.

Every default check runs, `ignored_auth`, `positive_data_acceptance` and `negative_data_rejection` included.
`scripts/schemathesis_volume.py` pins the account (a path parameter override) and scopes the token to it, so
that positive cases reach the success path instead of a 403 for a random account; it also counts the 5xx.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "schemathesis_volume.py"


@pytest.mark.parametrize(("seed", "account"), [(1, "pinned"), (2, "pinned"), (3, "any")])
def test_schemathesis_finds_no_failure_and_no_server_error(seed: int, account: str) -> None:
    extra = ["--any-account"] if account == "any" else []

    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--seed", str(seed), "--max-examples", "20", *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    assert "schemathesis exit 0" in done.stdout
    assert " 0 5xx" in done.stdout


def test_the_run_fails_when_the_mock_answers_server_errors() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--seed", "1", "--max-examples", "5", "--server-error-rate", "0.5"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 1
    assert "schemathesis exit 1" in done.stdout
    assert " 0 5xx" not in done.stdout
    assert "Server error" in done.stdout
