"""The soak's slice in CI: `check` as its own process, over 127.0.0.1, against every faithful target at two seeds
(22 processes in all): every run exits 0, prints no traceback, shows no token and leaves nothing behind.

The full soak (100 seeds, `scripts/soak.py`) and its result are in BENCHMARKS.md.
"""

from __future__ import annotations

import pytest

from tests.soak import TARGETS, soak

SEEDS = (1, 2)


@pytest.mark.parametrize("target", list(TARGETS))
def test_check_as_a_process_passes_a_faithful_implementation_at_every_seed(target: str) -> None:
    # Two processes at a time, as the full soak runs them; each target its own seeds: 22 seeds in the slice.
    outcome = soak([(target, seed + 10 * list(TARGETS).index(target)) for seed in SEEDS], jobs=2)
    assert len(outcome.results) == len(SEEDS)
    assert outcome.clean, f"{outcome.table()}\n{outcome.failures()}"
