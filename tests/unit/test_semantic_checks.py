"""The checks of what an implementation does over a run: each fails on answers that break it, passes otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pcaps_contract import _checks as checks
from pcaps_contract._checks import ContractViolation, Exchange, Seen

ID, OTHER_ID = "9883874ecac311ec8475433579a6bf5f", "4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b"
CONF = "s3://pcaps-bucket?region=us-east-1"


def record(**changes: Any) -> dict[str, Any]:
    base = {
        "id": ID,
        "destination_conf": CONF,
        "filename": f"ownership-challenge-{changes.get('id', ID)}.txt",
        "status": "pending",
        "submitted": "2026-11-26T11:05:00Z",
        "validated": "",
    }
    base.update(changes)
    return base


def answer(result: Any, status: int = 200, operation: str = "add_bucket", **extra: Any) -> Exchange:
    success = 200 <= status < 300
    envelope = {"success": success, "errors": [] if success else [{"code": 9103, "message": "no"}], "messages": []}
    envelope["result"] = result if success else None
    envelope.update(extra)
    return Exchange(operation, "POST", "http://x/accounts/a/pcaps/ownership", status, json.dumps(envelope).encode())


def listing(*records: dict[str, Any], **extra: Any) -> Exchange:
    return answer(list(records), operation="list_buckets", **extra)


def validation(code: int = 200, **changes: Any) -> Exchange:
    return answer(record(**changes), code, operation="validate_bucket")


def breaks(check: str, call: Any, *args: Any) -> ContractViolation:
    with pytest.raises(ContractViolation) as caught:
        call(*args)
    assert caught.value.check == check
    assert str(caught.value).startswith("Expected: ") and "\nReceived: " in str(caught.value)
    return caught.value


# --- ownership_id_is_new -------------------------------------------------------------------------------


def test_an_add_answering_an_id_seen_before_breaks_ownership_id_is_new() -> None:
    breaks("ownership_id_is_new", checks.ownership_id_is_new, answer(record()), {ID})


def test_an_add_answering_a_fresh_id_keeps_ownership_id_is_new() -> None:
    checks.ownership_id_is_new(answer(record()), {OTHER_ID})


# --- listed_ids_are_unique ---------------------------------------------------------------------------------


def test_a_list_showing_an_id_twice_breaks_listed_ids_are_unique() -> None:
    violation = breaks("listed_ids_are_unique", checks.listed_ids_are_unique, listing(record(), record()))
    assert ID in violation.received


def test_a_list_showing_each_id_once_keeps_listed_ids_are_unique() -> None:
    checks.listed_ids_are_unique(listing(record(), record(id=OTHER_ID)))
    checks.listed_ids_are_unique(answer(None, operation="list_buckets"))


# --- listing_is_complete ---------------------------------------------------------------------------------


def test_a_list_silently_cut_short_breaks_listing_is_complete() -> None:
    info = {"page": 1, "per_page": 1, "count": 1, "total_count": 1, "total_pages": 1}
    breaks("listing_is_complete", checks.listing_is_complete, listing(record(), result_info=info), {ID, OTHER_ID})
    breaks("listing_is_complete", checks.listing_is_complete, listing(record()), {ID, OTHER_ID})
    one_page = {"page": 1, "per_page": 25, "count": 2, "total_count": 2, "total_pages": 1}  # counts 2, shows 1
    breaks("listing_is_complete", checks.listing_is_complete, listing(record(), result_info=one_page), {ID, OTHER_ID})


def test_a_list_that_says_there_are_more_pages_keeps_listing_is_complete() -> None:
    more_records = {"page": 1, "per_page": 1, "count": 1, "total_count": 2, "total_pages": 2}
    assert checks.listing_is_complete(listing(record(), result_info=more_records), {ID, OTHER_ID}) is checks.HELD
    more_records = {"page": 1, "total_count": 2}
    assert checks.listing_is_complete(listing(record(), result_info=more_records), {ID, OTHER_ID}) is checks.HELD
    more_pages = {"page": 1, "total_pages": 2}
    assert checks.listing_is_complete(listing(record(), result_info=more_pages), {ID, OTHER_ID}) is checks.HELD
    assert checks.listing_is_complete(listing(record(), record(id=OTHER_ID)), {ID, OTHER_ID}) is checks.HELD
    assert checks.listing_is_complete(answer(None, 403, operation="list_buckets"), {ID}) is checks.OUT_OF_SCOPE


def test_a_paginated_list_keeps_created_ownership_is_listed() -> None:
    more = {"page": 1, "per_page": 1, "count": 1, "total_count": 2, "total_pages": 2}
    checks.created_ownership_is_listed(listing(record(), result_info=more), {ID, OTHER_ID})


# --- record_is_stable ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"filename": "ownership-challenge-other.txt"},
        {"destination_conf": CONF + "x"},
        {"submitted": "2026-11-26T11:05:01Z"},
        {"status": "success"},
        {"validated": "2026-11-26T11:06:00Z"},
    ],
    ids=["filename", "destination_conf", "submitted", "status", "validated"],
)
def test_a_record_changing_without_a_validation_breaks_record_is_stable(changes: dict[str, Any]) -> None:
    history = {ID: Seen.of(record())}
    breaks("record_is_stable", checks.record_is_stable, listing(record(**changes)), history)


def test_a_record_showing_what_it_first_showed_keeps_record_is_stable() -> None:
    history = {ID: Seen.of(record())}
    same_instant = record(submitted="2026-11-26T11:05:00.000+00:00")
    assert checks.record_is_stable(listing(record(), same_instant), history) is checks.HELD
    assert checks.record_is_stable(listing(record(id=OTHER_ID)), history) is checks.OUT_OF_SCOPE


def test_a_validation_may_change_status_and_validated_then_they_hold() -> None:
    seen = Seen.of(record()).validated_again()
    success = record(status="success", validated="2026-11-26T11:06:00Z")
    assert (
        checks.record_is_stable(validation(status="success", validated="2026-11-26T11:06:00Z"), {ID: seen})
        is checks.HELD
    )
    seen = seen.then(success)
    assert checks.record_is_stable(listing(success), {ID: seen}) is checks.HELD
    later = record(status="success", validated="2026-11-26T11:09:00Z")
    breaks("record_is_stable", checks.record_is_stable, listing(later), {ID: seen})
    breaks("record_is_stable", checks.record_is_stable, listing(record(status="failed")), {ID: seen})


def test_a_pending_record_may_settle_later_after_a_validation() -> None:
    seen = Seen.of(record()).validated_again().then(record())  # validate answered pending
    assert (
        checks.record_is_stable(listing(record(status="success", validated="2026-11-26T11:09:00Z")), {ID: seen})
        is checks.HELD
    )


# --- made_up_challenge_never_succeeds ----------------------------------------------------------------------


def test_success_with_a_made_up_challenge_breaks_made_up_challenge_never_succeeds() -> None:
    made_up = validation(status="success", validated="2026-11-26T11:06:00Z")
    breaks("made_up_challenge_never_succeeds", checks.made_up_challenge_never_succeeds, made_up)


def test_failed_or_refused_with_a_made_up_challenge_keeps_made_up_challenge_never_succeeds() -> None:
    checks.made_up_challenge_never_succeeds(validation(status="failed"))
    checks.made_up_challenge_never_succeeds(validation(400))


# --- validation_sets_status --------------------------------------------------------------------------------


def test_a_delivered_challenge_not_answered_success_breaks_validation_sets_status() -> None:
    breaks("validation_sets_status", checks.validation_sets_status, validation(status="failed"), True)
    no_time = validation(status="success", validated="")
    breaks("validation_sets_status", checks.validation_sets_status, no_time, True)
    too_early = validation(status="success", validated="2026-11-26T11:04:58Z")
    breaks("validation_sets_status", checks.validation_sets_status, too_early, True)


def test_a_delivered_challenge_answered_success_keeps_validation_sets_status() -> None:
    assert (
        checks.validation_sets_status(validation(status="success", validated="2026-11-26T11:05:00Z"), True)
        is checks.HELD
    )
    # Within the one-second resolution a server may truncate one timestamp and keep the other's fraction.
    assert (
        checks.validation_sets_status(validation(status="success", validated="2026-11-26T11:04:59.5Z"), True)
        is checks.HELD
    )
    assert (
        checks.validation_sets_status(validation(status="pending"), True) is checks.OUT_OF_SCOPE
    )  # verification takes time


def test_a_wrong_challenge_answered_success_breaks_validation_sets_status() -> None:
    wrong = validation(status="success", validated="2026-11-26T11:06:00Z")
    breaks("validation_sets_status", checks.validation_sets_status, wrong, False)


def test_a_wrong_challenge_answered_failed_or_4xx_keeps_validation_sets_status() -> None:
    assert checks.validation_sets_status(validation(status="failed"), False) is checks.HELD
    assert checks.validation_sets_status(validation(404), False) is checks.HELD
    assert checks.validation_sets_status(validation(status="pending"), False) is checks.OUT_OF_SCOPE


# --- half_credentials_are_refused --------------------------------------------------------------------------


def test_half_credentials_answered_2xx_break_half_credentials_are_refused() -> None:
    violation = breaks(
        "half_credentials_are_refused", checks.half_credentials_are_refused, listing(), "X-Auth-Key alone"
    )
    assert "X-Auth-Key alone" in violation.expected


def test_a_refused_write_that_changed_the_list_breaks_half_credentials_are_refused() -> None:
    refused = answer(None, 403)
    before, created = listing(record()), listing(record(), record(id=OTHER_ID))
    breaks(
        "half_credentials_are_refused", checks.half_credentials_are_refused, refused, "a wrong token", before, created
    )
    validated = listing(record(status="failed"))
    breaks(
        "half_credentials_are_refused", checks.half_credentials_are_refused, refused, "a wrong token", before, validated
    )
    breaks(
        "half_credentials_are_refused", checks.half_credentials_are_refused, refused, "a wrong token", before, listing()
    )


def test_a_refusal_that_changed_nothing_keeps_half_credentials_are_refused() -> None:
    checks.half_credentials_are_refused(answer(None, 401), "X-Auth-Email alone")
    checks.half_credentials_are_refused(answer(None, 403), "a wrong token", listing(record()), listing(record()))
