"""The gate never cries wolf: the correct mock passes at 20 different seeds."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Run


@pytest.mark.parametrize("seed", range(1, 21))
def test_the_correct_mock_passes_at_every_seed(run_cli: Run, seed: int) -> None:
    outcome = run_cli("check", "--seed", str(seed), "--max-examples", "4")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
