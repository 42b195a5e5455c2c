"""The mock's memory: records per account, and how validation picks and updates a record."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

import pcaps_contract.mock
from pcaps_contract.mock._state import Ownership, Store, now_rfc3339


def test_the_public_surface_of_the_mock_is_small() -> None:
    assert sorted(pcaps_contract.mock.__all__) == [
        "DEV_API_KEY",
        "DEV_EMAIL",
        "DEV_TOKEN",
        "MockConfig",
        "create_app",
        "run_mock",
    ]


def test_a_new_record_is_pending_with_a_32_hex_id_and_its_own_challenge() -> None:
    first, second = Ownership.new("s3://b"), Ownership.new("s3://b")

    assert re.fullmatch(r"[0-9a-f]{32}", first.id)
    assert first.filename == f"ownership-challenge-{first.id}.txt"
    assert (first.status, first.validated) == ("pending", "")
    assert first.id != second.id
    assert first.challenge != second.challenge
    assert "challenge" not in first.to_json()


def test_timestamps_are_rfc3339_utc_with_z() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now_rfc3339())


def test_accounts_do_not_see_each_others_records() -> None:
    store = Store(100)
    record = Ownership.new("s3://b")
    store.add("one", record)

    assert store.list("one") == [record]
    assert store.list("two") == []
    assert store.delete("two", record.id) is False
    assert store.validate("two", "s3://b", record.challenge) is None
    assert store.challenge("two", record.id) is None


def test_delete_removes_a_record_once() -> None:
    store = Store(100)
    record = Ownership.new("s3://b")
    store.add("a", record)

    assert store.delete("a", record.id) is True
    assert store.delete("a", record.id) is False
    assert store.list("a") == []


def test_validation_succeeds_for_the_record_whose_challenge_matches() -> None:
    store = Store(100)
    older, newer = Ownership.new("s3://b"), Ownership.new("s3://b")
    store.add("a", older)
    store.add("a", newer)

    validated = store.validate("a", "s3://b", older.challenge)

    assert validated is not None
    assert (validated.id, validated.status) == (older.id, "success")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", validated.validated)
    assert [r.status for r in store.list("a")] == ["success", "pending"]


def test_a_wrong_challenge_fails_the_newest_record_for_the_bucket() -> None:
    store = Store(100)
    older, newer = Ownership.new("s3://b"), Ownership.new("s3://b")
    store.add("a", older)
    store.add("a", newer)

    failed = store.validate("a", "s3://b", "not the content \u00e9\ud800")

    assert failed is not None
    assert (failed.id, failed.status, failed.validated) == (newer.id, "failed", "")


def test_the_store_refuses_records_beyond_its_capacity_until_one_is_deleted() -> None:
    store = Store(2)
    first, second, third = Ownership.new("s3://a"), Ownership.new("s3://b"), Ownership.new("s3://c")

    assert store.add("one", first) is None
    assert store.add("two", second) is None
    assert store.add("one", third) == "the mock holds at most 2 buckets across accounts; delete some or restart it."
    assert store.delete("one", first.id) is True
    assert store.add("one", third) is None
    assert [r.id for r in store.list("one")] == [third.id]


# Adds of buckets of any size (lone surrogates too: JSON may hold them) to a few accounts, and deletes.
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.sampled_from("abc"), st.text(max_size=3000)),
        st.tuples(st.just("delete"), st.sampled_from("abc"), st.integers(min_value=0, max_value=20)),
    ),
    max_size=40,
)


@settings(max_examples=60)
@given(steps=STEPS)
def test_the_bytes_a_store_holds_stay_within_its_budgets_and_every_refusal_says_which(
    steps: list[tuple[str, str, str | int]],
) -> None:
    store = Store(capacity=12, max_bytes=12_000, max_account_bytes=6_000)
    for action, account, value in steps:
        if action == "add":
            record = Ownership.new("s3://b?" + str(value))
            refused = store.add(account, record)
            assert refused is None or re.match(r"the mock holds at most [^\n]+\.$", refused)
        else:
            held = store.list(account)
            if held:
                assert store.delete(account, held[int(value) % len(held)].id)
        by_account = {name: sum(r.stored_bytes + len(name) for r in store.list(name)) for name in "abc"}
        assert store.stored_bytes == sum(by_account.values()) <= 12_000
        assert all(size <= 6_000 for size in by_account.values())
        assert sum(len(store.list(name)) for name in "abc") <= 12
    for name in "abc":
        for record in store.list(name):
            store.delete(name, record.id)
    assert store.stored_bytes == 0


def test_a_validated_record_costs_what_it_cost_when_added() -> None:
    store = Store(capacity=10, max_bytes=100_000, max_account_bytes=100_000)
    record = Ownership.new("s3://b")
    store.add("a", record)
    before = store.stored_bytes
    store.validate("a", "s3://b", record.challenge)
    assert store.stored_bytes == before
    assert store.delete("a", record.id) and store.stored_bytes == 0
