"""The outcome keeps at most MAX_KEPT differences; beyond them a divergence is counted and still decides the exit."""

from __future__ import annotations

import pytest

from pcaps_contract.compare import result
from pcaps_contract.compare.divergence import Difference
from pcaps_contract.compare.result import ALLOWED, DIVERGENCE, Found, Outcome


def found(verdict: str) -> Found:
    return Found(1, "list_buckets", "list", Difference("result", "order", ["r1"], ["r2"]), verdict)


def test_beyond_the_cap_only_divergences_are_counted_and_they_decide_the_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(result, "MAX_KEPT", 2)
    allowed_only = Outcome("compare", 1, cases=1)
    for _ in range(5):
        allowed_only.add(found(ALLOWED))
    assert len(allowed_only.found) == 2 and allowed_only.dropped == 0 and allowed_only.exit_code == 0
    diverged = Outcome("compare", 1, cases=1)
    for verdict in (ALLOWED, ALLOWED, DIVERGENCE, DIVERGENCE):
        diverged.add(found(verdict))
    assert diverged.divergences == [] and diverged.dropped == 2 and diverged.exit_code == 1
    assert diverged.verdict.startswith("2 divergence(s)")
