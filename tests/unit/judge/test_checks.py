"""Each contract check fails on a response that breaks its rule and passes on one that keeps it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.judge import checks
from pcaps_contract.judge.checks import ContractViolation, Exchange, Policy, Verdict
from pcaps_contract.openapi import api

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
POLICY = Policy(now=lambda: NOW)
CONF = "s3://pcaps-bucket?region=us-east-1"


def record(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "9883874ecac311ec8475433579a6bf5f",
        "destination_conf": CONF,
        "filename": "ownership-challenge-9883874ecac311ec8475433579a6bf5f.txt",
        "status": "pending",
        "submitted": "2026-11-26T11:05:00Z",
        "validated": "",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def answer(status: int = 200, operation: str = "add_bucket", sent: Any = None, **body: Any) -> Exchange:
    envelope: dict[str, Any] = {"errors": [], "messages": [], "success": 200 <= status < 300}
    envelope["result"] = record() if 200 <= status < 300 else None
    envelope.update(body)
    envelope = {key: value for key, value in envelope.items() if value is not ...}
    return Exchange(
        operation,
        "POST",
        "http://x/accounts/a/pcaps/ownership",
        status,
        json.dumps(envelope).encode(),
        request_body=sent if sent is not None else {"destination_conf": CONF},
    )


def failure(status: int = 404, **body: Any) -> Exchange:
    return answer(status, **{"errors": [{"code": 1004, "message": "not found"}], **body})


def violated(check: Any, exchange: Exchange) -> str:
    with pytest.raises(ContractViolation) as caught:
        check(exchange, POLICY)
    assert caught.value.check == check.__name__
    assert str(caught.value).startswith("Expected: ") and "\nReceived: " in str(caught.value)
    return caught.value.received


# --- success_matches_status ------------------------------------------------------------------------


def test_success_false_on_a_200_breaks_success_matches_status() -> None:
    assert "false" in violated(checks.success_matches_status, answer(success=False))


def test_success_true_on_a_404_breaks_success_matches_status() -> None:
    violated(checks.success_matches_status, failure(success=True))


def test_a_missing_success_breaks_success_matches_status() -> None:
    assert violated(checks.success_matches_status, answer(success=...)) == "no `success` field"


def test_success_matching_the_status_keeps_success_matches_status() -> None:
    assert checks.success_matches_status(answer(), POLICY) is checks.HELD
    assert checks.success_matches_status(failure(), POLICY) is checks.HELD


def test_a_body_that_is_not_json_is_outside_success_matches_status() -> None:
    assert (
        checks.success_matches_status(Exchange("add_bucket", "POST", "u", 502, b"<html>"), POLICY)
        is checks.OUT_OF_SCOPE
    )


# --- success_has_result ----------------------------------------------------------------------------


def test_a_success_without_result_breaks_success_has_result() -> None:
    violated(checks.success_has_result, answer(result=...))


def test_a_null_result_on_add_breaks_success_has_result() -> None:
    violated(checks.success_has_result, answer(result=None))


def test_a_null_result_on_list_keeps_success_has_result() -> None:
    assert checks.success_has_result(answer(operation="list_buckets", result=None), POLICY) is checks.HELD


def test_an_ownership_result_keeps_success_has_result() -> None:
    assert checks.success_has_result(answer(), POLICY) is checks.HELD


# --- failure_has_null_result and failure_has_errors -------------------------------------------------


def test_a_result_on_a_failure_breaks_failure_has_null_result() -> None:
    violated(checks.failure_has_null_result, failure(result={}))


def test_a_failure_without_result_breaks_failure_has_null_result() -> None:
    violated(checks.failure_has_null_result, failure(result=...))


def test_a_null_result_on_a_failure_keeps_failure_has_null_result() -> None:
    assert checks.failure_has_null_result(failure(), POLICY) is checks.HELD
    assert checks.failure_has_null_result(answer(), POLICY) is checks.OUT_OF_SCOPE


def test_empty_errors_on_a_failure_break_failure_has_errors() -> None:
    assert violated(checks.failure_has_errors, failure(errors=[])) == "`errors: []`"


def test_one_error_on_a_failure_keeps_failure_has_errors() -> None:
    assert checks.failure_has_errors(failure(), POLICY) is checks.HELD


# --- no_content_has_empty_body ---------------------------------------------------------------------


def test_a_204_with_a_body_breaks_no_content_has_empty_body() -> None:
    violated(checks.no_content_has_empty_body, Exchange("delete_bucket", "DELETE", "u", 204, b"{}"))


def test_an_empty_204_keeps_no_content_has_empty_body() -> None:
    assert checks.no_content_has_empty_body(Exchange("delete_bucket", "DELETE", "u", 204), POLICY) is checks.HELD
    assert checks.no_content_has_empty_body(answer(), POLICY) is checks.OUT_OF_SCOPE


# --- timestamps ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "submitted", ["2026-11-26 11:05:00Z", "2026-11-26T11:05:00", "2026-11-26", "2026-13-26T11:05:00Z", "yesterday", 5]
)
def test_a_submitted_that_is_not_rfc3339_breaks_timestamps_are_rfc3339(submitted: Any) -> None:
    violated(checks.timestamps_are_rfc3339, answer(result=record(submitted=submitted)))


@pytest.mark.parametrize(
    "submitted",
    ["2026-11-26T11:05:00Z", "2026-11-26T11:05:00.123456+02:00", "2026-11-26t11:05:00z", "2016-12-31T23:59:60Z"],
)
def test_an_rfc3339_submitted_keeps_timestamps_are_rfc3339(submitted: str) -> None:
    assert checks.timestamps_are_rfc3339(answer(result=record(submitted=submitted)), POLICY) is checks.HELD


def test_a_pending_ownership_may_have_empty_validated() -> None:
    assert checks.timestamps_are_rfc3339(answer(result=record(validated="")), POLICY) is checks.HELD


def test_a_validated_without_offset_breaks_timestamps_are_rfc3339() -> None:
    violated(checks.timestamps_are_rfc3339, answer(result=record(validated="2026-11-26T11:06:00")))


def test_timestamps_of_every_listed_ownership_are_checked() -> None:
    listing = answer(operation="list_buckets", result=[record(), record(submitted="2026-11-26 11:05:00Z")])
    violated(checks.timestamps_are_rfc3339, listing)


def test_a_submitted_a_day_ahead_breaks_submitted_is_not_in_future() -> None:
    violated(checks.submitted_is_not_in_future, answer(result=record(submitted="2026-11-27T12:00:00Z")))


def test_a_submitted_within_the_clock_skew_keeps_submitted_is_not_in_future() -> None:
    assert (
        checks.submitted_is_not_in_future(answer(result=record(submitted="2026-11-26T12:04:00Z")), POLICY)
        is checks.HELD
    )
    strict = Policy(clock_skew=timedelta(0), now=lambda: NOW)
    with pytest.raises(ContractViolation):
        checks.submitted_is_not_in_future(answer(result=record(submitted="2026-11-26T12:04:00Z")), strict)


def test_a_validated_before_submitted_breaks_validated_is_not_before_submitted() -> None:
    broken = answer(result=record(status="success", validated="2026-11-26T11:04:58Z"))
    violated(checks.validated_is_not_before_submitted, broken)


def test_a_validated_truncated_to_the_second_keeps_validated_is_not_before_submitted() -> None:
    kept = answer(
        result=record(status="success", submitted="2026-11-26T11:05:00.900Z", validated="2026-11-26T11:05:00Z")
    )
    assert checks.validated_is_not_before_submitted(kept, POLICY) is checks.HELD


def test_a_validated_after_submitted_keeps_validated_is_not_before_submitted() -> None:
    kept = answer(result=record(status="success", validated="2026-11-26T13:05:00+02:00"))
    assert checks.validated_is_not_before_submitted(kept, POLICY) is checks.HELD
    assert (
        checks.validated_is_not_before_submitted(answer(), POLICY) is checks.OUT_OF_SCOPE
    )  # pending: nothing to compare


# --- destination_conf_is_echoed ----------------------------------------------------------------------


def test_another_destination_conf_breaks_destination_conf_is_echoed() -> None:
    received = violated(checks.destination_conf_is_echoed, answer(sent={"destination_conf": "gs://other"}))
    assert CONF in received


def test_the_sent_destination_conf_keeps_destination_conf_is_echoed() -> None:
    assert checks.destination_conf_is_echoed(answer(), POLICY) is checks.HELD
    validate = answer(operation="validate_bucket", sent={"destination_conf": CONF, "ownership_challenge": "x"})
    assert checks.destination_conf_is_echoed(validate, POLICY) is checks.HELD


def test_a_list_is_outside_destination_conf_is_echoed() -> None:
    assert (
        checks.destination_conf_is_echoed(answer(operation="list_buckets", result=[record()]), POLICY)
        is checks.OUT_OF_SCOPE
    )


# --- what the real API legitimately does passes every response check ------------------------------


def test_extra_fields_result_info_and_messages_pass_every_response_check() -> None:
    listing = answer(
        operation="list_buckets",
        result=[record(bucket_region="auto")],
        result_info={"page": 1, "per_page": 25, "count": 1, "total_count": 1, "total_pages": 1},
        messages=[{"code": 10050, "message": "deprecated soon"}],
        request_id="c0ffee",
    )
    assert [violation for _, violation in checks.run_response_checks(listing, POLICY)] == [None] * 4


def test_run_response_checks_names_only_the_checks_that_applied() -> None:
    names = [name for name, _ in checks.run_response_checks(failure(403), POLICY)]
    assert names == ["success_matches_status", "failure_has_null_result", "failure_has_errors"]


# --- the lifecycle and tenancy ------------------------------------------------------------------------

ID, OTHER_ID = "9883874ecac311ec8475433579a6bf5f", "4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b"


def listing(*ids: str, status: int = 200) -> Exchange:
    return answer(status, operation="list_buckets", result=[record(id=i) for i in ids] if status == 200 else None)


def deletion(status: int) -> Exchange:
    return Exchange("delete_bucket", "DELETE", "u", status)


def test_a_list_missing_a_created_id_breaks_created_ownership_is_listed() -> None:
    with pytest.raises(ContractViolation, match="Expected: status 200 listing the created ids " + OTHER_ID):
        checks.created_ownership_is_listed(listing(ID), {ID, OTHER_ID})


def test_a_list_with_every_created_id_keeps_created_ownership_is_listed() -> None:
    checks.created_ownership_is_listed(listing(ID, OTHER_ID), {ID})
    checks.created_ownership_is_listed(answer(operation="list_buckets", result=None), set())


def test_a_deleted_id_still_listed_breaks_deleted_ownership_is_not_listed() -> None:
    with pytest.raises(ContractViolation):
        checks.deleted_ownership_is_not_listed(listing(ID), {ID})
    checks.deleted_ownership_is_not_listed(listing(OTHER_ID), {ID})


def test_deleting_an_existing_ownership_answers_204() -> None:
    with pytest.raises(ContractViolation):
        checks.created_ownership_can_be_deleted(deletion(404))
    checks.created_ownership_can_be_deleted(deletion(204))


def test_a_second_delete_answering_204_breaks_second_delete_is_not_found() -> None:
    with pytest.raises(ContractViolation, match="Received: status 204"):
        checks.second_delete_is_not_found(deletion(204))
    checks.second_delete_is_not_found(deletion(404))


def test_validate_answering_another_id_breaks_validate_returns_same_id() -> None:
    with pytest.raises(ContractViolation):
        checks.validate_returns_same_id(answer(operation="validate_bucket", result=record(id=OTHER_ID)), {ID})
    with pytest.raises(ContractViolation):
        checks.validate_returns_same_id(failure(404, operation="validate_bucket"), {ID})
    checks.validate_returns_same_id(answer(operation="validate_bucket"), {ID})


def test_another_accounts_id_in_a_list_breaks_foreign_ownership_is_not_listed() -> None:
    with pytest.raises(ContractViolation):
        checks.foreign_ownership_is_not_listed(listing(ID, OTHER_ID), {OTHER_ID})
    checks.foreign_ownership_is_not_listed(listing(ID), {OTHER_ID})


def test_validate_answering_another_accounts_record_breaks_foreign_ownership_is_not_validated() -> None:
    with pytest.raises(ContractViolation):
        checks.foreign_ownership_is_not_validated(answer(operation="validate_bucket"), {ID})
    checks.foreign_ownership_is_not_validated(failure(404), {ID})
    checks.foreign_ownership_is_not_validated(answer(operation="validate_bucket", result=record(id=OTHER_ID)), {ID})


def test_deleting_another_accounts_ownership_breaks_foreign_ownership_is_not_deleted() -> None:
    with pytest.raises(ContractViolation):
        checks.foreign_ownership_is_not_deleted(deletion(204))
    checks.foreign_ownership_is_not_deleted(deletion(404))
    checks.foreign_ownership_is_not_deleted(deletion(403))


# --- the registry ---------------------------------------------------------------------------------------


def test_every_check_is_registered_under_its_function_name_in_report_order() -> None:
    assert list(checks.CHECKS) == [*checks.RESPONSE_CHECKS, *checks.LIFECYCLE_CHECKS, *checks.TENANCY_CHECKS]
    for name, check in checks.CHECKS.items():
        assert check.name == name == check.__name__ == check.function.__name__
        assert getattr(checks, name) is check


def test_a_second_check_of_the_same_name_is_refused() -> None:
    with pytest.raises(ValueError, match="success_matches_status is already registered"):
        checks.lifecycle_check(judges={api.LIST})(checks.success_matches_status.function)
    assert "success_matches_status" not in checks.LIFECYCLE_CHECKS


# --- every violation's message, word for word (reports, JUnit and the CLI snapshots show them) ------------

RESPONSE_VIOLATIONS = [
    pytest.param(
        checks.success_has_result,
        answer(result=["x"]),
        "`result`: the Ownership object",
        '`result: ["x"]`',
        id="success_has_result-list",
    ),
    pytest.param(
        checks.success_matches_status,
        answer(success=False),
        "`success: true` with status 200",
        "`success: false`",
        id="success_matches_status",
    ),
    pytest.param(
        checks.success_matches_status,
        failure(success=...),
        "`success: false` with status 404",
        "no `success` field",
        id="success_matches_status",
    ),
    pytest.param(
        checks.success_has_result,
        answer(result=...),
        "`result`: the Ownership object",
        "no `result` field",
        id="success_has_result",
    ),
    pytest.param(
        checks.success_has_result,
        answer(result=None),
        "`result`: the Ownership object",
        "`result: null`",
        id="success_has_result",
    ),
    pytest.param(
        checks.success_has_result,
        answer(operation="list_buckets", result=...),
        "a `result` field",
        "no `result` field",
        id="success_has_result",
    ),
    pytest.param(
        checks.failure_has_null_result,
        failure(result={"id": "x"}),
        "`result: null` with status 404",
        '`result: {"id": "x"}`',
        id="failure_has_null_result",
    ),
    pytest.param(
        checks.failure_has_null_result,
        failure(result=...),
        "`result: null` with status 404",
        "no `result` field",
        id="failure_has_null_result",
    ),
    pytest.param(
        checks.failure_has_errors,
        failure(errors=[]),
        "at least one entry in `errors` with status 404",
        "`errors: []`",
        id="failure_has_errors",
    ),
    pytest.param(
        checks.no_content_has_empty_body,
        Exchange("delete_bucket", "DELETE", "u", 204, b"x" * 130),
        "an empty body with status 204",
        f"130 bytes: {b'x' * 120!r}",
        id="no_content_has_empty_body",
    ),
    pytest.param(
        checks.timestamps_are_rfc3339,
        answer(result=record(submitted="2026-11-26 11:05:00Z")),
        "`submitted` as an RFC 3339 date-time (`2026-11-26T11:05:00Z`: a `T`, then `Z` or an offset)",
        '`submitted: "2026-11-26 11:05:00Z"`',
        id="timestamps_are_rfc3339",
    ),
    pytest.param(
        checks.timestamps_are_rfc3339,
        answer(result=record(validated=5)),
        "`validated` as an RFC 3339 date-time (`2026-11-26T11:05:00Z`: a `T`, then `Z` or an offset)",
        "`validated: 5`",
        id="timestamps_are_rfc3339",
    ),
    pytest.param(
        checks.submitted_is_not_in_future,
        answer(result=record(submitted="2026-11-27T12:00:00Z")),
        "`submitted` at or before 2026-11-26T12:05:00+00:00 (now + 0:05:00)",
        '`submitted: "2026-11-27T12:00:00Z"`',
        id="submitted_is_not_in_future",
    ),
    pytest.param(
        checks.validated_is_not_before_submitted,
        answer(result=record(status="success", validated="2026-11-26T11:04:58Z")),
        "`validated` at or after `submitted` (2026-11-26T11:05:00Z)",
        '`validated: "2026-11-26T11:04:58Z"`',
        id="validated_is_not_before_submitted",
    ),
    pytest.param(
        checks.destination_conf_is_echoed,
        answer(sent={"destination_conf": "s3://bücket-" + "a" * 200}),
        '`destination_conf: "s3://bücket-' + "a" * 186 + "…`",
        '`destination_conf: "s3://pcaps-bucket?region=us-east-1"`',
        id="destination_conf_is_echoed",
    ),
]
MODEL_VIOLATIONS = [
    pytest.param(
        checks.created_ownership_is_listed,
        listing(status=403),
        ({ID, OTHER_ID},),
        f"status 200 listing the created ids {OTHER_ID}, {ID}",
        "status 403 listing none",
        id="created_ownership_is_listed-two",
    ),
    pytest.param(
        checks.created_ownership_is_listed,
        listing(ID),
        ({ID, OTHER_ID},),
        "status 200 listing the created ids 4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b",
        "status 200 listing 9883874ecac311ec8475433579a6bf5f",
        id="created_ownership_is_listed",
    ),
    pytest.param(
        checks.created_ownership_is_listed,
        listing(status=403),
        ({ID},),
        "status 200 listing the created ids 9883874ecac311ec8475433579a6bf5f",
        "status 403 listing none",
        id="created_ownership_is_listed",
    ),
    pytest.param(
        checks.created_ownership_is_listed,
        answer(201, operation="list_buckets", result=[record(id=ID)]),
        ({ID},),
        "status 200 listing the created ids 9883874ecac311ec8475433579a6bf5f",
        "status 201 listing 9883874ecac311ec8475433579a6bf5f",
        id="created_ownership_is_listed",
    ),
    pytest.param(
        checks.deleted_ownership_is_not_listed,
        listing(ID, OTHER_ID),
        ({ID},),
        "deleted ids gone from the list",
        "still listed: 9883874ecac311ec8475433579a6bf5f",
        id="deleted_ownership_is_not_listed",
    ),
    pytest.param(
        checks.created_ownership_can_be_deleted,
        deletion(404),
        (),
        "status 204 deleting an existing ownership",
        "status 404",
        id="created_ownership_can_be_deleted",
    ),
    pytest.param(
        checks.second_delete_is_not_found,
        deletion(204),
        (),
        "status 404 deleting an already deleted ownership",
        "status 204",
        id="second_delete_is_not_found",
    ),
    pytest.param(
        checks.validate_returns_same_id,
        answer(operation="validate_bucket", result=record(id=OTHER_ID)),
        ({ID},),
        "status 200 with `id` one of 9883874ecac311ec8475433579a6bf5f",
        'status 200 with `id: "4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b"`',
        id="validate_returns_same_id",
    ),
    pytest.param(
        checks.validate_returns_same_id,
        failure(404, operation="validate_bucket"),
        ({ID},),
        "status 200 with `id` one of 9883874ecac311ec8475433579a6bf5f",
        "status 404 with no result",
        id="validate_returns_same_id",
    ),
    pytest.param(
        checks.foreign_ownership_is_not_listed,
        listing(ID, OTHER_ID),
        ({OTHER_ID},),
        "no ownership of another account listed",
        "listed: 4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b",
        id="foreign_ownership_is_not_listed",
    ),
    pytest.param(
        checks.foreign_ownership_is_not_validated,
        answer(operation="validate_bucket"),
        ({ID},),
        "no ownership of another account in the answer (404, or this account's own record)",
        "status 200 with id 9883874ecac311ec8475433579a6bf5f",
        id="foreign_ownership_is_not_validated",
    ),
    pytest.param(
        checks.foreign_ownership_is_not_deleted,
        deletion(204),
        (),
        "a refusal (404 or 403) deleting another account's ownership",
        "status 204",
        id="foreign_ownership_is_not_deleted",
    ),
]


@pytest.mark.parametrize(("check", "exchange", "expected", "received"), RESPONSE_VIOLATIONS)
def test_each_response_check_names_and_words_its_violation(
    check: checks.ResponseCheck, exchange: Exchange, expected: str, received: str
) -> None:
    with pytest.raises(ContractViolation) as caught:
        check(exchange, POLICY)
    assert (caught.value.check, caught.value.expected, caught.value.received) == (check.name, expected, received)
    assert str(caught.value) == f"Expected: {expected}\nReceived: {received}"


@pytest.mark.parametrize(("check", "exchange", "args", "expected", "received"), MODEL_VIOLATIONS)
def test_each_lifecycle_and_tenancy_check_names_and_words_its_violation(
    check: checks.ModelCheck, exchange: Exchange, args: tuple[Any, ...], expected: str, received: str
) -> None:
    with pytest.raises(ContractViolation) as caught:
        check(exchange, *args)
    assert (caught.value.check, caught.value.expected, caught.value.received) == (check.name, expected, received)


# --- the rules at their edges --------------------------------------------------------------------------


def test_a_failure_shows_no_ownerships_even_with_a_result() -> None:
    broken = failure(result=record(submitted="yesterday"))
    assert list(broken.ownerships()) == []
    assert checks.timestamps_are_rfc3339(broken, POLICY) is checks.OUT_OF_SCOPE


def test_a_submitted_exactly_at_now_plus_the_clock_skew_keeps_submitted_is_not_in_future() -> None:
    at_the_edge = answer(result=record(submitted="2026-11-26T12:05:00Z"))
    assert checks.submitted_is_not_in_future(at_the_edge, POLICY) is checks.HELD
    violated(checks.submitted_is_not_in_future, answer(result=record(submitted="2026-11-26T12:05:00.001Z")))


def test_a_validated_exactly_one_second_before_submitted_keeps_validated_is_not_before_submitted() -> None:
    at_the_edge = answer(result=record(status="success", validated="2026-11-26T11:04:59Z"))
    assert checks.validated_is_not_before_submitted(at_the_edge, POLICY) is checks.HELD
    too_early = answer(result=record(status="success", validated="2026-11-26T11:04:58.999Z"))
    violated(checks.validated_is_not_before_submitted, too_early)


def test_a_record_after_one_out_of_scope_is_still_judged_by_each_timestamp_check() -> None:
    without_submitted = record(submitted=None, validated="2026-11-26 11:06:00Z")
    violated(checks.timestamps_are_rfc3339, answer(result=without_submitted))
    future = record(id="4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b", submitted="2026-11-27T12:00:00Z")
    listed = answer(operation="list_buckets", result=[record(submitted="not a time"), future])
    violated(checks.submitted_is_not_in_future, listed)
    early = record(status="success", validated="2026-11-26T11:04:58Z")
    violated(checks.validated_is_not_before_submitted, answer(operation="list_buckets", result=[record(), early]))


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2026-11-26T13:05:00+02:00", datetime(2026, 11, 26, 11, 5, tzinfo=UTC)),
        ("2026-11-26T06:35:00-04:30", datetime(2026, 11, 26, 11, 5, tzinfo=UTC)),
        ("2026-11-26t11:05:00z", datetime(2026, 11, 26, 11, 5, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2016-12-31T23:59:60.5+00:00", datetime(2016, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)),
    ],
)
def test_parse_rfc3339_reads_offsets_and_leap_seconds(text: str, instant: datetime) -> None:
    assert checks.parse_rfc3339(text) == instant


def test_an_offset_moves_submitted_into_or_out_of_the_future() -> None:
    # 14:04 at +02:00 is 12:04 UTC: within the skew; read without its offset it would be two hours ahead.
    within = answer(result=record(submitted="2026-11-26T14:04:00+02:00"))
    assert checks.submitted_is_not_in_future(within, POLICY) is checks.HELD
    violated(checks.submitted_is_not_in_future, answer(result=record(submitted="2026-11-26T12:06:00-00:00")))
    violated(checks.submitted_is_not_in_future, answer(result=record(submitted="2026-11-26T08:06:00-04:00")))


def test_a_leap_second_validated_keeps_validated_is_not_before_submitted() -> None:
    leap = answer(result=record(status="success", submitted="2016-12-31T23:59:59Z", validated="2016-12-31T23:59:60Z"))
    assert checks.validated_is_not_before_submitted(leap, POLICY) is checks.HELD


@pytest.mark.parametrize(
    "exchange",
    [
        answer(sent=["not", "an", "object"]),
        answer(sent="destination_conf"),
        answer(sent={"ownership_challenge": "x"}),
        answer(sent={"destination_conf": 5}),
        answer(result=None),
        answer(operation="list_buckets", result=[record(destination_conf="gs://other")]),
        failure(404, result=record(destination_conf="gs://other")),
        answer(operation="delete_bucket", sent={"destination_conf": "gs://other"}),
    ],
    ids=["list body", "string body", "no conf sent", "conf not a string", "null result", "list", "404", "delete"],
)
def test_exchanges_it_cannot_judge_are_outside_destination_conf_is_echoed(exchange: Exchange) -> None:
    assert checks.destination_conf_is_echoed(exchange, POLICY) is checks.OUT_OF_SCOPE


def test_a_list_success_with_a_result_field_keeps_success_has_result() -> None:
    assert checks.success_has_result(answer(operation="list_buckets", result=[]), POLICY) is checks.HELD
    assert checks.success_has_result(failure(result=...), POLICY) is checks.OUT_OF_SCOPE


def test_a_decorated_function_is_registered_in_its_kind_and_names_its_violations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kinds: dict[str, dict[str, Any]] = {"_RESPONSE": {}, "_LIFECYCLE": {}, "_TENANCY": {}}
    for name, registry in kinds.items():
        monkeypatch.setattr(checks, name, registry)

    def status_is_teapot(exchange: Exchange, policy: Policy) -> Verdict:
        """A made-up rule."""
        checks._require(exchange.status == 418, "status 418", lambda: f"status {exchange.status}")
        return checks.HELD

    def answer_is_teapot(exchange: Exchange, *, strict: bool = False) -> Verdict:
        if strict and exchange.status != 418:
            raise ContractViolation("status 418", f"status {exchange.status}")
        return checks.HELD

    registered = checks.response_check(judges=checks.EVERY_OPERATION)(status_is_teapot)
    assert kinds["_RESPONSE"] == {"status_is_teapot": registered}
    assert (registered.__name__, registered.__doc__) == ("status_is_teapot", "A made-up rule.")
    with pytest.raises(ContractViolation) as caught:
        registered(failure(404), POLICY)
    assert (caught.value.check, str(caught.value)) == ("status_is_teapot", "Expected: status 418\nReceived: status 404")
    assert ContractViolation("status 418", "status 404").check == ""  # unnamed until a registered check raises it
    tenancy = checks.tenancy_check(judges={api.ADD})(answer_is_teapot)
    assert kinds["_TENANCY"] == {"answer_is_teapot": tenancy} and not kinds["_LIFECYCLE"]
    assert tenancy(failure(404)) is checks.HELD
    with pytest.raises(ContractViolation) as caught:
        tenancy(failure(404), strict=True)
    assert caught.value.check == "answer_is_teapot"
    decorators: tuple[Any, ...] = (
        checks.response_check,
        checks.lifecycle_check,
        checks.tenancy_check,
    )
    for decorator in decorators:
        with pytest.raises(ValueError, match="already registered"):
            decorator(judges={api.ADD})(status_is_teapot)
        with pytest.raises(ValueError, match="already registered"):
            decorator(judges={api.ADD})(answer_is_teapot)
    assert list(kinds["_RESPONSE"]) == ["status_is_teapot"] and list(kinds["_TENANCY"]) == ["answer_is_teapot"]

    def listing_is_teapot(listing: Exchange) -> Verdict:
        return checks.OUT_OF_SCOPE

    assert kinds["_LIFECYCLE"] == {"listing_is_teapot": checks.lifecycle_check(judges={api.LIST})(listing_is_teapot)}


# --- challenge_file_is_delivered -------------------------------------------------------------------


def test_a_challenge_file_missing_from_the_bucket_breaks_challenge_file_is_delivered() -> None:
    with pytest.raises(ContractViolation) as caught:
        checks.challenge_file_is_delivered(answer(), None, 30.0)
    assert caught.value.check == "challenge_file_is_delivered"
    assert "ownership-challenge-9883874ecac311ec8475433579a6bf5f.txt" in caught.value.expected
    assert "within 30s" in caught.value.expected
    assert caught.value.received == "no such file in the bucket 30s after the add"


def test_an_empty_challenge_file_breaks_challenge_file_is_delivered() -> None:
    with pytest.raises(ContractViolation) as caught:
        checks.challenge_file_is_delivered(answer(), " \n", 30.0)
    assert caught.value.received == "an empty file"


def test_a_delivered_challenge_file_keeps_challenge_file_is_delivered() -> None:
    assert checks.challenge_file_is_delivered(answer(), "a1b2c3", 30.0) is Verdict.HELD


@pytest.mark.parametrize(
    "created",
    [failure(400), answer(result=record(filename=None)), answer(result=record(filename=""))],
    ids=["refused-add", "no-filename", "empty-filename"],
)
def test_an_add_without_a_filename_is_outside_challenge_file_is_delivered(created: Exchange) -> None:
    assert checks.challenge_file_is_delivered(created, None, 30.0) is Verdict.OUT_OF_SCOPE


# --- which answers say "no route of the API" ---------------------------------------------------------

_NOT_AN_ENVELOPE = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=200).map(str.encode),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    )
    .filter(lambda value: not (isinstance(value, dict) and "success" in value))
    .map(lambda value: json.dumps(value).encode()),
).filter(lambda content: not Exchange(None, "GET", "http://x/", 404, content).in_envelope)


@given(content=_NOT_AN_ENVELOPE, operation=st.sampled_from(api.OPERATIONS))
def test_a_404_without_the_api_s_envelope_is_no_route_of_the_api(content: bytes, operation: str) -> None:
    assert Exchange(operation, "GET", "http://x/", 404, content).is_no_route
    assert not Exchange(operation, "GET", "http://x/", 200, content).is_no_route


@given(operation=st.sampled_from(api.OPERATIONS), success=st.booleans())
def test_an_envelope_404_is_no_route_only_for_a_list(operation: str, success: bool) -> None:
    content = json.dumps({"success": success, "errors": [{"code": 1004, "message": "x"}], "result": None}).encode()
    assert Exchange(operation, "GET", "http://x/", 404, content).is_no_route is (operation == api.LIST)


# --- the operations each check judges --------------------------------------------------------------


@pytest.mark.parametrize(
    "register",
    [
        lambda decorator: decorator(lambda exchange, policy: checks.HELD),  # bare `@response_check`
        lambda decorator: decorator()(lambda exchange, policy: checks.HELD),  # no `judges=`
        lambda decorator: decorator(judges=())(lambda exchange, policy: checks.HELD),
        lambda decorator: decorator(judges={"add_buckets"})(lambda exchange, policy: checks.HELD),
        lambda decorator: decorator(judges="list_buckets")(lambda exchange, policy: checks.HELD),
    ],
    ids=["bare", "no judges", "none", "a misspelt operation", "a string"],
)
@pytest.mark.parametrize("decorator", [checks.response_check, checks.lifecycle_check, checks.tenancy_check])
def test_a_check_cannot_be_registered_without_the_operations_it_judges(decorator: Any, register: Any) -> None:
    before = dict(checks.CHECKS)
    with pytest.raises(TypeError, match="list_buckets, add_bucket, delete_bucket, validate_bucket"):
        register(decorator)
    assert dict(checks.CHECKS) == before


def test_every_check_declares_operations_of_the_api() -> None:
    for name, check in checks.CHECKS.items():
        assert check.judges and check.judges <= set(api.OPERATIONS), name
    assert checks.created_ownership_is_listed.judges == {api.LIST}
    assert not checks.judges("created_ownership_is_listed", api.ADD)
    assert checks.judges("not_a_server_error", api.ADD)  # a built-in of schemathesis judges every operation


envelopes = st.fixed_dictionaries(
    {"success": st.booleans(), "errors": st.lists(st.just({"code": 1, "message": "m"}), max_size=1)},
    optional={"result": st.none() | st.just(record()) | st.lists(st.just(record()), max_size=2)},
)
contents = st.one_of(envelopes.map(lambda body: json.dumps(body).encode()), st.binary(max_size=20))


@settings(deadline=None)
@given(
    name=st.sampled_from(sorted(checks.CHECKS)),
    operation=st.sampled_from([*api.OPERATIONS, "an_operation_of_another_api", None]),
    status=st.sampled_from([200, 204, 400, 401, 403, 404, 500]),
    content=contents,
)
def test_no_check_yields_a_verdict_on_an_operation_it_does_not_declare(
    name: str, operation: str | None, status: int, content: bytes
) -> None:
    """Whatever the answer and whatever the model says, a check on an undeclared operation is out of scope."""
    check = checks.CHECKS[name]
    exchange = Exchange(
        operation, "POST", "http://x/accounts/a/pcaps/ownership", status, content, {"destination_conf": CONF}
    )
    if operation in check.judges:
        return
    # Out of scope before the check reads anything past its exchange: whatever the model would have handed it.
    for model in [(POLICY,), ({"id-1"},), ()]:
        assert check(exchange, *model) is checks.OUT_OF_SCOPE
