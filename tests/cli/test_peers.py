"""`check --base-url` judges an implementation that shares no code with the mock (tests/peers/server.py).

Over real sockets: each seeded defect is named by its check, each legitimate variant passes, and the
correct peer passes at ten seeds and is left with no record in any account.
"""

from __future__ import annotations

import pytest

from tests.cli.helpers import FAST, Outcome, Run
from tests.peers.server import DEFECTS, NEW_DEFECTS, PEER_ACCOUNTS, UNREACHABLE, UNREACHABLE_CAUGHT_BY, serve_peer

ACCOUNTS = [arg for account in PEER_ACCOUNTS for arg in ("--account-id", account)]
# Ten seeds for the correct peer; three per variant keep the file within a few minutes on two cores.
SEEDS = range(1, 11)
VARIANT_SEEDS = range(1, 4)
# Defects a landed check cannot name over a socket, and why (the case is an expected failure until it can).
# (`validation_keeps_pending` is judged with --bucket in test_check_bucket.py: not judged, never passed.)
NOT_JUDGED_OVER_A_SOCKET: dict[str, str] = {}


def gate(run_cli: Run, base_url: str, seed: int = 1) -> Outcome:
    return run_cli("check", "--base-url", base_url, "--token", "peer-token", *ACCOUNTS, "--seed", str(seed), *FAST)


def _landed(check: str) -> bool:
    from pcaps_contract.gate import ALL_CHECKS

    return check in ALL_CHECKS


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_check_names_the_defect_of_an_independent_implementation(run_cli: Run, defect: str) -> None:
    with serve_peer(defects={defect}) as (base_url, _):
        outcome = gate(run_cli, base_url)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert DEFECTS[defect] in outcome.failed_checks(), outcome.stdout


@pytest.mark.parametrize("defect", sorted(NEW_DEFECTS))
def test_check_names_the_defect_once_its_check_exists(run_cli: Run, defect: str) -> None:
    check = NEW_DEFECTS[defect]
    if not _landed(check):
        pytest.skip(f"{check} is not a check of the gate yet")
    with serve_peer(defects={defect}) as (base_url, _):
        outcome = gate(run_cli, base_url)
    if defect in NOT_JUDGED_OVER_A_SOCKET and check not in outcome.failed_checks():
        pytest.xfail(NOT_JUDGED_OVER_A_SOCKET[defect])
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert check in outcome.failed_checks(), outcome.stdout


@pytest.mark.parametrize("defect", sorted(UNREACHABLE))
def test_defect_for_a_check_that_cannot_fire_is_caught_by_another(run_cli: Run, defect: str) -> None:
    """The defect is caught today by another check (when one does), and named by its own once that can fire."""
    with serve_peer(defects={defect}) as (base_url, _):
        outcome = gate(run_cli, base_url)
    caught_by = UNREACHABLE_CAUGHT_BY.get(defect)
    if caught_by is not None:
        assert outcome.code == 1, outcome.stdout + outcome.stderr
        assert caught_by in outcome.failed_checks(), outcome.stdout
    if UNREACHABLE[defect] not in outcome.failed_checks():
        pytest.xfail(f"{UNREACHABLE[defect]} cannot fire against this spec over a socket (see UNREACHABLE)")


@pytest.mark.parametrize("seed", SEEDS)
def test_check_passes_the_correct_independent_implementation(run_cli: Run, seed: int) -> None:
    with serve_peer() as (base_url, peer):
        outcome = gate(run_cli, base_url, seed)
        leftovers = peer.records()
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert not any(leftovers.values()), leftovers


@pytest.mark.parametrize("seed", VARIANT_SEEDS)
@pytest.mark.parametrize("variant", ["charset", "gzip", "fractions", "throttles", "close"])
def test_check_passes_what_the_real_api_legitimately_does(run_cli: Run, variant: str, seed: int) -> None:
    with serve_peer(variant=variant) as (base_url, peer):
        outcome = gate(run_cli, base_url, seed)
        leftovers = peer.records()
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert not any(leftovers.values()), leftovers
