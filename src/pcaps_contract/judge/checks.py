"""The project's own contract checks: pure functions over one exchange (request + response) or over a model.

Each check is defined once here, registered by its decorator (`@response_check`, `@lifecycle_check`,
`@tenancy_check`) under its function's name with the operations it judges (`judges=`, required), and used by
both doors of the gate (`pcaps-contract check` and `pytest contract_tests`) and by `fuzz`. A check returns `HELD`
when it applied and held, `OUT_OF_SCOPE` when the exchange is outside its scope (an operation it does not judge
among them), and raises `ContractViolation` (an AssertionError, as schemathesis expects) when the contract is
broken; the decorator puts the check's name on the violation.
"""

from __future__ import annotations

import enum
import functools
import json
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Any, Generic, ParamSpec

from pcaps_contract._json import parsed_or_none
from pcaps_contract._text import clip
from pcaps_contract.openapi import api

# RFC 3339 section 5.6 date-time; its section 5.6 note allows a lower-case `t` and `z` too.
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
SINGLE_RESULT_OPERATIONS = frozenset({api.ADD, api.VALIDATE})
ECHOING_OPERATIONS = frozenset({api.ADD, api.VALIDATE})
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)


class Verdict(enum.Enum):
    """What a response check says of an exchange it did not find broken."""

    HELD = "held"
    OUT_OF_SCOPE = "out of scope"


HELD = Verdict.HELD
OUT_OF_SCOPE = Verdict.OUT_OF_SCOPE


class ContractViolation(AssertionError):
    """A response broke the contract: what the check expected, what it received, and which check it was.

    A check raises it with `expected` and `received` only: the decorator that registered the check fills in
    `check` (its function's name), so a name is written once, as the function's.
    """

    def __init__(self, expected: str, received: str, *, check: str = "") -> None:
        super().__init__(f"Expected: {expected}\nReceived: {received}")
        self.check = check
        self.expected = expected
        self.received = received


@dataclass(frozen=True)
class Policy:
    """The tolerances of the checks: how far a server's clock may run ahead, and what `now` is."""

    clock_skew: timedelta = DEFAULT_CLOCK_SKEW
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Exchange:
    """One request and the response it got, as plain data that every check can read.

    `sent_at` and `read_at` are the request's time window on the UTC wall clock: when it was sent (its first
    try) and when its whole answer was read. Either is None where nobody measured it (recorded traffic without
    times); a rule that needs a side of the window is then not judged.
    """

    operation_id: str | None
    method: str
    url: str
    status: int
    content: bytes = b""
    request_body: Any = None
    request_headers: Mapping[str, str] = field(default_factory=dict)
    response_headers: Mapping[str, str] = field(default_factory=dict)
    sent_at: datetime | None = None
    read_at: datetime | None = None

    @cached_property
    def body(self) -> Any:
        """The response body parsed as JSON, or None when it is empty or not JSON."""
        return parsed_or_none(self.content)

    @property
    def envelope(self) -> dict[str, Any] | None:
        """The response body when it is a JSON object (the Cloudflare envelope), else None."""
        return self.body if isinstance(self.body, dict) else None

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    def ownerships(self) -> Iterator[dict[str, Any]]:
        """The Ownership records of a successful response's `result` (one object or a list)."""
        envelope = self.envelope
        if not self.is_success or envelope is None:
            return
        result = envelope.get("result")
        records = result if isinstance(result, list) else [result]
        yield from (record for record in records if isinstance(record, dict))

    def result_ids(self) -> set[str]:
        """The ids of the Ownership records in the result."""
        return {record["id"] for record in self.ownerships() if isinstance(record.get("id"), str)}

    @property
    def is_no_route(self) -> bool:
        """Whether the answer says the URL is no route of the API, rather than answering the operation.

        A 404 without the API's envelope (`success` in a JSON object), or a 404 to a list: the API lists any
        account it serves (200, or a refusal with 401/403), while its 404 for an unknown ownership id or bucket
        comes in the envelope and answers the operation.
        """
        return self.status == 404 and (not self.in_envelope or self.operation_id == api.LIST)

    @property
    def in_envelope(self) -> bool:
        """Whether the body is the API's envelope: a JSON object with `success`."""
        return self.envelope is not None and "success" in self.envelope


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, bytes) else repr(value)
    return clip(text, 200)


def _field(record: Mapping[str, Any], name: str) -> str:
    return f"`{name}: {_show(record[name])}`" if name in record else f"no `{name}` field"


# --- registration ----------------------------------------------------------------------------------

P = ParamSpec("P")


class Check(Generic[P]):
    """A registered check: called as its function, named by it, and the name carried by every violation it raises.

    `judges` are the operations it judges, declared where it is defined: on an exchange of any other operation it
    is out of scope before its function runs, so no door (the engine, the lifecycle, the passive judge) can record
    a verdict of it on an operation it never judges by design; reports leave those cells blank.
    """

    __name__: str  # its function's, as `functools.update_wrapper` copies it

    def __init__(self, function: Callable[P, Verdict], judges: Collection[str]) -> None:
        self.name = function.__name__
        self.function = function
        unknown = sorted(set(judges) - set(api.OPERATIONS))
        if not judges or unknown or isinstance(judges, str):
            raise TypeError(
                f"check {self.name}: judges= names the operations it judges, some of {', '.join(api.OPERATIONS)}"
                + (f" (not {', '.join(map(repr, unknown))})" if unknown and not isinstance(judges, str) else "")
            )
        self.judges = frozenset(judges)
        functools.update_wrapper(self, function)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Verdict:
        exchange = args[0] if args else None
        if isinstance(exchange, Exchange) and exchange.operation_id not in self.judges:
            return OUT_OF_SCOPE
        try:
            return self.function(*args, **kwargs)
        except ContractViolation as violation:
            violation.check = self.name
            raise

    def __repr__(self) -> str:
        return f"<check {self.name}>"


ResponseCheck = Check[[Exchange, Policy]]
# A check of the stateful run: an exchange first, then what the model knows (its arguments differ by check).
ModelCheck = Check[...]

# Every check, registered by its decorator in definition order, which is the order they are reported in.
_RESPONSE: dict[str, ResponseCheck] = {}
_LIFECYCLE: dict[str, ModelCheck] = {}
_TENANCY: dict[str, ModelCheck] = {}
RESPONSE_CHECKS: Mapping[str, ResponseCheck] = MappingProxyType(_RESPONSE)
LIFECYCLE_CHECKS: Mapping[str, ModelCheck] = MappingProxyType(_LIFECYCLE)
TENANCY_CHECKS: Mapping[str, ModelCheck] = MappingProxyType(_TENANCY)


def _register(registry: dict[str, Any], check: Check[P]) -> Check[P]:
    if check.name in _RESPONSE or check.name in _LIFECYCLE or check.name in _TENANCY:
        raise ValueError(f"a check named {check.name} is already registered")
    registry[check.name] = check
    return check


# The operations whose successful answer shows Ownership records (delete answers 204 without a body).
EVERY_OPERATION = frozenset(api.OPERATIONS)
SHOWING_RECORDS = frozenset({api.LIST, api.ADD, api.VALIDATE})


def _decorator(kind: str, registry: dict[str, Any], function: Any, judges: Collection[str] | None) -> Any:
    """`@kind(judges=...)`: a check cannot be registered without the operations it judges."""
    if function is not None or judges is None:
        name = getattr(function, "__name__", "a check")
        raise TypeError(
            f"{name}: declare the operations it judges, e.g. @{kind}(judges={{api.LIST, api.ADD}}) "
            f"(some of {', '.join(api.OPERATIONS)})"
        )
    return lambda checked: _register(registry, Check(checked, judges))


def response_check(
    function: None = None, /, *, judges: Collection[str] | None = None
) -> Callable[[Callable[[Exchange, Policy], Verdict]], ResponseCheck]:
    """Register a check of one exchange, run on every response of `check` and `fuzz` of the operations it judges."""
    return _decorator("response_check", _RESPONSE, function, judges)  # type: ignore[no-any-return]


def lifecycle_check(function: None = None, /, *, judges: Collection[str] | None = None) -> Callable[[Any], ModelCheck]:
    """Register a check of the stateful run: an answer judged against the lifecycle's model."""
    return _decorator("lifecycle_check", _LIFECYCLE, function, judges)  # type: ignore[no-any-return]


def tenancy_check(function: None = None, /, *, judges: Collection[str] | None = None) -> Callable[[Any], ModelCheck]:
    """Register a check of the stateful run that needs two accounts: one account's answer about another's records."""
    return _decorator("tenancy_check", _TENANCY, function, judges)  # type: ignore[no-any-return]


# --- the envelope ---------------------------------------------------------------------------------


@response_check(judges=EVERY_OPERATION)
def success_matches_status(exchange: Exchange, policy: Policy) -> Verdict:
    """`success` is true exactly when the status is 2xx."""
    envelope = exchange.envelope
    if envelope is None:
        return OUT_OF_SCOPE
    wanted = exchange.is_success
    if envelope.get("success") is not wanted:
        raise ContractViolation(
            f"`success: {str(wanted).lower()}` with status {exchange.status}",
            _field(envelope, "success"),
        )
    return HELD


@response_check(judges=SHOWING_RECORDS)
def success_has_result(exchange: Exchange, policy: Policy) -> Verdict:
    """A success carries a `result`: an Ownership for add and validate, a list (or null) for list."""
    envelope = exchange.envelope
    if envelope is None or not exchange.is_success:
        return OUT_OF_SCOPE
    result = envelope.get("result", ...)
    if exchange.operation_id in SINGLE_RESULT_OPERATIONS:
        if not isinstance(result, dict):
            shown = "no `result` field" if result is ... else f"`result: {_show(result)}`"
            raise ContractViolation("`result`: the Ownership object", shown)
    elif result is ...:
        raise ContractViolation("a `result` field", "no `result` field")
    return HELD


@response_check(judges=EVERY_OPERATION)
def failure_has_null_result(exchange: Exchange, policy: Policy) -> Verdict:
    """A failure carries `result: null`."""
    envelope = exchange.envelope
    if envelope is None or exchange.is_success:
        return OUT_OF_SCOPE
    if "result" not in envelope or envelope["result"] is not None:
        raise ContractViolation(f"`result: null` with status {exchange.status}", _field(envelope, "result"))
    return HELD


@response_check(judges=EVERY_OPERATION)
def failure_has_errors(exchange: Exchange, policy: Policy) -> Verdict:
    """A failure carries at least one error."""
    envelope = exchange.envelope
    if envelope is None or exchange.is_success:
        return OUT_OF_SCOPE
    errors = envelope.get("errors")
    if not isinstance(errors, list) or not errors:
        raise ContractViolation(
            f"at least one entry in `errors` with status {exchange.status}",
            _field(envelope, "errors"),
        )
    return HELD


@response_check(judges={api.DELETE})
def no_content_has_empty_body(exchange: Exchange, policy: Policy) -> Verdict:
    """A 204 response has an empty body."""
    if exchange.status != 204:
        return OUT_OF_SCOPE
    if exchange.content:
        raise ContractViolation(
            "an empty body with status 204",
            f"{len(exchange.content)} bytes: {_show(exchange.content[:120])}",
        )
    return HELD


# --- timestamps ------------------------------------------------------------------------------------


def parse_rfc3339(value: Any) -> datetime | None:
    """The instant of a strict RFC 3339 date-time string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    match = _RFC3339.fullmatch(value)
    if match is None:
        return None
    clock = match["time"]
    if clock.endswith(":60"):  # a leap second is valid RFC 3339; datetime cannot hold it
        clock = clock[:-2] + "59"
    offset = "+00:00" if match["offset"] in "Zz" else match["offset"]
    try:
        return datetime.fromisoformat(f"{match['date']}T{clock}{match['fraction'] or ''}{offset}")
    except ValueError:
        return None


@response_check(judges=SHOWING_RECORDS)
def timestamps_are_rfc3339(exchange: Exchange, policy: Policy) -> Verdict:
    """`submitted` (and `validated`, unless empty while not yet validated) are strict RFC 3339 date-times."""
    applied = False
    for record in exchange.ownerships():
        for name in ("submitted", "validated"):
            if name not in record or (name == "validated" and record[name] == ""):
                continue
            applied = True
            if parse_rfc3339(record[name]) is None:
                raise ContractViolation(
                    f"`{name}` as an RFC 3339 date-time (`2026-11-26T11:05:00Z`: a `T`, then `Z` or an offset)",
                    _field(record, name),
                )
    return HELD if applied else OUT_OF_SCOPE


# Servers may keep fractions of a second in one timestamp and truncate (or round) the other, and write whole
# seconds of a clock that has fractions: within this, order and windows hold.
TIMESTAMP_RESOLUTION = timedelta(seconds=1)


def _latest_stamp(exchange: Exchange, policy: Policy) -> tuple[datetime, str]:
    """The latest instant a stamp in this answer may show, and how it was reached (for the message).

    A stamp is written before its answer is read: the answer's read time plus the clock skew and the resolution.
    Where that time is unknown, now plus the skew (later than any read, so a weaker bound, never a false one).
    """
    if exchange.read_at is None:
        return policy.now() + policy.clock_skew, f"now + {policy.clock_skew}"
    return exchange.read_at + policy.clock_skew + TIMESTAMP_RESOLUTION, (
        f"the answer read at {exchange.read_at.isoformat(timespec='milliseconds')} "
        f"+ {policy.clock_skew} + {TIMESTAMP_RESOLUTION.seconds}s"
    )


def _not_after_answer(exchange: Exchange, policy: Policy, name: str) -> Verdict:
    """The rule of `submitted_is_not_in_future` and `validated_is_not_after_answer`, for the stamp `name`."""
    applied = False
    latest, reached = _latest_stamp(exchange, policy)
    for record in exchange.ownerships():
        stamp = parse_rfc3339(record.get(name))
        if stamp is None:
            continue
        applied = True
        if stamp > latest:
            raise ContractViolation(
                f"`{name}` at or before {latest.isoformat(timespec='seconds')} ({reached})",
                _field(record, name),
            )
    return HELD if applied else OUT_OF_SCOPE


@response_check(judges=SHOWING_RECORDS)
def submitted_is_not_in_future(exchange: Exchange, policy: Policy) -> Verdict:
    """`submitted` is not later than the answer was read plus the clock skew and a second (now plus the skew, where
    the time it was read is unknown)."""
    return _not_after_answer(exchange, policy, "submitted")


@response_check(judges=SHOWING_RECORDS)
def validated_is_not_after_answer(exchange: Exchange, policy: Policy) -> Verdict:
    """A non-empty `validated` is not later than the answer was read plus the clock skew and a second (now plus the
    skew, where the time it was read is unknown): a validation is stamped before the answer that shows it."""
    return _not_after_answer(exchange, policy, "validated")


@response_check(judges=SHOWING_RECORDS)
def validated_is_not_before_submitted(exchange: Exchange, policy: Policy) -> Verdict:
    """A non-empty `validated` is not earlier than `submitted` (by more than the one-second resolution)."""
    applied = False
    for record in exchange.ownerships():
        submitted = parse_rfc3339(record.get("submitted"))
        validated = parse_rfc3339(record.get("validated"))
        if submitted is None or validated is None:
            continue
        applied = True
        if validated < submitted - TIMESTAMP_RESOLUTION:
            raise ContractViolation(
                f"`validated` at or after `submitted` ({record['submitted']})",
                _field(record, "validated"),
            )
    return HELD if applied else OUT_OF_SCOPE


# --- what an add's answer implies: the record it created is new -----------------------------------------


def _added_record(exchange: Exchange) -> Mapping[str, Any] | None:
    """The record an add's success answer shows: the one that add created, or None for any other answer.

    Every success of an add is taken to show a record the add created, never one the account held before:
    the spec's 200 says "The bucket was added; its ownership challenge is pending", the official document and
    Cloudflare's docs describe add as creating the ownership whose challenge validate then answers, and no
    document says a repeated add answers an earlier record (`ownership_id_is_new` holds every add, a repeated
    bucket too, to an id never seen before). The reference page's example (`success`, 2020) is the one example
    shared by every operation, not an answer to an add; the spec's own add examples are `pending` with
    `validated: ""`. A server that did answer an earlier record is named by `ownership_id_is_new` as well.
    """
    if exchange.operation_id != api.ADD or not exchange.is_success:
        return None
    return next(exchange.ownerships(), None)


@response_check(judges={api.ADD})
def added_ownership_is_pending(exchange: Exchange, policy: Policy) -> Verdict:
    """The record an add answers is `pending`: no validation of it has happened yet."""
    record = _added_record(exchange)
    if record is None:
        return OUT_OF_SCOPE
    if record.get("status") != "pending":
        raise ContractViolation('`status: "pending"` for the record the add created', _field(record, "status"))
    return HELD


@response_check(judges={api.ADD})
def added_ownership_is_not_validated(exchange: Exchange, policy: Policy) -> Verdict:
    """The record an add answers carries no `validated` time: absent, null or `""` (the real API's answer)."""
    record = _added_record(exchange)
    if record is None:
        return OUT_OF_SCOPE
    if record.get("validated") not in (None, ""):
        raise ContractViolation(
            '`validated` absent, null or `""` for the record the add created', _field(record, "validated")
        )
    return HELD


@response_check(judges={api.ADD})
def submitted_is_not_before_add(exchange: Exchange, policy: Policy) -> Verdict:
    """The `submitted` of the record an add created is not earlier than the add was sent, less the clock skew and
    the one-second resolution (a stamp hours in the past is as wrong as one in the future, which
    `submitted_is_not_in_future` judges). Not judged where the time the add was sent is unknown.
    """
    record = _added_record(exchange)
    submitted = parse_rfc3339(record.get("submitted")) if record is not None else None
    if record is None or submitted is None or exchange.sent_at is None:
        return OUT_OF_SCOPE
    earliest = exchange.sent_at - policy.clock_skew - TIMESTAMP_RESOLUTION
    if submitted < earliest:
        raise ContractViolation(
            f"`submitted` at or after {earliest.isoformat(timespec='seconds')} (the add sent at "
            f"{exchange.sent_at.isoformat(timespec='milliseconds')} - {policy.clock_skew} - "
            f"{TIMESTAMP_RESOLUTION.seconds}s)",
            _field(record, "submitted"),
        )
    return HELD


# --- echo ------------------------------------------------------------------------------------------


@response_check(judges=ECHOING_OPERATIONS)
def destination_conf_is_echoed(exchange: Exchange, policy: Policy) -> Verdict:
    """Add and validate answer with the `destination_conf` that was sent."""
    if exchange.operation_id not in ECHOING_OPERATIONS or not exchange.is_success:
        return OUT_OF_SCOPE
    sent = exchange.request_body.get("destination_conf") if isinstance(exchange.request_body, dict) else None
    record = next(exchange.ownerships(), None)
    if not isinstance(sent, str) or record is None:
        return OUT_OF_SCOPE
    if record.get("destination_conf") != sent:
        raise ContractViolation(f"`destination_conf: {_show(sent)}`", _field(record, "destination_conf"))
    return HELD


def run_response_checks(exchange: Exchange, policy: Policy) -> Iterator[tuple[str, ContractViolation | None]]:
    """(check name, violation or None) for every response check that applies to the exchange."""
    for name, check in RESPONSE_CHECKS.items():
        try:
            verdict = check(exchange, policy)
        except ContractViolation as violation:
            yield name, violation
        else:
            if verdict is HELD:
                yield name, None


# --- the lifecycle and tenancy, judged against a model of what the server should hold ---------------


def _ids(ids: Collection[str]) -> str:
    return ", ".join(sorted(ids)) or "none"


def _require(holds: bool, expected: str, received: Callable[[], str]) -> None:
    """Raise the check's violation unless its rule holds; `received` is only worked out for a violation."""
    if not holds:
        raise ContractViolation(expected, received())


@lifecycle_check(judges={api.LIST})
def created_ownership_is_listed(listing: Exchange, expected_ids: Collection[str]) -> Verdict:
    """Every ownership created (and not deleted) under an account is listed under it.

    `listing` is the account's whole listing: one answer, or the union of the pages its server offered
    (`pages_deliver_what_they_claim`). The spec documents no paging, so a `result_info` claiming more excuses
    nothing.
    """
    missing = set(expected_ids) - listing.result_ids()
    _require(
        listing.status == 200 and not missing,
        f"status 200 listing the created ids {_ids(missing or expected_ids)}",
        lambda: f"status {listing.status} listing {_ids(listing.result_ids())}",
    )
    return HELD


@lifecycle_check(judges={api.LIST, api.VALIDATE})
def deleted_ownership_is_not_listed(listing: Exchange, deleted_ids: Collection[str]) -> Verdict:
    """An ownership that was deleted is no longer listed, nor shown by any later answer (add, validate)."""
    still = listing.result_ids() & set(deleted_ids)
    _require(
        not still,
        "deleted ids gone from the list",
        lambda: f"still listed: {_ids(still)}",
    )
    return HELD


def _conf_in(record: Mapping[str, Any], confs: Collection[str]) -> bool:
    conf = record.get("destination_conf")
    return isinstance(conf, str) and conf in confs


@lifecycle_check(judges={api.LIST, api.VALIDATE})
def shown_ownership_was_created(exchange: Exchange, known_ids: Collection[str], explained: Collection[str]) -> Verdict:
    """Every record an answer shows (list, add, validate) is one the run created or saw, or the account held before
    the run: a record nobody created is a violation wherever it appears.

    `known_ids`: every id the model of the accounts knows; `explained`: the buckets of writes whose record the model
    cannot name (an add on its way or without an answer, or one judged by `failed_write_changes_nothing`).
    """
    shown = [record for record in exchange.ownerships() if isinstance(record.get("id"), str)]
    if not shown:
        return OUT_OF_SCOPE
    made_up = {record["id"] for record in shown if record["id"] not in known_ids and not _conf_in(record, explained)}
    _require(
        not made_up,
        "only ownerships the run created, or that the account held before it",
        lambda: f"shown, never created: {_ids(made_up)}",
    )
    return HELD


@lifecycle_check(judges={api.LIST})
def failed_write_changes_nothing(
    listing: Exchange,
    refused_confs: Collection[str],
    known_ids: Collection[str],
    kept_ids: Collection[str],
    adding: Collection[str] = (),
) -> Verdict:
    """A refused, failed or throttled write (4xx, 429, 5xx) leaves the account as it was: no list shows a record of
    a bucket only a refused add named, and every record that only a refused delete named is still listed.

    `refused_confs`: the buckets of refused adds; `known_ids`: every id the model knows; `kept_ids`: ids the account
    holds that a refused delete named; `adding`: buckets of adds on their way or without an answer (they explain
    a record of their bucket).
    """
    if listing.status != 200 or not (refused_confs or kept_ids):
        return OUT_OF_SCOPE
    stored = {
        record["id"]
        for record in listing.ownerships()
        if isinstance(record.get("id"), str)
        and record["id"] not in known_ids
        and _conf_in(record, refused_confs)
        and not _conf_in(record, adding)
    }
    removed = set(kept_ids) - listing.result_ids()
    _require(
        not stored and not removed,
        "the account as it was after a refused, failed or throttled write: nothing created, nothing deleted",
        lambda: "; ".join(
            part
            for part in (
                f"listed, from an add that was refused: {_ids(stored)}" if stored else "",
                f"gone after a delete that was refused: {_ids(removed)}" if removed else "",
            )
            if part
        ),
    )
    return HELD


@lifecycle_check(judges={api.DELETE})
def created_ownership_can_be_deleted(deletion: Exchange) -> Verdict:
    """Deleting an ownership that exists answers 204."""
    _require(
        deletion.status == 204,
        "status 204 deleting an existing ownership",
        lambda: f"status {deletion.status}",
    )
    return HELD


@lifecycle_check(judges={api.DELETE})
def second_delete_is_not_found(deletion: Exchange) -> Verdict:
    """Deleting an ownership that was already deleted answers 404."""
    _require(
        deletion.status == 404,
        "status 404 deleting an already deleted ownership",
        lambda: f"status {deletion.status}",
    )
    return HELD


@lifecycle_check(judges={api.VALIDATE})
def validate_returns_same_id(validation: Exchange, candidate_ids: Collection[str]) -> Verdict:
    """Validating a created bucket answers 200 with the id of that bucket's ownership."""
    record = next(validation.ownerships(), None)
    got = record.get("id") if record is not None else None
    _require(
        validation.status == 200 and got in candidate_ids,
        f"status 200 with `id` one of {_ids(candidate_ids)}",
        lambda: f"status {validation.status} with {_field(record, 'id') if record is not None else 'no result'}",
    )
    return HELD


# --- what an implementation does: ids, records over time, validation, credentials, completeness ----------


@lifecycle_check(judges={api.ADD})
def ownership_id_is_new(created: Exchange, seen_ids: Collection[str]) -> Verdict:
    """Every add answers with an id never returned before in the run (also for a bucket added again)."""
    record = next(created.ownerships(), None)
    got = record.get("id") if record is not None else None
    _require(
        not isinstance(got, str) or got not in seen_ids,
        "an `id` no earlier answer of the run returned",
        lambda: f"`id: {_show(got)}`, returned before",
    )
    return HELD


@lifecycle_check(judges={api.LIST})
def listed_ids_are_unique(listing: Exchange) -> Verdict:
    """No list shows the same id twice."""
    ids = [str(record["id"]) for record in listing.ownerships() if isinstance(record.get("id"), str)]
    twice = {ownership_id for ownership_id in ids if ids.count(ownership_id) > 1}
    _require(
        not twice,
        "each ownership listed once",
        lambda: f"listed more than once: {_ids(twice)}",
    )
    return HELD


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def claims_more(listing: Exchange) -> bool:
    """Whether the list's `result_info` says the account holds more than this answer shows.

    `total_pages` above `page` says so; without `total_pages`, a `total_count` above the records shown.
    A single page (`total_pages` 1) that counts more records than it shows claims no other page: the union of
    what was read then contradicts its `total_count` (`pages_deliver_what_they_claim`).
    """
    info = listing_info(listing)
    pages, page, total = (
        _number(info.get("total_pages")),
        _number(info.get("page", 1)),
        _number(info.get("total_count")),
    )
    if pages is not None:
        return page is not None and pages > page
    return total is not None and total > sum(1 for _ in listing.ownerships())


def listing_info(listing: Exchange) -> Mapping[str, Any]:
    """The list answer's `result_info` (empty when it has none, or one that is not an object)."""
    info = (listing.envelope or {}).get("result_info")
    return info if isinstance(info, dict) else {}


@dataclass(frozen=True)
class Seen:
    """What the run has seen of one record: its first-seen fields, and its last status and `validated`.

    `validations` counts the validations of the record's bucket sent so far; `last_validations` is that count
    when the record was last seen, so that a change of `status` or `validated` since then can be told apart.
    `first_validation_sent` is when the first of them was sent, where the run saw it sent (None: none seen).
    """

    first: Mapping[str, Any]
    status: Any
    validated: Any
    last_validations: int = 0
    validations: int = 0
    first_validation_sent: datetime | None = None

    @classmethod
    def of(cls, record: Mapping[str, Any], validations: int = 0) -> Seen:
        fields = {name: record[name] for name in STABLE_FIELDS if name in record}
        return cls(fields, record.get("status"), record.get("validated", ""), validations, validations)

    def then(self, record: Mapping[str, Any]) -> Seen:
        """The history once `record` was seen."""
        return Seen(
            self.first,
            record.get("status"),
            record.get("validated", ""),
            self.validations,
            self.validations,
            self.first_validation_sent,
        )

    def validated_again(self, sent: datetime | None = None) -> Seen:
        """The history once a validation of the record's bucket was sent (at `sent`, when known)."""
        first_sent = self.first_validation_sent if self.validations else sent
        return Seen(self.first, self.status, self.validated, self.last_validations, self.validations + 1, first_sent)


STABLE_FIELDS = ("id", "destination_conf", "filename", "submitted")


def _same_value(first: Any, now: Any) -> bool:
    """Equal, or the same instant written twice (an RFC 3339 time may be spelled with `Z` or `+00:00`)."""
    if first == now:
        return True
    first_time, now_time = parse_rfc3339(first), parse_rfc3339(now)
    return first_time is not None and first_time == now_time


def _empty(value: Any) -> bool:
    return value is None or value == ""


@lifecycle_check(judges=SHOWING_RECORDS)
def record_is_stable(exchange: Exchange, history: Mapping[str, Seen]) -> Verdict:
    """A record shows the same `id`, `destination_conf`, `filename`, `submitted` in every answer; `status` and
    `validated` change only after a validation of its bucket, and `validated` is set only by one.

    A validation may take effect later (verification can take minutes): after one, a `pending` record may
    turn `success` or `failed` and get its `validated` at any later answer, but a settled status and a set
    `validated` do not change again until the bucket is validated again.
    """
    applied = False
    for record in exchange.ownerships():
        seen = history.get(record["id"]) if isinstance(record.get("id"), str) else None
        if seen is not None:
            applied = True
            _is_stable(record, seen)
    return HELD if applied else OUT_OF_SCOPE


def _is_stable(record: Mapping[str, Any], seen: Seen) -> None:
    ownership_id = record["id"]
    for name, first in seen.first.items():
        if not _same_value(first, record.get(name, ...)):
            raise ContractViolation(
                f"`{name}: {_show(first)}` for {ownership_id}, as first shown", _field(record, name)
            )
    status, validated = record.get("status"), record.get("validated", "")
    if seen.validations == 0:
        expected_status = f"`status: {_show(seen.status)}` for {ownership_id} (no validation was sent)"
        expected_validated = f"an empty `validated` for {ownership_id} (no validation was sent)"
        status_holds, validated_holds = status == seen.status, _empty(validated)
    elif seen.validations == seen.last_validations:  # validated before, but not since it was last seen
        expected_status = f"`status: {_show(seen.status)}` for {ownership_id}, as last shown (no validation since)"
        expected_validated = (
            f"`validated: {_show(seen.validated)}` for {ownership_id}, as last shown (no validation since)"
        )
        settling = seen.status == "pending" and status in ("success", "failed")
        status_holds = status == seen.status or settling
        validated_holds = _empty(seen.validated) or _same_value(seen.validated, validated)
    else:
        return
    if not status_holds:
        raise ContractViolation(expected_status, _field(record, "status"))
    if not validated_holds:
        raise ContractViolation(expected_validated, _field(record, "validated"))


@lifecycle_check(judges={api.LIST, api.VALIDATE})
def validated_is_not_before_validation(
    exchange: Exchange, history: Mapping[str, Seen], clock_skew: timedelta = DEFAULT_CLOCK_SKEW
) -> Verdict:
    """A record's `validated` time is not earlier than the first validation of its bucket was sent, less the clock
    skew and the one-second resolution: nothing validates a bucket before a validation is asked for.

    The lower side of a validation's window (its upper side, the answer, is `validated_is_not_after_answer`'s).
    Not the validation that answered: verification may finish later, and a record validated again may keep the
    time of its first success. Judged only for records whose every validation the run saw sent.
    """
    applied = False
    for record in exchange.ownerships():
        seen = history.get(record["id"]) if isinstance(record.get("id"), str) else None
        validated = parse_rfc3339(record.get("validated"))
        if seen is None or seen.first_validation_sent is None or validated is None:
            continue
        applied = True
        earliest = seen.first_validation_sent - clock_skew - TIMESTAMP_RESOLUTION
        if validated < earliest:
            raise ContractViolation(
                f"`validated` at or after {earliest.isoformat(timespec='seconds')} for {record['id']} (its first "
                f"validation sent at {seen.first_validation_sent.isoformat(timespec='milliseconds')} - "
                f"{clock_skew} - {TIMESTAMP_RESOLUTION.seconds}s)",
                _field(record, "validated"),
            )
    return HELD if applied else OUT_OF_SCOPE


@lifecycle_check(judges={api.LIST})
def listing_is_complete(listing: Exchange, held_ids: Collection[str]) -> Verdict:
    """Every ownership the account holds is listed, whatever `result_info` says.

    The spec documents no paging (its list takes no query parameter and returns a single page), so an answer
    that leaves out a held record is incomplete even when its `result_info` claims more. Where the server's own
    answer shows pages anyway, `listing` is the union of every page it offered (`pages_deliver_what_they_claim`
    judges the pages themselves). Applies to answers of 200 only (a refusal lists nothing, and other checks
    judge it).
    """
    if listing.status != 200 or not held_ids:
        return OUT_OF_SCOPE
    missing = set(held_ids) - listing.result_ids()
    _require(
        not missing,
        f"all {len(held_ids)} ownerships the account holds listed (the spec documents no paging: "
        "`result_info` excuses none missing)",
        lambda: (
            f"{len(listing.result_ids())} listed without {_ids(missing)}; "
            f"{_field(listing.envelope or {}, 'result_info')}"
        ),
    )
    return HELD


def claimed_pages(listing: Exchange) -> int:
    """How many pages the list's `result_info` says there are (1 when it claims no other page).

    `total_pages` when given; else `total_count` over `per_page` (or over the records shown, without
    `per_page`), at least 1.
    """
    info = listing_info(listing)
    pages = _number(info.get("total_pages"))
    if pages is not None:
        return max(1, math.ceil(pages)) if math.isfinite(pages) else 1
    total, per_page = _number(info.get("total_count")), _number(info.get("per_page"))
    size = per_page if per_page is not None and per_page >= 1 else float(sum(1 for _ in listing.ownerships()))
    if total is None or size < 1 or not math.isfinite(total / size):
        return 1
    return max(1, math.ceil(total / size))


def _page_delivers(page: Exchange, which: str, shown: Collection[Any]) -> list[Any]:
    """The ids of a later page that answers 200 with records no earlier page showed (`shown`)."""
    _require(page.status == 200, f"status 200 for {which}", lambda: f"status {page.status} ({_show(page.url)})")
    ids = [record.get("id") for record in page.ownerships()]
    _require(bool(ids), f"records on {which}", lambda: f"an empty page: {_field(page.envelope or {}, 'result_info')}")
    again = {str(i) for i in ids if i in shown}
    _require(not again, f"{which} showing records no earlier page showed", lambda: f"shown before too: {_ids(again)}")
    return ids


@lifecycle_check(judges={api.LIST})
def pages_deliver_what_they_claim(first: Exchange, later: Sequence[Exchange]) -> Verdict:
    """A list's `result_info` claims only what its pages deliver: each later page it offers (read with
    `?page=N&per_page=M`, M its own `per_page`) answers 200 with records no page before it showed, and the
    union of every page holds as many records as its `total_count`.

    The spec documents no paging, so the gate never asks for a page first: it follows pages only when the
    server's own answer claims more (`total_pages` above `page`, or a `total_count` above the records shown),
    a bounded number of them, with nothing written in between. A single answer claiming no other page only
    breaks it with a `total_count` above what it shows (a total that never arrives); a truthful one passes.
    """
    if first.status != 200:
        return OUT_OF_SCOPE
    total = _number(listing_info(first).get("total_count"))
    claimed = claimed_pages(first)
    if not later and claimed == 1 and total is None:
        return OUT_OF_SCOPE
    shown = [record.get("id") for record in first.ownerships()]
    for number, page in enumerate(later, start=2):
        shown.extend(
            _page_delivers(page, f"page {number} of the {claimed} the first answer's `result_info` claims", shown)
        )
    if len(later) + 1 >= claimed and total is not None:
        # Pages followed must add up to their count; one answer alone claims no more than it shows (a count below
        # it claims nothing, and completeness is judged on the records themselves).
        _require(
            total == len(shown) if later else total <= len(shown),
            f"as many records in the {len(later) + 1} page(s) as their `total_count: {_show(total)}`",
            lambda: f"{len(shown)} record(s) in all",
        )
    return HELD


@lifecycle_check(judges={api.LIST, api.VALIDATE})
def validation_sets_status(validation: Exchange, delivered: bool) -> Verdict:
    """With the delivered challenge, validate answers `success` and a `validated` time not before `submitted`;
    with a wrong one, `failed` or a 4xx, never `success`.

    A `pending` answer does not apply: the real API may take minutes to verify.
    """
    record = next(validation.ownerships(), None)
    status = record.get("status") if record is not None else None
    if not delivered:
        if 400 <= validation.status < 500:
            return HELD  # a refusal of a wrong challenge is fine
        if status == "pending":
            return OUT_OF_SCOPE
        _require(
            validation.status == 200 and status == "failed",
            '`status: "failed"` (or a 4xx) validating with a wrong challenge',
            lambda: f"status {validation.status} with {_field(record, 'status') if record else 'no result'}",
        )
        return HELD
    if record is None or status == "pending":
        return OUT_OF_SCOPE
    _require(
        status == "success",
        '`status: "success"` validating with the challenge the server delivered',
        lambda: f"status {validation.status} with {_field(record, 'status')}",
    )
    submitted, validated = parse_rfc3339(record.get("submitted")), parse_rfc3339(record.get("validated"))
    _require(
        validated is not None and (submitted is None or validated >= submitted - TIMESTAMP_RESOLUTION),
        f"`validated`: an RFC 3339 time not before `submitted` ({_show(record.get('submitted'))}) after a success",
        lambda: _field(record, "validated"),
    )
    return HELD


@lifecycle_check(judges={api.ADD})
def challenge_file_is_delivered(created: Exchange, content: str | None, wait: float) -> Verdict:
    """After an add answers 200, the bucket holds the challenge file its `filename` names, not empty, within
    `wait` seconds (`content`: what the bucket held under that name by then, None when nothing was there).
    """
    record = next(created.ownerships(), None)
    filename = record.get("filename") if record is not None else None
    if created.status != 200 or not isinstance(filename, str) or not filename:
        return OUT_OF_SCOPE
    _require(
        bool(content and content.strip()),
        f"the challenge file `filename: {_show(filename)}` in the bucket within {wait:g}s of the add",
        lambda: f"no such file in the bucket {wait:g}s after the add" if content is None else "an empty file",
    )
    return HELD


@lifecycle_check(judges={api.VALIDATE})
def made_up_challenge_never_succeeds(validation: Exchange) -> Verdict:
    """A validation whose `ownership_challenge` was made up (never delivered by the server) never succeeds."""
    record = next(validation.ownerships(), None)
    _require(
        record is None or record.get("status") != "success",
        "anything but `status: success` for a challenge the server never delivered",
        lambda: f'status {validation.status} with `status: "success"`',
    )
    return HELD


def _listed_state(listing: Exchange) -> dict[str, tuple[Any, Any]]:
    return {
        record["id"]: (record.get("status"), record.get("validated", ""))
        for record in listing.ownerships()
        if isinstance(record.get("id"), str)
    }


@lifecycle_check(judges=EVERY_OPERATION)
def half_credentials_are_refused(
    refused: Exchange, variant: str, before: Exchange | None = None, after: Exchange | None = None
) -> Verdict:
    """Half-right credentials (`variant` says which) are refused with 401 or 403, and change nothing.

    `before` and `after` are lists of the account around a refused write: the same records, in the same state.
    """
    _require(
        refused.status in (401, 403),
        f"401 or 403 for {variant}",
        lambda: f"status {refused.status}",
    )
    if before is None or after is None or before.status != 200 or after.status != 200:
        return HELD
    was, now = _listed_state(before), _listed_state(after)
    changed = {
        ownership_id for ownership_id in was.keys() | now.keys() if was.get(ownership_id) != now.get(ownership_id)
    }
    _require(
        not changed,
        f"nothing created, deleted or validated by a request with {variant}",
        lambda: f"changed between the lists before and after it: {_ids(changed)}",
    )
    return HELD


@lifecycle_check(judges={api.LIST})
def given_credentials_are_accepted(listing: Exchange, style: str) -> Verdict:
    """A list of an account the run may use, sent with one style of the run's own credentials (`style`: the API
    token, or the X-Auth-Email + X-Auth-Key pair), is not refused: each style the run was given works."""
    _require(
        listing.status not in (401, 403),
        f"the list answered for {style}",
        lambda: f"status {listing.status}",
    )
    return HELD if listing.is_success else OUT_OF_SCOPE


# --- tenancy: one account's answers never show, validate or delete another's ownerships ----------------


@tenancy_check(judges={api.LIST})
def foreign_ownership_is_not_listed(listing: Exchange, foreign_ids: Collection[str]) -> Verdict:
    """Another account's ownerships never appear in an account's list."""
    leaked = listing.result_ids() & set(foreign_ids)
    _require(
        not leaked,
        "no ownership of another account listed",
        lambda: f"listed: {_ids(leaked)}",
    )
    return HELD


@tenancy_check(judges={api.VALIDATE})
def foreign_ownership_is_not_validated(validation: Exchange, foreign_ids: Collection[str]) -> Verdict:
    """Validating another account's bucket never answers with that account's ownership."""
    leaked = validation.result_ids() & set(foreign_ids)
    _require(
        not leaked,
        "no ownership of another account in the answer (404, or this account's own record)",
        lambda: f"status {validation.status} with id {_ids(leaked)}",
    )
    return HELD


@tenancy_check(judges={api.DELETE})
def foreign_ownership_is_not_deleted(deletion: Exchange) -> Verdict:
    """Deleting another account's ownership is refused."""
    _require(
        not deletion.is_success,
        "a refusal (404 or 403) deleting another account's ownership",
        lambda: f"status {deletion.status}",
    )
    return HELD


# Every project check in report order: the response checks, then the lifecycle's, then tenancy's.
CHECKS: Mapping[str, ModelCheck] = MappingProxyType({**_RESPONSE, **_LIFECYCLE, **_TENANCY})


def judges(check: str, operation: str) -> bool:
    """Whether the check can ever judge the operation: as our check declares it; a name we do not register (a
    schemathesis built-in) judges every operation."""
    found = CHECKS.get(check)
    return found is None or operation in found.judges
