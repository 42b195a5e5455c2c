"""The mock's memory: records per account, and how validation picks and updates a record."""

from __future__ import annotations

import re

import pcaps_contract.mock
from pcaps_contract.mock._state import Ownership, Store, now_rfc3339


def test_the_public_surface_of_the_mock_is_small() -> None:
    assert sorted(pcaps_contract.mock.__all__) == ["DEV_API_KEY", "DEV_EMAIL", "DEV_TOKEN", "MockConfig", "create_app"]


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

    assert store.add("one", first) is True
    assert store.add("two", second) is True
    assert store.add("one", third) is False
    assert store.delete("one", first.id) is True
    assert store.add("one", third) is True
    assert [r.id for r in store.list("one")] == [third.id]
