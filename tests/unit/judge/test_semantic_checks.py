"""The checks of what an implementation does over a run: each fails on answers that break it, passes otherwise."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pcaps_contract.judge import checks
from pcaps_contract.judge.checks import ContractViolation, Exchange, Seen

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


def validation(code: int = 200, /, **changes: Any) -> Exchange:
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


@pytest.mark.parametrize(
    "info",
    [
        {"page": 1, "per_page": 1, "count": 1, "total_count": 2, "total_pages": 2},
        {"page": 1, "total_count": 2},
        {"page": 1, "total_pages": 2},
    ],
)
def test_a_list_that_says_there_are_more_pages_is_excused_nothing(info: dict[str, Any]) -> None:
    """The spec documents no paging: a claim of more pages excuses no record left out of what was read."""
    breaks("listing_is_complete", checks.listing_is_complete, listing(record(), result_info=info), {ID, OTHER_ID})
    breaks(
        "created_ownership_is_listed",
        checks.created_ownership_is_listed,
        listing(record(), result_info=info),
        {ID, OTHER_ID},
    )


def test_a_list_showing_every_held_record_keeps_listing_is_complete() -> None:
    assert checks.listing_is_complete(listing(record(), record(id=OTHER_ID)), {ID, OTHER_ID}) is checks.HELD
    truthful = {"page": 1, "per_page": 25, "count": 2, "total_count": 2, "total_pages": 1}
    both = listing(record(), record(id=OTHER_ID), result_info=truthful)
    assert checks.listing_is_complete(both, {ID, OTHER_ID}) is checks.HELD
    assert checks.listing_is_complete(answer(None, 403, operation="list_buckets"), {ID}) is checks.OUT_OF_SCOPE


# --- pages_deliver_what_they_claim ------------------------------------------------------------------------

THIRD_ID = "0123456789abcdef0123456789abcdef"


def page(number: int, *records: dict[str, Any], total: int = 3, per_page: int = 2, status: int = 200) -> Exchange:
    info = {"page": number, "per_page": per_page, "count": len(records), "total_count": total}
    info["total_pages"] = -(-total // per_page)
    return answer(list(records), status, operation="list_buckets", result_info=info)


def test_pages_that_deliver_what_they_claim_keep_the_check() -> None:
    first, second = page(1, record(), record(id=OTHER_ID)), page(2, record(id=THIRD_ID))
    assert checks.pages_deliver_what_they_claim(first, [second]) is checks.HELD
    single = page(1, record(), record(id=OTHER_ID), total=2, per_page=25)
    assert checks.pages_deliver_what_they_claim(single, []) is checks.HELD  # a truthful single page
    # One answer counting fewer than it shows claims no other page (completeness judges the records).
    undercounted = page(1, record(), record(id=OTHER_ID), total=0, per_page=25)
    assert checks.pages_deliver_what_they_claim(undercounted, []) is checks.HELD
    assert checks.pages_deliver_what_they_claim(listing(record()), []) is checks.OUT_OF_SCOPE  # no result_info
    assert checks.pages_deliver_what_they_claim(answer(None, 403, operation="list_buckets"), []) is checks.OUT_OF_SCOPE
    # Fewer pages read than claimed (the reader's bound): what was read is judged, the total is not.
    many = page(1, record(), record(id=OTHER_ID), total=40)
    assert checks.pages_deliver_what_they_claim(many, [page(2, record(id=THIRD_ID))]) is checks.HELD


@pytest.mark.parametrize(
    ("later", "words"),
    [
        ([page(2)], "records on page 2 of the 2"),  # a page 2 that is empty
        ([page(2, record())], "page 2 of the 2 the first answer's `result_info` claims showing records"),  # repeats
        ([page(2, record(id=THIRD_ID), status=404)], "status 200 for page 2"),
        ([page(2, record(id=THIRD_ID), record(id="f" * 32))], "as many records in the 2 page(s)"),  # total contradicted
    ],
    ids=["empty", "repeats", "refused", "total"],
)
def test_pages_that_do_not_deliver_what_they_claim_break_the_check(later: list[Exchange], words: str) -> None:
    violation = breaks(
        "pages_deliver_what_they_claim",
        checks.pages_deliver_what_they_claim,
        page(1, record(), record(id=OTHER_ID)),
        later,
    )
    assert words in violation.expected


def test_a_single_page_counting_more_than_it_shows_breaks_pages_deliver_what_they_claim() -> None:
    """A total that never arrives: one page of one, whose `total_count` says five."""
    cut = listing(record(), result_info={"page": 1, "per_page": 25, "count": 1, "total_count": 5, "total_pages": 1})
    violation = breaks("pages_deliver_what_they_claim", checks.pages_deliver_what_they_claim, cut, [])
    assert violation.received == "1 record(s) in all"


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


def test_a_list_refused_to_one_style_of_the_run_breaks_given_credentials_are_accepted() -> None:
    for status in (401, 403):
        breaks(
            "given_credentials_are_accepted",
            checks.given_credentials_are_accepted,
            answer(None, status, "list_buckets"),
            "a",
        )


def test_a_list_answered_keeps_given_credentials_are_accepted() -> None:
    assert checks.given_credentials_are_accepted(listing(record()), "the API token") is checks.HELD
    # A throttled or failing list says nothing of the credentials: other checks judge it.
    assert (
        checks.given_credentials_are_accepted(answer(None, 429, "list_buckets"), "the API token") is checks.OUT_OF_SCOPE
    )
    assert (
        checks.given_credentials_are_accepted(answer(None, 500, "list_buckets"), "the API token") is checks.OUT_OF_SCOPE
    )


def test_a_refusal_that_changed_nothing_keeps_half_credentials_are_refused() -> None:
    checks.half_credentials_are_refused(answer(None, 401), "X-Auth-Email alone")
    checks.half_credentials_are_refused(answer(None, 403), "a wrong token", listing(record()), listing(record()))


# --- every violation's message, word for word ----------------------------------------------------------

T1, T2 = "2026-11-26T11:06:00Z", "2026-11-26T11:09:00Z"
SUCCESS = {"status": "success", "validated": T1}
ALL_LISTED = (
    "all 2 ownerships the account holds listed (the spec documents no paging: `result_info` excuses none missing)"
)
VIOLATIONS = [
    pytest.param(
        checks.ownership_id_is_new,
        answer(record()),
        ({ID},),
        "an `id` no earlier answer of the run returned",
        '`id: "9883874ecac311ec8475433579a6bf5f"`, returned before',
        id="ownership_id_is_new-1",
    ),
    pytest.param(
        checks.listed_ids_are_unique,
        listing(record(), record()),
        (),
        "each ownership listed once",
        "listed more than once: 9883874ecac311ec8475433579a6bf5f",
        id="listed_ids_are_unique-1",
    ),
    pytest.param(
        checks.listing_is_complete,
        listing(record()),
        ({ID, OTHER_ID},),
        ALL_LISTED,
        "1 listed without 4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b; no `result_info` field",
        id="listing_is_complete-1",
    ),
    pytest.param(
        checks.listing_is_complete,
        listing(record(), result_info={"page": 2, "total_pages": 2}),
        ({ID, OTHER_ID},),
        ALL_LISTED,
        '1 listed without 4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b; `result_info: {"page": 2, "total_pages": 2}`',
        id="listing_is_complete-2",
    ),
    pytest.param(
        checks.record_is_stable,
        listing(record(filename="other.txt")),
        ({ID: Seen.of(record())},),
        f'`filename: "ownership-challenge-{ID}.txt"` for {ID}, as first shown',
        '`filename: "other.txt"`',
        id="record_is_stable-1",
    ),
    pytest.param(
        checks.record_is_stable,
        listing(record(status="success")),
        ({ID: Seen.of(record())},),
        '`status: "pending"` for 9883874ecac311ec8475433579a6bf5f (no validation was sent)',
        '`status: "success"`',
        id="record_is_stable-2",
    ),
    pytest.param(
        checks.record_is_stable,
        listing(record(validated=T1)),
        ({ID: Seen.of(record())},),
        "an empty `validated` for 9883874ecac311ec8475433579a6bf5f (no validation was sent)",
        '`validated: "2026-11-26T11:06:00Z"`',
        id="record_is_stable-3",
    ),
    pytest.param(
        checks.record_is_stable,
        listing(record(status="failed", validated=T1)),
        ({ID: Seen.of(record()).validated_again().then(record(**SUCCESS))},),
        '`status: "success"` for 9883874ecac311ec8475433579a6bf5f, as last shown (no validation since)',
        '`status: "failed"`',
        id="record_is_stable-4",
    ),
    pytest.param(
        checks.record_is_stable,
        listing(record(status="success", validated=T2)),
        ({ID: Seen.of(record()).validated_again().then(record(**SUCCESS))},),
        '`validated: "2026-11-26T11:06:00Z"` for 9883874ecac311ec8475433579a6bf5f, as last shown (no validation since)',
        '`validated: "2026-11-26T11:09:00Z"`',
        id="record_is_stable-5",
    ),
    pytest.param(
        checks.made_up_challenge_never_succeeds,
        validation(**SUCCESS),
        (),
        "anything but `status: success` for a challenge the server never delivered",
        'status 200 with `status: "success"`',
        id="made_up_challenge_never_succeeds-1",
    ),
    pytest.param(
        checks.validation_sets_status,
        validation(status="failed"),
        (True,),
        '`status: "success"` validating with the challenge the server delivered',
        'status 200 with `status: "failed"`',
        id="validation_sets_status-1",
    ),
    pytest.param(
        checks.validation_sets_status,
        validation(status="success", validated=""),
        (True,),
        '`validated`: an RFC 3339 time not before `submitted` ("2026-11-26T11:05:00Z") after a success',
        '`validated: ""`',
        id="validation_sets_status-2",
    ),
    pytest.param(
        checks.validation_sets_status,
        validation(**SUCCESS),
        (False,),
        '`status: "failed"` (or a 4xx) validating with a wrong challenge',
        'status 200 with `status: "success"`',
        id="validation_sets_status-3",
    ),
    pytest.param(
        checks.validation_sets_status,
        validation(500),
        (False,),
        '`status: "failed"` (or a 4xx) validating with a wrong challenge',
        "status 500 with no result",
        id="validation_sets_status-4",
    ),
    pytest.param(
        checks.half_credentials_are_refused,
        listing(),
        ("X-Auth-Key alone",),
        "401 or 403 for X-Auth-Key alone",
        "status 200",
        id="half_credentials_are_refused-1",
    ),
    pytest.param(
        checks.half_credentials_are_refused,
        answer(None, 403),
        (
            "a wrong token",
            listing(record()),
            listing(record(status="failed")),
        ),
        "nothing created, deleted or validated by a request with a wrong token",
        "changed between the lists before and after it: 9883874ecac311ec8475433579a6bf5f",
        id="half_credentials_are_refused-2",
    ),
    pytest.param(
        checks.given_credentials_are_accepted,
        answer(None, 403, "list_buckets"),
        ("the X-Auth-Email + X-Auth-Key pair",),
        "the list answered for the X-Auth-Email + X-Auth-Key pair",
        "status 403",
        id="given_credentials_are_accepted",
    ),
]


@pytest.mark.parametrize(("check", "exchange", "args", "expected", "received"), VIOLATIONS)
def test_each_check_names_and_words_its_violation(
    check: checks.ModelCheck, exchange: Exchange, args: tuple[Any, ...], expected: str, received: str
) -> None:
    violation = breaks(check.name, check, exchange, *args)
    assert (violation.expected, violation.received) == (expected, received)


# --- the rules at their edges --------------------------------------------------------------------------


def test_an_add_answering_no_record_is_outside_nothing_but_keeps_ownership_id_is_new() -> None:
    assert checks.ownership_id_is_new(answer(None), {ID}) is checks.HELD


@pytest.mark.parametrize(
    ("info", "more", "pages"),
    [
        ({"total_pages": 2}, True, 2),  # `page` defaults to 1: page 1 of 2
        ({"page": 2, "total_pages": 2}, False, 2),  # the last page: nothing more to come
        ({"per_page": 25}, False, 1),  # no count at all says nothing of more
        ({"total_count": 1}, False, 1),  # counts exactly the one shown
        ({"total_count": 2}, True, 2),  # two, one a page (the records shown, without `per_page`)
        ({"total_count": 51, "per_page": 25}, True, 3),
        ({"total_pages": 2.5}, True, 3),
        ({"total_pages": True}, False, 1),  # a boolean is no count
        ({"total_count": 2, "per_page": 0}, True, 2),  # no usable page size: the records shown are one page
    ],
)
def test_result_info_claims_more_only_when_it_counts_more(info: dict[str, Any], more: bool, pages: int) -> None:
    cut_short = listing(record(), result_info=info)
    assert checks.claims_more(cut_short) is more
    assert checks.claimed_pages(cut_short) == pages


def test_a_record_without_an_id_is_outside_record_is_stable() -> None:
    no_id = {key: value for key, value in record().items() if key != "id"}
    assert checks.record_is_stable(listing(no_id), {ID: Seen.of(record())}) is checks.OUT_OF_SCOPE


def test_a_field_first_shown_as_null_then_missing_breaks_record_is_stable() -> None:
    history = {ID: Seen.of(record(filename=None))}
    no_filename = {key: value for key, value in record().items() if key != "filename"}
    breaks("record_is_stable", checks.record_is_stable, listing(no_filename), history)


def test_a_record_first_seen_after_a_validation_may_settle_but_keeps_its_validated() -> None:
    assert checks.record_is_stable(listing(record(**SUCCESS)), {ID: Seen.of(record(), 1)}) is checks.HELD
    assert checks.record_is_stable(listing(record(status="failed")), {ID: Seen.of(record(), 1)}) is checks.HELD
    settled = {ID: Seen.of(record(**SUCCESS), 1)}
    breaks("record_is_stable", checks.record_is_stable, listing(record(status="success", validated=T2)), settled)


def test_a_validation_on_its_way_leaves_the_record_free_to_change() -> None:
    twice = Seen.of(record()).validated_again().validated_again()
    assert checks.record_is_stable(listing(record(**SUCCESS)), {ID: twice}) is checks.HELD
    again = Seen.of(record(**SUCCESS), 1).validated_again()
    assert checks.record_is_stable(listing(record(status="failed", validated=T2)), {ID: again}) is checks.HELD


def test_a_refusal_of_a_wrong_challenge_anywhere_in_4xx_keeps_validation_sets_status() -> None:
    assert checks.validation_sets_status(validation(400), False) is checks.HELD
    assert checks.validation_sets_status(validation(499), False) is checks.HELD
    breaks("validation_sets_status", checks.validation_sets_status, validation(500), False)


def test_a_validated_exactly_one_second_before_submitted_keeps_validation_sets_status() -> None:
    at_the_edge = validation(status="success", validated="2026-11-26T11:04:59Z")
    assert checks.validation_sets_status(at_the_edge, True) is checks.HELD


def test_lists_around_a_refusal_are_compared_only_when_both_answered_200() -> None:
    refused, before = answer(None, 403), listing(record())
    assert checks.half_credentials_are_refused(refused, "a wrong token", before, answer(None, 403)) is checks.HELD
    assert checks.half_credentials_are_refused(refused, "a wrong token", answer(None, 429), before) is checks.HELD
    assert checks.half_credentials_are_refused(refused, "a wrong token", before, None) is checks.HELD
    assert checks.half_credentials_are_refused(refused, "a wrong token", None, before) is checks.HELD


def test_a_refused_write_that_set_validated_breaks_half_credentials_are_refused() -> None:
    refused, before, after = answer(None, 403), listing(record()), listing(record(validated=T1))
    breaks("half_credentials_are_refused", checks.half_credentials_are_refused, refused, "a wrong token", before, after)


def test_a_record_that_never_shows_validated_keeps_record_is_stable() -> None:
    bare = {key: value for key, value in record().items() if key != "validated"}
    assert checks.record_is_stable(listing(bare), {ID: Seen.of(record())}) is checks.HELD
    assert checks.record_is_stable(listing(bare), {ID: Seen.of(bare, 1)}) is checks.HELD
    since = Seen.of(record()).validated_again().then(bare)
    assert checks.record_is_stable(listing(bare), {ID: since}) is checks.HELD
