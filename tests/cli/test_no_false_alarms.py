"""The gate never cries wolf: the correct mock passes at eight different seeds."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Run


# Eight seeds here: `scripts/soak.py` ran `check` against the same mock, served, at 53 seeds, every run clean
# (BENCHMARKS.md, "The soak").
@pytest.mark.parametrize("seed", range(1, 9))
def test_the_correct_mock_passes_at_every_seed(run_cli: Run, seed: int) -> None:
    outcome = run_cli("check", "--seed", str(seed), "--max-examples", "4")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
