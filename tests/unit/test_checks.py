"""Each contract check fails on a response that breaks its rule and passes on one that keeps it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pcaps_contract import _checks as checks
from pcaps_contract._checks import ContractViolation, Exchange, Policy

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
        checks.validate_returns_same_id(failure(404), {ID})
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
        checks.lifecycle_check(checks.success_matches_status.function)
    assert "success_matches_status" not in checks.LIFECYCLE_CHECKS
