"""The passive judge: real traffic, fed in order, judged against the contract without sending anything.

Every answer gets the spec's rules (`_conformance`) and the gate's response checks (`_checks.run_response_checks`).
Across answers, the lifecycle and tenancy checks of `_checks` are judged against what the traffic itself showed:
an id an add returned is listed later, a deleted id is gone from later lists and deleting it again is 404,
validate answers the id of that bucket's record, no account lists another's ids, records keep their fields, ids
are new and listed once. A rule that needs state the traffic has not shown stays silent: records from before the
first answer seen are only known once a list shows them, a list that says there are more pages excuses a missing
id, and a request still in flight (a delete, a validation) excuses what it may have changed.

`begin` is told of each request when it starts, `feed` of each answer when it ends, in that order; `judge_all`
does both for recorded traffic. Verdicts go into a `_report.Ledger`.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pcaps_contract import _api as api
from pcaps_contract import _checks as checks
from pcaps_contract._conformance import SPEC_CHECKS, run_spec_checks
from pcaps_contract._credentials import Credentials
from pcaps_contract._errors import SpecError
from pcaps_contract._report import Failure, GateReport, Ledger, Step, redacted_failure, utc_now
from pcaps_contract._spec import Operation, Spec
from pcaps_contract._traffic import Recorded, Secrets

# The checks of `_checks` a passive judge can decide from traffic alone, in the gate's report order.
PASSIVE_LIFECYCLE_CHECKS = tuple(
    name
    for name in checks.LIFECYCLE_CHECKS
    if name
    not in {
        "listing_is_complete",  # records from before the proxy, or changed out of band, cannot be told apart
        "validation_sets_status",  # whether a challenge was the delivered one is unknown to a bystander
        "made_up_challenge_never_succeeds",  # likewise
    }
)
PASSIVE_CHECKS = (*SPEC_CHECKS, *checks.RESPONSE_CHECKS, *PASSIVE_LIFECYCLE_CHECKS, *checks.TENANCY_CHECKS)
NEVER_JUDGED = {
    "created_ownership_is_listed": "no list of an account after an add answered 200 there",
    "deleted_ownership_is_not_listed": "no list of an account after a delete answered 204 there",
    "created_ownership_can_be_deleted": "no delete of an ownership an add of the traffic returned",
    "second_delete_is_not_found": "no delete of an ownership already deleted in the traffic",
    "validate_returns_same_id": "no validation of a bucket whose record the traffic showed",
    "ownership_id_is_new": "no add answered 200",
    "listed_ids_are_unique": "no list answered 200",
    "record_is_stable": "no record shown twice",
    "half_credentials_are_refused": "no request with X-Auth-Email or X-Auth-Key alone",
    "foreign_ownership_is_not_listed": "no list of one account while the traffic showed another's records",
    "foreign_ownership_is_not_validated": "no validation of a bucket another account holds",
    "foreign_ownership_is_not_deleted": "no delete of another account's ownership",
}
_SUCCESS_OR_NOT_FOUND = "2xx or 404"


@dataclass(frozen=True)
class Route:
    """Where an operation of the spec lives, as a pattern any base path may precede."""

    operation: Operation
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, operation: Operation) -> Route:
        parts = re.split(r"\{([^}]+)\}", operation.path)
        regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]*)" for index, part in enumerate(parts))
        return cls(operation, re.compile(f"(?P<_base>.*?){regex}/?"))


class Router:
    """The operation of a request: by its path's end (a concrete path wins over a template), then its method."""

    def __init__(self, spec: Spec) -> None:
        routes = [Route.of(operation) for operation in spec.operations()]
        # Fewer parameters first: `/ownership/validate` is tried before `/ownership/{ownership_id}`.
        self.routes = sorted(routes, key=lambda route: route.operation.path.count("{"))

    def match(self, method: str, url: str) -> tuple[str, Operation, dict[str, str]] | None:
        """(scope: origin and base path, the operation, its decoded path parameters), or None when not the API's."""
        pieces = urlsplit(url)
        for route in self.routes:
            found = route.pattern.fullmatch(pieces.path)
            if found is None:
                continue
            if route.operation.method != method.lower():
                if any(
                    other.operation.path == route.operation.path and other.operation.method == method.lower()
                    for other in self.routes
                ):
                    continue
                return None  # a method the matched path does not declare
            parameters = {name: unquote(value) for name, value in found.groupdict().items() if name != "_base"}
            return f"{pieces.scheme}://{pieces.netloc}{found['_base']}", route.operation, parameters
        return None


@dataclass
class _Known:
    """An ownership the traffic showed: whose it is, its bucket, and the answer that first showed it."""

    account: str
    conf: Any
    ended: float
    shown_by: tuple[Step, ...] = ()


@dataclass
class _Scope:
    """What one API (origin and base path) showed so far."""

    held: dict[str, _Known] = field(default_factory=dict)  # added in the traffic, not deleted
    gone: dict[str, _Known] = field(default_factory=dict)  # deleted (204) in the traffic; `ended` of the delete
    owner: dict[str, str] = field(default_factory=dict)  # id -> the account that added or first listed it
    conf: dict[str, Any] = field(default_factory=dict)  # id -> its destination_conf, as last shown
    first_seen: dict[str, float] = field(default_factory=dict)  # id -> when an answer first showed it
    seen: dict[str, checks.Seen] = field(default_factory=dict)  # record_is_stable's history
    present: dict[str, set[str] | None] = field(default_factory=dict)  # account -> all its ids, when known
    deleting: Counter[tuple[str, str]] = field(default_factory=Counter)  # deletes in flight
    by_conf: dict[Any, set[str]] = field(default_factory=dict)  # destination_conf -> the ids shown with it
    last_gone: dict[str, str] = field(default_factory=dict)  # account -> the id it deleted last
    accounts: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Seen:
    """One exchange of the API, as the judge reads it."""

    scope: str
    operation: Operation
    account: str
    parameters: dict[str, str]
    exchange: checks.Exchange
    recorded: Recorded
    step: Step

    @property
    def operation_id(self) -> str:
        return self.operation.operation_id or self.operation.label

    @property
    def conf(self) -> Any:
        body = self.exchange.request_body
        return body.get("destination_conf") if isinstance(body, dict) else None


@dataclass
class Tally:
    """What the judge saw and could not judge, for the report's notes."""

    exchanges: int = 0
    judged: int = 0
    other: int = 0  # not an operation of the spec (another path, or a method the path does not declare)
    throttled: int = 0
    truncated: int = 0


FailureSink = Callable[[Failure, Credentials], None]


class PassiveJudge:
    """Judges exchanges in the order they happen; records every verdict into `ledger`.

    Args:
        spec: the contract.
        on_failure: called with each violation as it is found (and credentials to redact and reproduce it).
        clock_skew: how far ahead of the exchange's own time `submitted` may be.
    """

    def __init__(
        self,
        spec: Spec,
        on_failure: FailureSink | None = None,
        clock_skew: Any = checks.DEFAULT_CLOCK_SKEW,
    ) -> None:
        self.spec = spec
        self.router = Router(spec)
        self.ledger = Ledger(api.OPERATIONS, PASSIVE_CHECKS)
        self.on_failure = on_failure
        self.clock_skew = clock_skew
        self.secrets = Secrets()
        self.tally = Tally()
        self.scopes: dict[str, _Scope] = {}
        self.started = time.monotonic()
        self.started_at = utc_now()

    def warm(self) -> None:
        """Compile every response schema's validators now, so that the first answers wait for none of them."""
        for operation in self.spec.operations():
            for key in operation.definition.get("responses") or {}:
                try:
                    pointer = self.spec.response_schema_pointer(operation, str(key))
                except SpecError:
                    continue  # a response without a JSON body (204)
                self.spec.surely_valid(pointer, None)
                self.spec.validator(pointer)

    # --- the two events of an exchange -----------------------------------------------------------------------

    def begin(self, method: str, url: str, request_body: bytes = b"") -> None:
        """A request is on its way: what it may change is excused until its answer is fed."""
        matched = self.router.match(method, url)
        if matched is None:
            return
        scope_name, operation, parameters = matched
        scope = self.scopes.setdefault(scope_name, _Scope())
        account = parameters.get("account_id", "")
        if operation.operation_id == api.DELETE:
            scope.deleting[(account, parameters.get("ownership_id", ""))] += 1
        elif operation.operation_id == api.VALIDATE:
            conf = _json(request_body).get("destination_conf") if isinstance(_json(request_body), dict) else None
            for ownership_id in scope.by_conf.get(_key(conf), ()):
                seen = scope.seen.get(ownership_id)
                if seen is not None and scope.owner.get(ownership_id) == account:
                    scope.seen[ownership_id] = seen.validated_again()

    def lost(self, method: str, url: str, request_body: bytes = b"") -> None:
        """A request that got no (whole) answer: what it may have done on the server is unknown from now on."""
        matched = self.router.match(method, url)
        if matched is None:
            return
        scope_name, operation, parameters = matched
        scope = self.scopes.setdefault(scope_name, _Scope())
        account = parameters.get("account_id", "")
        if operation.operation_id == api.ADD:
            scope.present[account] = None
        elif operation.operation_id == api.DELETE:
            key = (account, parameters.get("ownership_id", ""))
            scope.deleting[key] -= 1
            if scope.deleting[key] <= 0:
                del scope.deleting[key]
            if scope.held.pop(key[1], None) is not None:
                scope.present[account] = None

    def feed(self, recorded: Recorded) -> None:
        """An answer arrived: judge it, then take what it showed into the model."""
        self.tally.exchanges += 1
        carried = self.secrets.learn(recorded.request_headers, recorded.request_body, recorded.response_body)
        matched = self.router.match(recorded.method, recorded.url)
        if matched is None:
            self.tally.other += 1
            return
        scope_name, operation, parameters = matched
        scope = self.scopes.setdefault(scope_name, _Scope())
        account = parameters.get("account_id", "")
        if operation.operation_id == api.DELETE:
            key = (account, parameters.get("ownership_id", ""))
            scope.deleting[key] -= 1
            if scope.deleting[key] <= 0:
                del scope.deleting[key]
        if recorded.status == 429:
            self.tally.throttled += 1  # the API working as documented: never judged
            return
        self.tally.judged += 1
        exchange, step = _exchange(operation, recorded), _step(recorded, carried)
        seen = _Seen(scope_name, operation, account, parameters, exchange, recorded, step)
        whole = not recorded.truncated and recorded.status < 500
        for name, violation in run_spec_checks(self.spec, operation, seen.exchange, body=whole):
            self._record(seen, name, violation)
        if recorded.truncated:
            self.tally.truncated += 1
        if not whole:
            self._unsure(scope, seen)
            return
        policy = checks.Policy(clock_skew=self.clock_skew, now=lambda: datetime.fromtimestamp(recorded.ended, UTC))
        for name, violation in checks.run_response_checks(seen.exchange, policy):
            self._record(seen, name, violation)
        self._half_credentials(seen)
        scope.accounts.add(account)
        handler = {
            api.ADD: self._added,
            api.LIST: self._listed,
            api.DELETE: self._deleted,
            api.VALIDATE: self._validated,
        }.get(operation.operation_id or "")
        if handler is not None:
            handler(scope, seen)

    def judge_all(self, exchanges: Iterable[Recorded]) -> None:
        """Judge recorded traffic: each request begun when it started, each answer fed when it ended."""
        items = self._causal(list(exchanges))
        for recorded in items:  # every secret of the recording known before the first verdict is written down
            self.secrets.learn(recorded.request_headers, recorded.request_body, recorded.response_body)
        starts = sorted(range(len(items)), key=lambda index: (items[index].started, index))
        ends = sorted(range(len(items)), key=lambda index: (items[index].ended, index))
        begun: set[int] = set()
        cursor = 0
        for index in ends:
            ending = items[index]
            # Everything that started before this answer ended was in flight while it was made.
            while cursor < len(starts) and items[starts[cursor]].started < ending.ended:
                self._begin(items[starts[cursor]], begun, starts[cursor])
                cursor += 1
            self._begin(ending, begun, index)
            self.feed(ending)

    def _causal(self, items: list[Recorded]) -> list[Recorded]:
        """The exchanges, each add's answer ending no later than the first request that names the id it returned.

        A recorder's clock can put the end of an answer after the start of a request that could only be sent once
        that answer was read: a HAR's `time` may include reading the body and the recorder's own work. A delete of
        the id an add returned then seems to overlap the add, the judge would see the delete before the add, and a
        later list without the deleted id would look like a created id gone missing. The order the requests
        themselves show wins over the clock.
        """
        routes = [self.router.match(recorded.method, recorded.url) for recorded in items]
        named: dict[str, float] = {}
        for recorded, matched in zip(items, routes, strict=True):
            ownership_id = matched[2].get("ownership_id") if matched is not None else None
            if ownership_id:
                named[ownership_id] = min(named.get(ownership_id, recorded.started), recorded.started)
        if not named:
            return items
        fixed = []
        for recorded, matched in zip(items, routes, strict=True):
            if recorded.status == 200 and matched is not None and matched[1].operation_id == api.ADD:
                first = named.get(_added_id(recorded) or "")
                if first is not None and recorded.started <= first < recorded.ended:
                    recorded = replace(recorded, ended=first)
            fixed.append(recorded)
        return fixed

    def _begin(self, recorded: Recorded, begun: set[int], index: int) -> None:
        if index not in begun:
            begun.add(index)
            self.begin(recorded.method, recorded.url, recorded.request_body)

    # --- verdicts ----------------------------------------------------------------------------------------------

    def _record(
        self, seen: _Seen, name: str, violation: checks.ContractViolation | None, trail: Sequence[Step] = ()
    ) -> None:
        seconds = max(0.0, seen.recorded.ended - seen.recorded.started)  # the answer's time, as the gate counts it
        if violation is None:
            self.ledger.passed(seen.operation_id, name, seconds)
            return
        # Redacted as it is recorded: every report and line made of it later holds the variables, not the secrets.
        failure = redacted_failure(
            Failure(seen.operation_id, name, violation.expected, violation.received, (*trail, seen.step)),
            self.secrets.redact,
        )
        self.ledger.failed(failure, seconds)
        if self.on_failure is not None:
            self.on_failure(failure, self.secrets.credentials(seen.recorded.request_headers))

    def _judge(self, seen: _Seen, check: checks.ModelCheck, *args: Any, trail: Sequence[Step] = ()) -> None:
        """One registered check of `_checks` on the exchange; one out of scope records nothing."""
        try:
            verdict = check(seen.exchange, *args)
        except checks.ContractViolation as violation:
            self._record(seen, check.name, violation, trail)
            return
        if verdict is checks.HELD:
            self._record(seen, check.name, None)

    def _half_credentials(self, seen: _Seen) -> None:
        recorded = seen.recorded
        if recorded.request_header("authorization"):
            return
        email, key = recorded.request_header("x-auth-email"), recorded.request_header("x-auth-key")
        if bool(email) == bool(key):
            return
        if seen.exchange.is_success or recorded.status in (401, 403):
            variant = "X-Auth-Key without X-Auth-Email" if key else "X-Auth-Email without X-Auth-Key"
            self._judge(seen, checks.half_credentials_are_refused, variant)

    # --- the model -----------------------------------------------------------------------------------------------

    def _unsure(self, scope: _Scope, seen: _Seen) -> None:
        """An answer that says nothing of what the server did (a 5xx, a body too large): forget what it touched."""
        operation_id = seen.operation.operation_id
        if operation_id in (api.ADD, api.DELETE):
            scope.present[seen.account] = None
        if operation_id == api.DELETE:
            known = scope.held.pop(seen.parameters.get("ownership_id", ""), None)
            if known is not None:
                scope.present[known.account] = None

    def _show(self, scope: _Scope, seen: _Seen, account: str) -> None:
        """Judge that the records shown keep their fields, then remember what they showed."""
        self._judge(seen, checks.record_is_stable, scope.seen)
        for record in seen.exchange.ownerships():
            ownership_id = record.get("id")
            if not isinstance(ownership_id, str):
                continue
            history = scope.seen.get(ownership_id)
            if history is None:
                # First shown here, not added in the traffic: its status may have changed out of sight, so only
                # the fields that never change are judged (a history that has a validation it has not seen).
                history = checks.Seen.of(record).validated_again()
            scope.seen[ownership_id] = history.then(record) if ownership_id in scope.seen else history
            scope.first_seen.setdefault(ownership_id, seen.recorded.ended)
            scope.owner.setdefault(ownership_id, account)
            if "destination_conf" in record:
                scope.conf[ownership_id] = record["destination_conf"]
                scope.by_conf.setdefault(_key(record["destination_conf"]), set()).add(ownership_id)

    def _added(self, scope: _Scope, seen: _Seen) -> None:
        record = next(seen.exchange.ownerships(), None)
        ownership_id = record.get("id") if record is not None else None
        if seen.recorded.status != 200 or record is None or not isinstance(ownership_id, str):
            return
        first = scope.first_seen.get(ownership_id)
        earlier = {ownership_id} if first is not None and first <= seen.recorded.started else set()
        self._judge(seen, checks.ownership_id_is_new, earlier)
        fresh = ownership_id not in scope.seen
        self._show(scope, seen, seen.account)
        if fresh:
            scope.seen[ownership_id] = checks.Seen.of(record)  # added in sight: every change of it is judged
        scope.owner[ownership_id] = seen.account
        scope.held[ownership_id] = _Known(seen.account, seen.conf, seen.recorded.ended, (seen.step,))
        scope.by_conf.setdefault(_key(seen.conf), set()).add(ownership_id)
        scope.gone.pop(ownership_id, None)
        present = scope.present.get(seen.account)
        if present is not None:
            present.add(ownership_id)

    def _listed(self, scope: _Scope, seen: _Seen) -> None:
        listing, account, started = seen.exchange, seen.account, seen.recorded.started
        if listing.status != 200:
            return
        self._judge(seen, checks.listed_ids_are_unique)
        partial = _partial(seen)
        expected = {
            ownership_id: known
            for ownership_id, known in scope.held.items()
            if known.account == account and known.ended <= started and (account, ownership_id) not in scope.deleting
        }
        if expected and not partial:
            latest = max(expected.values(), key=lambda known: known.ended)
            self._judge(seen, checks.created_ownership_is_listed, set(expected), trail=latest.shown_by)
        # The deleted ids this list shows (found from the list, so a long history costs nothing), else the last
        # one deleted before it: either way the check sees whether any deleted id came back.
        shown_gone = {
            i: scope.gone[i] for i in listing.result_ids() if i in scope.gone and scope.gone[i].account == account
        }
        deleted = {i: known for i, known in shown_gone.items() if known.ended <= started}
        last = scope.last_gone.get(account)
        if not deleted and last is not None and scope.gone.get(last) is not None and scope.gone[last].ended <= started:
            deleted = {last: scope.gone[last]}
        if deleted:
            latest = max(deleted.values(), key=lambda known: known.ended)
            self._judge(seen, checks.deleted_ownership_is_not_listed, set(deleted), trail=latest.shown_by)
        if len(scope.accounts) > 1:
            shown = listing.result_ids()
            foreign = {ownership_id for ownership_id in shown if scope.owner.get(ownership_id, account) != account}
            trail = next((scope.held[i].shown_by for i in foreign if i in scope.held), ())
            self._judge(seen, checks.foreign_ownership_is_not_listed, foreign, trail=trail)
        self._show(scope, seen, account)
        if not partial and not checks._more_than_shown(listing):
            ids = {i for i in listing.result_ids() if scope.owner.get(i) == account}
            ids |= {i for i, known in scope.held.items() if known.account == account and known.ended > started}
            ids -= {i for i, known in shown_gone.items() if known.ended > started}
            scope.present[account] = ids

    def _deleted(self, scope: _Scope, seen: _Seen) -> None:
        ownership_id, account = seen.parameters.get("ownership_id", ""), seen.account
        status = seen.recorded.status
        decisive = seen.exchange.is_success or status == 404
        held, gone = scope.held.get(ownership_id), scope.gone.get(ownership_id)
        if held is not None and held.account != account:
            self._judge(seen, checks.foreign_ownership_is_not_deleted, trail=held.shown_by)
        elif held is not None and decisive:
            self._judge(seen, checks.created_ownership_can_be_deleted, trail=held.shown_by)
        elif gone is not None and gone.account == account and gone.ended <= seen.recorded.started and decisive:
            self._judge(seen, checks.second_delete_is_not_found, trail=gone.shown_by)
        if status == 204:
            owner = held.account if held is not None else scope.owner.get(ownership_id, account)
            scope.held.pop(ownership_id, None)
            if gone is None or gone.account != owner:
                scope.gone[ownership_id] = _Known(owner, None, seen.recorded.ended, (seen.step,))
                scope.last_gone[owner] = ownership_id
            present = scope.present.get(owner)
            if present is not None:
                present.discard(ownership_id)

    def _validated(self, scope: _Scope, seen: _Seen) -> None:
        account, conf, status = seen.account, seen.conf, seen.recorded.status
        if status not in (200, 404) or conf is None:
            return
        present = scope.present.get(account)
        own = {i for i, known in scope.held.items() if known.account == account and known.conf == conf}
        bucket = scope.by_conf.get(_key(conf), set())
        own |= {i for i in bucket if present is not None and i in present}
        foreign = {
            i for i in bucket if scope.owner.get(i, account) != account and (i in scope.held or i not in scope.gone)
        }
        answered = next(iter(seen.exchange.result_ids()), None)
        if foreign:
            trail = next((scope.held[i].shown_by for i in foreign if i in scope.held), ())
            self._judge(seen, checks.foreign_ownership_is_not_validated, foreign, trail=trail)
        if own and (answered in own or status == 404 or present is not None or scope.owner.get(answered or "")):
            trail = next((scope.held[i].shown_by for i in own if i in scope.held), ())
            if answered not in foreign:  # already named as a tenancy leak
                self._judge(seen, checks.validate_returns_same_id, own, trail=trail)
        if status == 200:
            self._show(scope, seen, account)

    # --- the report ----------------------------------------------------------------------------------------------

    def report(self, target: str, profile: str, seconds: float | None = None) -> GateReport:
        """The verdicts so far as the gate's report: table, failures with curl, JSON and JUnit."""
        tally = self.tally
        notes = [
            f"{tally.exchanges} exchange(s) seen, {tally.judged} judged; nothing was sent by pcaps-contract "
            "(seed 0: no case was generated)"
        ]
        if tally.other:
            notes.append(f"{tally.other} exchange(s) not of an operation of the spec (other paths or methods)")
        if tally.throttled:
            notes.append(f"{tally.throttled} answer(s) 429: the API's rate limit, never judged")
        if tally.truncated:
            notes.append(f"{tally.truncated} answer(s) larger than the body cap: judged by their status only")
        never = {
            check: NEVER_JUDGED.get(check, "no answer of the traffic fell under it")
            for check in PASSIVE_CHECKS
            if not any(self.ledger.status(operation, check) != "skipped" for operation in self.ledger.operations)
        }
        error = None
        if tally.judged == 0:
            error = (
                "no exchange of this API in the traffic (paths ending in /accounts/{account_id}/pcaps/ownership...)"
                if tally.exchanges > tally.throttled
                else "no exchange to judge"
                if tally.exchanges == 0
                else "every answer was 429"
            )
        return GateReport(
            target=target,
            seed=0,
            profile=profile,
            ledger=self.ledger,
            credentials=self.secrets.credentials(),
            seconds=time.monotonic() - self.started if seconds is None else seconds,
            requests=tally.exchanges,
            notes=notes,
            error=error,
            never_judged=never,
            started_at=self.started_at,
            spec_sha256=self.spec.sha256,
        )


def _added_id(recorded: Recorded) -> str | None:
    """The id an add's answer returned (`result.id`), or None when its body shows none."""
    try:
        result = json.loads(recorded.response_body).get("result")
    except (ValueError, AttributeError):
        return None
    ownership_id = result.get("id") if isinstance(result, dict) else None
    return ownership_id if isinstance(ownership_id, str) else None


def _key(conf: Any) -> Any:
    """A destination_conf as a dictionary key (whatever JSON value a request or an answer carried)."""
    return conf if isinstance(conf, str | int | float | bool) or conf is None else json.dumps(conf, sort_keys=True)


def _json(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _exchange(operation: Operation, recorded: Recorded) -> checks.Exchange:
    headers: dict[str, str] = {}
    for name, value in recorded.response_headers:
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return checks.Exchange(
        operation_id=operation.operation_id,
        method=recorded.method,
        url=recorded.url,
        status=recorded.status,
        content=recorded.response_body,
        request_body=_json(recorded.request_body),
        request_headers=dict(recorded.request_headers),
        response_headers=headers,
    )


def _step(recorded: Recorded, authenticated: bool) -> Step:
    """The reproduction of a recorded request: its URL, content type and body as sent, credentials as variables."""
    body = recorded.request_body.decode("utf-8", "replace") if recorded.request_body else None
    content_type = recorded.request_header("content-type")
    headers = {"Content-Type": content_type} if body is not None and content_type else {}
    return Step(recorded.method, recorded.url, headers, body, authenticated)


def _partial(seen: _Seen) -> bool:
    """Whether a list shows one page after the first (by its query or its `result_info`)."""
    query = parse_qs(urlsplit(seen.recorded.url).query)
    page = (query.get("page") or ["1"])[0]
    info = (seen.exchange.envelope or {}).get("result_info")
    shown_page = info.get("page") if isinstance(info, dict) else None
    return page not in ("", "1") or (isinstance(shown_page, int | float) and shown_page > 1)
