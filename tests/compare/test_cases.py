"""The seeded cases: the same seed gives the same cases, every role is created before a case names it, and a list
follows every write."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.compare.cases import Delivered, plan
from pcaps_contract.openapi import api


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**31), st.integers(1, 6))
def test_a_seed_gives_the_same_cases_and_every_role_exists_before_it_is_named(seed: int, examples: int) -> None:
    cases = plan(seed, examples)
    assert cases == plan(seed, examples)
    created: set[str] = set()
    for index, case in enumerate(cases):
        assert case.number == index + 1
        named = case.target or (case.body["ownership_challenge"].role if case.needs_challenges else None)
        assert named is None or named in created, case
        if case.creates is not None:
            created.add(case.creates)
        if case.operation != api.LIST:
            assert cases[index + 1].holds and cases[index + 1].operation == api.LIST
    assert len(created) == max(2, examples)
    deleted = [case.target for case in cases if case.operation == api.DELETE and case.target]
    assert set(deleted) == created  # the run deletes what it created


def test_seeds_draw_other_buckets_and_one_validation_uses_the_delivered_challenge() -> None:
    confs = {seed: [case.body["destination_conf"] for case in plan(seed) if case.creates] for seed in range(5)}
    assert len({tuple(drawn) for drawn in confs.values()}) == 5
    delivered = [case for case in plan(1) if case.needs_challenges]
    assert len(delivered) == 1 and isinstance(delivered[0].body["ownership_challenge"], Delivered)
