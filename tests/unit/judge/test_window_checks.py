"""The rules on each field of an answer that its request's time window implies: each fails on an answer that
breaks it, passes on one that keeps it, and is not judged where the window it needs is unknown."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.judge import checks
from pcaps_contract.judge.checks import ContractViolation, Exchange, Policy

SENT = datetime(2026, 11, 26, 12, 0, 0, 400_000, tzinfo=UTC)
READ = SENT + timedelta(milliseconds=300)
# `now` far later than any answer read: a rule that reads the window must not fall back on it.
POLICY = Policy(now=lambda: READ + timedelta(days=30))
STRICT = Policy(clock_skew=timedelta(0), now=lambda: READ + timedelta(days=30))
CONF = "s3://pcaps-bucket?region=us-east-1"


def record(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "9883874ecac311ec8475433579a6bf5f",
        "destination_conf": CONF,
        "filename": "ownership-challenge-9883874ecac311ec8475433579a6bf5f.txt",
        "status": "pending",
        "submitted": "2026-11-26T12:00:00Z",
        "validated": "",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


def answer(
    result: Any = None,
    *,
    operation: str = "add_bucket",
    status: int = 200,
    sent_at: datetime | None = SENT,
    read_at: datetime | None = READ,
) -> Exchange:
    success = 200 <= status < 300
    envelope = {
        "success": success,
        "errors": [] if success else [{"code": 1004, "message": "no"}],
        "messages": [],
        "result": (record() if result is None else result) if success else None,
    }
    url = "http://x/accounts/a/pcaps/ownership"
    body = json.dumps(envelope).encode()
    return Exchange(operation, "POST", url, status, body, {"destination_conf": CONF}, sent_at=sent_at, read_at=read_at)


def breaks(check: checks.ResponseCheck, exchange: Exchange, policy: Policy = POLICY) -> ContractViolation:
    with pytest.raises(ContractViolation) as caught:
        check(exchange, policy)
    assert caught.value.check == check.name
    assert str(caught.value).startswith("Expected: ") and "\nReceived: " in str(caught.value)
    return caught.value


# --- added_ownership_is_pending -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["success", "failed", None, ...])
def test_an_add_answering_anything_but_pending_breaks_added_ownership_is_pending(status: Any) -> None:
    violation = breaks(checks.added_ownership_is_pending, answer(record(status=status)))
    assert violation.expected == '`status: "pending"` for the record the add created'


def test_an_add_answering_pending_keeps_added_ownership_is_pending() -> None:
    assert checks.added_ownership_is_pending(answer(), POLICY) is checks.HELD


@pytest.mark.parametrize(
    "exchange",
    [
        answer([record(status="success")], operation="list_buckets"),
        answer(record(status="success"), operation="validate_bucket"),
        answer(status=409),
        answer("not an ownership"),
    ],
    ids=["list", "validate", "refused", "no record"],
)
def test_answers_other_than_an_added_record_are_outside_the_new_record_rules(exchange: Exchange) -> None:
    for check in (checks.added_ownership_is_pending, checks.added_ownership_is_not_validated):
        assert check(exchange, POLICY) is checks.OUT_OF_SCOPE
    assert checks.submitted_is_not_before_add(exchange, POLICY) is checks.OUT_OF_SCOPE


# --- added_ownership_is_not_validated -----------------------------------------------------------------------


@pytest.mark.parametrize("validated", ["2026-11-26T12:00:00Z", "1970-01-01T00:00:00Z", "soon", 0])
def test_an_add_answering_a_validated_time_breaks_added_ownership_is_not_validated(validated: Any) -> None:
    violation = breaks(checks.added_ownership_is_not_validated, answer(record(validated=validated)))
    assert json.dumps(validated) in violation.received


@pytest.mark.parametrize("validated", ["", None, ...], ids=["empty, as the real API answers", "null", "absent"])
def test_an_add_answering_no_validated_time_keeps_added_ownership_is_not_validated(validated: Any) -> None:
    assert checks.added_ownership_is_not_validated(answer(record(validated=validated)), POLICY) is checks.HELD


# --- submitted_is_not_before_add ------------------------------------------------------------------------------


def test_a_submitted_an_hour_before_the_add_breaks_submitted_is_not_before_add() -> None:
    violation = breaks(checks.submitted_is_not_before_add, answer(record(submitted="2026-11-26T11:00:00Z")))
    assert violation.expected.startswith("`submitted` at or after 2026-11-26T11:54:59+00:00 (the add sent at ")
    assert violation.received == '`submitted: "2026-11-26T11:00:00Z"`'


def test_a_submitted_truncated_to_the_second_before_the_add_keeps_submitted_is_not_before_add() -> None:
    # Sent at 12:00:00.4, stamped 12:00:00 (whole seconds, cut down): no clock skew needed.
    assert checks.submitted_is_not_before_add(answer(), STRICT) is checks.HELD
    edge = answer(record(submitted="2026-11-26T11:59:59.400Z"))
    assert checks.submitted_is_not_before_add(edge, STRICT) is checks.HELD
    breaks(checks.submitted_is_not_before_add, answer(record(submitted="2026-11-26T11:59:59.399Z")), STRICT)


def test_a_submitted_within_the_clock_skew_before_the_add_keeps_submitted_is_not_before_add() -> None:
    behind = answer(record(submitted="2026-11-26T11:56:00-00:00"))
    assert checks.submitted_is_not_before_add(behind, POLICY) is checks.HELD
    breaks(checks.submitted_is_not_before_add, behind, STRICT)


def test_an_add_without_its_send_time_is_not_judged_by_submitted_is_not_before_add() -> None:
    unknown = answer(record(submitted="2000-01-01T00:00:00Z"), sent_at=None)
    assert checks.submitted_is_not_before_add(unknown, POLICY) is checks.OUT_OF_SCOPE


# --- submitted_is_not_in_future, judged against the time the answer was read --------------------------------------


def test_a_submitted_after_the_answer_was_read_breaks_submitted_is_not_in_future() -> None:
    late = answer(record(submitted="2026-11-26T12:05:02Z"))  # read 12:00:00.7, + 5 min + 1 s
    violation = breaks(checks.submitted_is_not_in_future, late)
    assert "the answer read at 2026-11-26T12:00:00.700+00:00" in violation.expected
    listed = answer([record(), record(submitted="2026-11-26T13:00:00Z")], operation="list_buckets")
    breaks(checks.submitted_is_not_in_future, listed)


def test_a_submitted_rounded_up_within_a_second_of_the_read_keeps_submitted_is_not_in_future() -> None:
    rounded = answer(record(submitted="2026-11-26T12:00:01Z"))
    assert checks.submitted_is_not_in_future(rounded, STRICT) is checks.HELD
    breaks(checks.submitted_is_not_in_future, answer(record(submitted="2026-11-26T12:00:01.701Z")), STRICT)


def test_without_the_read_time_submitted_is_not_in_future_is_judged_against_now() -> None:
    unknown = answer(record(submitted="2026-11-26T12:05:02Z"), read_at=None)
    assert checks.submitted_is_not_in_future(unknown, POLICY) is checks.HELD
    now = Policy(now=lambda: SENT)
    assert "(now + 0:05:00)" in breaks(checks.submitted_is_not_in_future, unknown, now).expected


# --- validated_is_not_after_answer ------------------------------------------------------------------------------


def test_a_validated_an_hour_after_the_answer_breaks_validated_is_not_after_answer() -> None:
    ahead = record(status="success", validated="2026-11-26T13:00:00Z")
    violation = breaks(checks.validated_is_not_after_answer, answer(ahead, operation="validate_bucket"))
    assert violation.received == '`validated: "2026-11-26T13:00:00Z"`'
    breaks(checks.validated_is_not_after_answer, answer([record(), ahead], operation="list_buckets"))


def test_a_validated_before_the_answer_keeps_validated_is_not_after_answer() -> None:
    kept = record(status="success", validated="2026-11-26T12:00:00.71+00:00")
    assert checks.validated_is_not_after_answer(answer(kept, operation="validate_bucket"), STRICT) is checks.HELD


@pytest.mark.parametrize("validated", ["", None, ...])
def test_no_validated_time_is_outside_validated_is_not_after_answer(validated: Any) -> None:
    exchange = answer(record(validated=validated), operation="validate_bucket")
    assert checks.validated_is_not_after_answer(exchange, STRICT) is checks.OUT_OF_SCOPE


# --- properties over generated windows and stamps ----------------------------------------------------------------

OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))])
instants = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
skews = st.integers(min_value=0, max_value=3600).map(lambda seconds: timedelta(seconds=seconds))
durations = st.integers(min_value=0, max_value=120_000_000).map(lambda micros: timedelta(microseconds=micros))


def written(moment: datetime, digits: int, offset: timezone) -> str:
    """`moment` as a server may write it: 0 to 6 digits of a second, cut down, in any offset."""
    local = moment.astimezone(offset)
    fraction = f"{local.microsecond:06d}"[:digits]
    zone = "Z" if offset is UTC else local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    return f"{local:%Y-%m-%dT%H:%M:%S}" + (f".{fraction}" if digits else "") + zone


@settings(deadline=None)  # a loaded two-core box: no per-example wall-clock limit
@given(
    sent=instants,
    took=durations,
    skew=skews,
    at=st.floats(min_value=0, max_value=1),
    digits=st.integers(0, 6),
    offset=OFFSETS,
)
def test_a_record_stamped_inside_the_add_window_keeps_both_sides_whatever_its_form(
    sent: datetime, took: timedelta, skew: timedelta, at: float, digits: int, offset: timezone
) -> None:
    stamped = sent + took * at
    exchange = answer(record(submitted=written(stamped, digits, offset)), sent_at=sent, read_at=sent + took)
    policy = Policy(clock_skew=skew, now=lambda: sent - timedelta(days=1))  # a `now` that would break it
    assert checks.submitted_is_not_before_add(exchange, policy) is checks.HELD
    assert checks.submitted_is_not_in_future(exchange, policy) is checks.HELD


@settings(deadline=None)  # a loaded two-core box: no per-example wall-clock limit
@given(
    sent=instants,
    took=durations,
    skew=skews,
    beyond=st.integers(min_value=1, max_value=10**12).map(lambda micros: timedelta(microseconds=micros)),
    early=st.booleans(),
    offset=OFFSETS,
)
def test_a_record_stamped_beyond_the_widened_add_window_breaks_one_side(
    sent: datetime, took: timedelta, skew: timedelta, beyond: timedelta, early: bool, offset: timezone
) -> None:
    margin = skew + checks.TIMESTAMP_RESOLUTION
    stamped = sent - margin - beyond if early else sent + took + margin + beyond
    exchange = answer(record(submitted=written(stamped, 6, offset)), sent_at=sent, read_at=sent + took)
    policy = Policy(clock_skew=skew, now=lambda: stamped + timedelta(days=1))  # a `now` that would keep it
    check = checks.submitted_is_not_before_add if early else checks.submitted_is_not_in_future
    other = checks.submitted_is_not_in_future if early else checks.submitted_is_not_before_add
    breaks(check, exchange, policy)
    assert other(exchange, policy) is checks.HELD


@settings(deadline=None)  # a loaded two-core box: no per-example wall-clock limit
@given(sent=instants, took=durations, skew=skews, beyond=st.integers(-(10**12), 10**12), offset=OFFSETS)
def test_a_validated_time_is_judged_by_the_read_side_of_its_window_alone(
    sent: datetime, took: timedelta, skew: timedelta, beyond: int, offset: timezone
) -> None:
    read = sent + took
    stamped = read + skew + checks.TIMESTAMP_RESOLUTION + timedelta(microseconds=beyond)
    shown = record(status="success", validated=written(stamped, 6, offset))
    exchange = answer(shown, operation="validate_bucket", sent_at=sent, read_at=read)
    policy = Policy(clock_skew=skew)
    if beyond > 0:
        breaks(checks.validated_is_not_after_answer, exchange, policy)
    else:
        assert checks.validated_is_not_after_answer(exchange, policy) is checks.HELD


# --- validated_is_not_before_validation -------------------------------------------------------------------------

ID = "9883874ecac311ec8475433579a6bf5f"
FIRST_VALIDATION = datetime(2026, 11, 26, 12, 10, 0, 500_000, tzinfo=UTC)


def validated_after(first: datetime | None = FIRST_VALIDATION, validations: int = 1) -> dict[str, checks.Seen]:
    """The history of a record added, then validated `validations` times, the first sent at `first`."""
    seen = checks.Seen.of(record())
    for _ in range(validations):
        seen = seen.validated_again(first)
        first = None if first is None else first + timedelta(hours=1)  # later ones never move the first
    return {ID: seen}


def shown_validated(validated: Any, operation: str = "validate_bucket") -> Exchange:
    shown = record(status="success", validated=validated)
    return answer(shown if operation == "validate_bucket" else [shown], operation=operation)


@pytest.mark.parametrize("operation", ["validate_bucket", "list_buckets"])
def test_a_validated_an_hour_before_its_first_validation_breaks_validated_is_not_before_validation(
    operation: str,
) -> None:
    check = checks.validated_is_not_before_validation
    with pytest.raises(ContractViolation) as caught:
        check(shown_validated("2026-11-26T11:10:00Z", operation), validated_after(validations=2))
    assert caught.value.check == check.name
    assert caught.value.expected.startswith(f"`validated` at or after 2026-11-26T12:04:59+00:00 for {ID}")


def test_a_validated_cut_to_the_second_of_its_validation_keeps_validated_is_not_before_validation() -> None:
    check = checks.validated_is_not_before_validation
    exact = shown_validated("2026-11-26T12:09:59.500Z")
    assert check(exact, validated_after(), timedelta(0)) is checks.HELD
    with pytest.raises(ContractViolation):
        check(shown_validated("2026-11-26T12:09:59.499Z"), validated_after(), timedelta(0))
    assert check(shown_validated("2026-11-26T12:06:00Z"), validated_after()) is checks.HELD  # within the skew


@pytest.mark.parametrize(
    ("history", "validated"),
    [
        (validated_after(None), "2000-01-01T00:00:00Z"),  # its validation's send time unknown
        ({}, "2000-01-01T00:00:00Z"),  # a record the run never followed
        (validated_after(), ""),  # not validated (yet)
    ],
    ids=["send time unknown", "record unknown", "no validated time"],
)
def test_what_the_run_did_not_see_validated_is_outside_validated_is_not_before_validation(
    history: dict[str, checks.Seen], validated: str
) -> None:
    check = checks.validated_is_not_before_validation
    assert check(shown_validated(validated), history) is checks.OUT_OF_SCOPE


@settings(deadline=None)  # a loaded two-core box: no per-example wall-clock limit
@given(
    first=instants,
    skew=skews,
    shift=st.integers(min_value=-(10**12), max_value=10**12),
    digits=st.integers(0, 6),
    offset=OFFSETS,
)
def test_a_validated_time_is_judged_against_its_first_validation_widened_by_skew_and_resolution(
    first: datetime, skew: timedelta, shift: int, digits: int, offset: timezone
) -> None:
    earliest = first - skew - checks.TIMESTAMP_RESOLUTION
    stamped = earliest + timedelta(microseconds=shift)
    text = written(stamped, digits, offset)
    shown_at = checks.parse_rfc3339(text)
    assert shown_at is not None
    check = checks.validated_is_not_before_validation
    if shown_at < earliest:
        with pytest.raises(ContractViolation):
            check(shown_validated(text), validated_after(first, 3), skew)
    else:
        assert check(shown_validated(text), validated_after(first, 3), skew) is checks.HELD
