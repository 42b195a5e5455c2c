"""The passive judge: real traffic, fed in order, judged against the contract without sending anything.

Every answer gets the spec's rules (`judge.conformance`) and the gate's response checks (`_checks.run_response_checks`).
Across answers, the lifecycle and tenancy checks of `judge.checks` are judged against what the traffic itself showed:
an id an add returned is listed later, a deleted id is gone from later lists and deleting it again is 404,
validate answers the id of that bucket's record, no account lists another's ids, records keep their fields, ids
are new and listed once. A rule that needs state the traffic has not shown stays silent: records from before the
first answer seen are only known once a list shows them, a list that says there are more pages excuses a missing
id, and a request still in flight (a delete, a validation) excuses what it may have changed.

`begin` is told of each request when it starts, `feed` of each answer when it ends, in that order; `judge_all`
does both for recorded traffic. Verdicts go into a `_report.Ledger`.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pcaps_contract._errors import SpecError
from pcaps_contract._json import parsed_or_none, too_deep
from pcaps_contract._limits import (
    DEFAULT_MAX_JSON_DEPTH,
    MAX_EXCHANGE_SECONDS,
    MAX_TRACKED_IDS,
    MAX_TRACKED_SCOPES,
    ORDER_WINDOW,
    ORDER_WINDOW_BYTES,
)
from pcaps_contract.judge import (
    SPEC_CHECKS,
    Failure,
    Ledger,
    Listing,
    Step,
    checks,
    documented_statuses,
    kind_of,
    run_spec_checks,
)
from pcaps_contract.openapi import Operation, Spec, api
from pcaps_contract.passive.traffic import Recorded, Secrets
from pcaps_contract.report import FailureFound, Listener, RunReport, redacted_failure, utc_now

# The checks of `judge.checks` a passive judge can decide from traffic alone, in the gate's report order.
PASSIVE_LIFECYCLE_CHECKS = tuple(
    name
    for name in checks.LIFECYCLE_CHECKS
    if name
    not in {
        "listing_is_complete",  # records from before the proxy, or changed out of band, cannot be told apart
        "validation_sets_status",  # whether a challenge was the delivered one is unknown to a bystander
        "made_up_challenge_never_succeeds",  # likewise
        "challenge_file_is_delivered",  # the bucket is out of sight of the traffic
        # Records written out of band (by clients that did not go through the proxy) cannot be told from made-up
        # ones, nor a record a refused write touched from one another client changed.
        "shown_ownership_was_created",
        "failed_write_changes_nothing",
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
    "pages_deliver_what_they_claim": "no list answered 200 with a `result_info` counting its records",
    "record_is_stable": "no record shown twice",
    "validated_is_not_before_validation": "no `validated` shown after a validation the traffic sent",
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
    tracked: dict[str, None] = field(default_factory=dict)  # every id above, the one shown least recently first
    # The pages of each account's listing read so far, and what the account's writes did around them.
    pages: dict[str, _Pages] = field(default_factory=dict)
    writes: Counter[str] = field(default_factory=Counter)  # account -> writes begun
    writing: Counter[str] = field(default_factory=Counter)  # account -> writes in flight
    written: dict[str, float] = field(default_factory=dict)  # account -> when its last write answered

    def touch(self, ownership_id: str) -> None:
        self.tracked.pop(ownership_id, None)
        self.tracked[ownership_id] = None

    def bound(self, most: int) -> None:
        """Forget the ids shown least recently beyond `most`: each rule is silent on an id it no longer knows, and
        an account that had one is no longer known whole."""
        while len(self.tracked) > most:
            old = next(iter(self.tracked))
            del self.tracked[old]
            known = [self.held.pop(old, None), self.gone.pop(old, None)]
            accounts = {self.owner.pop(old, None), *(item.account for item in known if item is not None)}
            confs = [self.conf.pop(old, None), *(item.conf for item in known if item is not None)]
            for conf in confs:
                ids = self.by_conf.get(_key(conf))
                if ids is not None:
                    ids.discard(old)
                    if not ids:
                        del self.by_conf[_key(conf)]
            self.first_seen.pop(old, None)
            self.seen.pop(old, None)
            for account in accounts:
                if account is not None and account in self.present:
                    self.present[account] = None
                if account is not None and self.last_gone.get(account) == old:
                    del self.last_gone[account]
        # An account forgotten is one not known whole: silent.
        for per_account in (self.present, self.last_gone, self.pages, self.writes, self.written):
            while len(per_account) > most:
                del per_account[next(iter(per_account))]


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
class _Pages:
    """The pages of one listing seen so far: its first answer (which claimed the others), the later ones in
    order, and the account's writes begun when the first was fed (any write since: not one view)."""

    first: _Seen
    later: list[_Seen]
    writes: int

    def listing(self) -> Listing:
        return Listing(tuple(seen.exchange for seen in (self.first, *self.later)))


class _InFlight:
    """Recorded exchanges begun and not yet fed, the earliest end first; an add's end can move earlier."""

    def __init__(self) -> None:
        self._ends: list[tuple[float, int]] = []  # (end, index); an entry whose end has moved since is stale
        self._items: dict[int, Recorded] = {}
        self._adds: dict[str, int] = {}  # the id an add in flight returned -> its index
        self.bytes = 0  # of the bodies in flight

    def __len__(self) -> int:
        return len(self._items)

    def add(self, index: int, recorded: Recorded, added_id: str | None) -> None:
        self._items[index] = recorded
        self.bytes += _size(recorded)
        heapq.heappush(self._ends, (recorded.ended, index))
        if added_id:
            self._adds[added_id] = index

    def named(self, ownership_id: str, at: float) -> None:
        """A request naming `ownership_id` starts `at`: the add in flight that returned it had ended by then."""
        index = self._adds.pop(ownership_id, None)
        recorded = self._items.get(index) if index is not None else None
        if index is not None and recorded is not None and recorded.started <= at < recorded.ended:
            self._items[index] = replace(recorded, ended=at)
            heapq.heappush(self._ends, (at, index))

    def _pop(self) -> Recorded | None:
        ended, index = heapq.heappop(self._ends)
        recorded = self._items.get(index)
        if recorded is None or recorded.ended != ended:
            return None
        del self._items[index]
        self.bytes -= _size(recorded)
        return recorded

    def ended_by(self, at: float) -> Iterator[Recorded]:
        while self._ends and self._ends[0][0] <= at:
            recorded = self._pop()
            if recorded is not None:
                yield recorded

    def pop_earliest(self) -> Recorded:
        while True:
            recorded = self._pop()
            if recorded is not None:
                return recorded

    def drain(self) -> Iterator[Recorded]:
        while self._ends:
            recorded = self._pop()
            if recorded is not None:
                yield recorded


@dataclass
class Tally:
    """What the judge saw and could not judge, for the report's notes."""

    exchanges: int = 0
    judged: int = 0
    other: int = 0  # not an operation of the spec (another path, or a method the path does not declare)
    throttled: int = 0
    truncated: int = 0
    too_deep: int = 0  # answers nesting JSON beyond the bound: judged by their status only
    unjudged: int = 0  # exchanges the judge itself failed on: counted, never a crash
    dropped: int = 0  # answers the proxy's judge never took: it was behind the traffic
    not_found: int = 0  # judged answers with status 404
    no_route: int = 0  # of those, the ones that say the URL is no route of the API (`Exchange.is_no_route`)
    answers: dict[str, Counter[str]] = field(default_factory=dict)  # judged answers by operation, by kind


class PassiveJudge:
    """Judges exchanges in the order they happen; records every verdict into `ledger`.

    Args:
        spec: the contract.
        listener: told each violation as it is found (`FailureFound`, with the credentials of the request that
            found it, to redact and reproduce it).
        clock_skew: how far the server's clock may be ahead of the recording's or behind it.
    """

    def __init__(
        self,
        spec: Spec,
        listener: Listener | None = None,
        clock_skew: Any = checks.DEFAULT_CLOCK_SKEW,
    ) -> None:
        self.spec = spec
        self.router = Router(spec)
        self.ledger = Ledger(api.OPERATIONS, PASSIVE_CHECKS)
        self.listener = listener
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

    def begin(self, method: str, url: str, request_body: bytes = b"", at: float | None = None) -> None:
        """A request is on its way (sent `at`, seconds since the epoch, where the recording says): what it may
        change is excused until its answer is fed."""
        self._safely(self._begun, method, url, request_body, at)

    def lost(self, method: str, url: str, request_body: bytes = b"") -> None:
        """A request that got no (whole) answer: what it may have done on the server is unknown from now on."""
        self._safely(self._lost, method, url, request_body)

    def feed(self, recorded: Recorded) -> None:
        """An answer arrived: judge it, then take what it showed into the model."""
        judged = self.tally.judged
        if not self._safely(self._fed, recorded):
            self.tally.judged = judged
            self.tally.unjudged += 1

    def _safely(self, step: Callable[..., None], *args: Any) -> bool:
        """One event through the judge; a failure of the judge's own forgets the model instead of ending the run.

        Whatever the failing step had changed of the model is unknown, so the judge starts over from what later
        traffic shows: silent where it has not seen enough, never a false alarm.
        """
        try:
            step(*args)
        except Exception:  # one exchange the judge cannot take is counted, the others still judged
            self.forget()
            return False
        return True

    def _scope(self, name: str) -> _Scope:
        """What one API showed so far; beyond `MAX_TRACKED_SCOPES` APIs, the one seen first is forgotten."""
        scope = self.scopes.get(name)
        if scope is None:
            scope = self.scopes[name] = _Scope()
            while len(self.scopes) > MAX_TRACKED_SCOPES:
                del self.scopes[next(iter(self.scopes))]
        return scope

    def forget(self) -> None:
        """Drop the model of what the traffic showed (after a gap in it): silent until later traffic shows enough."""
        self.scopes.clear()

    def _write_of(self, method: str, url: str) -> tuple[_Scope, Operation, dict[str, str], str] | None:
        """What a request of the API is to the model (its scope, operation, path parameters, account), a write of
        that account unless it lists; None for a request that is not the API's."""
        matched = self.router.match(method, url)
        if matched is None:
            return None
        scope_name, operation, parameters = matched
        return self._scope(scope_name), operation, parameters, parameters.get("account_id", "")

    def _begun(self, method: str, url: str, request_body: bytes, at: float | None) -> None:
        write = self._write_of(method, url)
        if write is None:
            return
        scope, operation, parameters, account = write
        if operation.operation_id != api.LIST:
            scope.writes[account] += 1
            scope.writing[account] += 1
        if operation.operation_id == api.DELETE:
            scope.deleting[(account, parameters.get("ownership_id", ""))] += 1
        elif operation.operation_id == api.VALIDATE:
            body = parsed_or_none(request_body)
            conf = body.get("destination_conf") if isinstance(body, dict) else None
            sent = datetime.fromtimestamp(at, UTC) if at is not None else None
            for ownership_id in scope.by_conf.get(_key(conf), ()):
                seen = scope.seen.get(ownership_id)
                if seen is not None and scope.owner.get(ownership_id) == account:
                    scope.seen[ownership_id] = seen.validated_again(sent)

    def _lost(self, method: str, url: str, request_body: bytes) -> None:
        write = self._write_of(method, url)
        if write is None:
            return
        scope, operation, parameters, account = write
        if operation.operation_id != api.LIST:
            _written(scope, account, math.inf)  # it may still change the account: no view of it is one from now
        if operation.operation_id == api.ADD:
            scope.present[account] = None
        elif operation.operation_id == api.DELETE:
            key = (account, parameters.get("ownership_id", ""))
            scope.deleting[key] -= 1
            if scope.deleting[key] <= 0:
                del scope.deleting[key]
            if scope.held.pop(key[1], None) is not None:
                scope.present[account] = None

    def _fed(self, recorded: Recorded) -> None:
        self.tally.exchanges += 1
        carried = self.secrets.learn(recorded.request_headers, recorded.request_body, recorded.response_body)
        matched = self.router.match(recorded.method, recorded.url)
        if matched is None:
            self.tally.other += 1
            return
        scope_name, operation, parameters = matched
        scope = self._scope(scope_name)
        account = parameters.get("account_id", "")
        if operation.operation_id != api.LIST:
            _written(scope, account, recorded.ended)
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
        self.tally.not_found += exchange.status == 404
        self.tally.no_route += exchange.is_no_route
        self.tally.answers.setdefault(operation.operation_id or "", Counter())[kind_of(exchange)] += 1
        seen = _Seen(scope_name, operation, account, parameters, exchange, recorded, step)
        deep = too_deep(recorded.response_body, DEFAULT_MAX_JSON_DEPTH)
        whole = not recorded.truncated and not deep and recorded.status < 500
        for name, violation in run_spec_checks(self.spec, operation, seen.exchange, body=whole):
            self._record(seen, name, violation)
        if recorded.truncated:
            self.tally.truncated += 1
        elif deep:
            self.tally.too_deep += 1
        if not whole:
            self._unsure(scope, seen)
            return
        # `now` of a recording is when its answer was read; where that is unknown, the latest it can have been.
        read = recorded.ended if recorded.ended_known else recorded.started + MAX_EXCHANGE_SECONDS
        policy = checks.Policy(clock_skew=self.clock_skew, now=lambda: datetime.fromtimestamp(read, UTC))
        for name, violation in checks.run_response_checks(seen.exchange, policy):
            self._record(seen, name, violation)
        self._half_credentials(seen)
        if len(scope.accounts) < 2:  # whether the traffic showed more than one account: two are enough to know
            scope.accounts.add(account)
        handler = {
            api.ADD: self._added,
            api.LIST: self._listed,
            api.DELETE: self._deleted,
            api.VALIDATE: self._validated,
        }.get(operation.operation_id or "")
        if handler is not None:
            handler(scope, seen)
        scope.bound(MAX_TRACKED_IDS)

    def judge_all(
        self, exchanges: Iterable[Recorded], window: int = ORDER_WINDOW, window_bytes: int = ORDER_WINDOW_BYTES
    ) -> None:
        """Judge recorded traffic: each request begun when it started, each answer fed when it ended.

        Streamed, in memory bounded by `window` exchanges and `window_bytes` of their bodies whatever the number of
        exchanges: recorders write exchanges in the order they started (or nearly), so that many read ones are held
        to begin them in that order, and one read later than that is begun as it comes. Begun exchanges wait for
        their end (`_InFlight`); beyond the same bounds in flight at once, the one ending first is fed early.
        """
        ahead: list[tuple[float, int, Recorded]] = []  # read, not yet begun: the earliest start first
        held = [0]  # bytes of the bodies in `ahead`
        flight = _InFlight()
        bounds = (window, window_bytes)
        for index, recorded in enumerate(exchanges):
            heapq.heappush(ahead, (recorded.started, index, recorded))
            held[0] += _size(recorded)
            while len(ahead) > window or (held[0] > window_bytes and len(ahead) > 1):
                self._start(*self._next(ahead, held), flight, bounds)
        while ahead:
            self._start(*self._next(ahead, held), flight, bounds)
        for recorded in flight.drain():
            self.feed(recorded)

    @staticmethod
    def _next(ahead: list[tuple[float, int, Recorded]], held: list[int]) -> tuple[float, int, Recorded]:
        item = heapq.heappop(ahead)
        held[0] -= _size(item[2])
        return item

    def _start(
        self, started: float, index: int, recorded: Recorded, flight: _InFlight, bounds: tuple[int, int]
    ) -> None:
        """Begin one recorded request, after feeding every answer that ended by the time it started.

        A recorder's clock can put the end of an answer after the start of a request that could only be sent once
        that answer was read: a HAR's `time` may include reading the body and the recorder's own work. A delete of
        the id an add returned then seems to overlap the add, the judge would see the delete before the add, and a
        later list without the deleted id would look like a created id gone missing. The order the requests
        themselves show wins over the clock: an add in flight ends when a request naming the id it returned starts.
        """
        matched = self.router.match(recorded.method, recorded.url)
        ownership_id = matched[2].get("ownership_id") if matched is not None else None
        if ownership_id:
            flight.named(ownership_id, started)
        for ended in flight.ended_by(started):
            self.feed(ended)
        self.begin(recorded.method, recorded.url, recorded.request_body, started)
        added = matched is not None and matched[1].operation_id == api.ADD and recorded.status == 200
        flight.add(index, recorded, _added_id(recorded) if added else None)
        while len(flight) > bounds[0] or (flight.bytes > bounds[1] and len(flight) > 1):
            self.feed(flight.pop_earliest())

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
        if self.listener is not None:
            self.listener(FailureFound(failure, self.secrets.credentials(seen.recorded.request_headers)))

    def _judge(self, seen: _Seen, check: checks.ModelCheck, *args: Any, trail: Sequence[Step] = ()) -> None:
        """One registered check of `judge.checks` on the exchange; one out of scope records nothing."""
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
        self._judge(seen, checks.validated_is_not_before_validation, scope.seen, self.clock_skew)
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
            scope.touch(ownership_id)
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
        # One page of several says nothing alone: the pages of one listing are judged together (`_paged`).
        partial = _partial(seen) or checks.claims_more(listing)
        expected = self._expected(scope, account, started)
        if expected and not partial:
            latest = max(expected.values(), key=lambda known: known.ended)
            self._judge(seen, checks.created_ownership_is_listed, set(expected), trail=latest.shown_by)
        self._paged(scope, seen)
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
        if not partial:
            ids = {i for i in listing.result_ids() if scope.owner.get(i) == account}
            ids |= {i for i, known in scope.held.items() if known.account == account and known.ended > started}
            ids -= {i for i, known in shown_gone.items() if known.ended > started}
            scope.present[account] = ids

    def _expected(self, scope: _Scope, account: str, started: float) -> dict[str, _Known]:
        """The ids a list of `account` begun at `started` must show: added before, and no delete of them in flight."""
        return {
            ownership_id: known
            for ownership_id, known in scope.held.items()
            if known.account == account and known.ended <= started and (account, ownership_id) not in scope.deleting
        }

    def _paged(self, scope: _Scope, seen: _Seen) -> None:
        """Put the pages of one listing together, in order, and judge them once the last one it claims is seen.

        Judged only when no write to the account was in flight or answered from the first page's start to the
        last page's answer (pages shift when records are added or deleted between them), and never on a
        page asked for out of order.
        """
        account, number = seen.account, _page_number(seen)
        pending = scope.pages.pop(account, None)
        if number == 1 and checks.claimed_pages(seen.exchange) == 1:  # one answer: nothing can shift in it
            self._judge(seen, checks.pages_deliver_what_they_claim, ())
            return
        if number == 1:
            pending = _Pages(seen, [], scope.writes[account])
        elif pending is None or number != len(pending.later) + 2:
            return
        else:
            pending.later.append(seen)
        first = pending.first.recorded
        if scope.writing[account] or scope.written.get(account, -math.inf) > first.started:
            return
        if scope.writes[account] != pending.writes:
            return
        listing = pending.listing()
        if listing.next_page() is not None:
            scope.pages[account] = pending
            return
        # Every page it claims (or as many as a reader reads) is in: the verdicts go on the last one read.
        trail = tuple(page.step for page in (pending.first, *pending.later[:-1]))
        last = pending.later[-1] if pending.later else pending.first
        self._judge(
            replace(last, exchange=listing.first), checks.pages_deliver_what_they_claim, listing.later, trail=trail
        )
        expected = self._expected(scope, account, first.started)
        if pending.later and listing.whole and expected:
            latest = max(expected.values(), key=lambda known: known.ended)
            union = replace(last, exchange=listing.union)
            self._judge(union, checks.created_ownership_is_listed, set(expected), trail=(*latest.shown_by, *trail))

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
                scope.touch(ownership_id)
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

    def report(self, target: str, profile: str, seconds: float | None = None) -> RunReport:
        """The verdicts so far as the gate's report: table, failures with curl, JSON and JUnit."""
        tally = self.tally
        notes = [
            f"{tally.exchanges} exchange(s) seen, {tally.judged} judged; nothing was sent by pcaps-contract "
            "(seed 0: no case was generated)"
        ]
        counted = (
            (tally.other, "exchange(s) not of an operation of the spec (other paths or methods)"),
            (tally.throttled, "answer(s) 429: the API's rate limit, never judged"),
            (tally.truncated, "answer(s) larger than the body cap: judged by their status only"),
            (
                tally.too_deep,
                f"answer(s) nesting JSON more than {DEFAULT_MAX_JSON_DEPTH} levels deep: judged by their status only",
            ),
            (tally.unjudged, "exchange(s) could not be judged (the judge failed on them)"),
            (tally.dropped, "exchange(s) forwarded but not judged: the judge was behind the traffic"),
        )
        notes += [f"{count} {what}" for count, what in counted if count]
        never = {
            check: NEVER_JUDGED.get(check, "no answer of the traffic fell under it")
            for check in PASSIVE_CHECKS
            if not any(self.ledger.status(operation, check) != "skipped" for operation in self.ledger.operations)
        }
        error = None
        if tally.judged == 0 and tally.unjudged:
            error = f"the judge could not judge any of the {tally.unjudged} exchange(s) it was given"
        elif tally.judged and tally.not_found == tally.judged and tally.no_route:
            error = (
                f"every answer was 404 ({tally.judged} exchange(s), {tally.no_route} saying the URL is no route of "
                "the API): did the clients' base URL end in /client/v4?"
            )
        elif tally.judged == 0:
            error = (
                "no exchange of this API in the traffic (paths ending in /accounts/{account_id}/pcaps/ownership...)"
                if tally.exchanges > tally.throttled
                else "no exchange to judge"
                if tally.exchanges == 0
                else "every answer was 429"
            )
        return RunReport(
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
            documented={
                operation: sorted(keys)
                for operation, keys in documented_statuses(self.spec, self.ledger.operations).items()
            },
            answers={operation: dict(kinds) for operation, kinds in tally.answers.items()},
        )


def _size(recorded: Recorded) -> int:
    return len(recorded.request_body) + len(recorded.response_body)


def _added_id(recorded: Recorded) -> str | None:
    """The id an add's answer returned (`result.id`), or None when its body shows none."""
    body = parsed_or_none(recorded.response_body)
    result = body.get("result") if isinstance(body, dict) else None
    ownership_id = result.get("id") if isinstance(result, dict) else None
    return ownership_id if isinstance(ownership_id, str) else None


def _key(conf: Any) -> Any:
    """A destination_conf as a dictionary key (whatever JSON value a request or an answer carried)."""
    return conf if isinstance(conf, str | int | float | bool) or conf is None else json.dumps(conf, sort_keys=True)


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
        request_body=parsed_or_none(recorded.request_body),
        request_headers=dict(recorded.request_headers),
        response_headers=headers,
        sent_at=datetime.fromtimestamp(recorded.started, UTC),
        read_at=datetime.fromtimestamp(recorded.ended, UTC) if recorded.ended_known else None,
    )


def _step(recorded: Recorded, authenticated: bool) -> Step:
    """The reproduction of a recorded request: its URL, content type and body as sent, credentials as variables."""
    body = recorded.request_body.decode("utf-8", "replace") if recorded.request_body else None
    content_type = recorded.request_header("content-type")
    headers = {"Content-Type": content_type} if body is not None and content_type else {}
    return Step(recorded.method, recorded.url, headers, body, authenticated)


def _written(scope: _Scope, account: str, ended: float) -> None:
    """A write to `account` answered (or was lost, `ended` then infinite): it is in flight no more."""
    scope.writing[account] -= 1
    if scope.writing[account] <= 0:
        del scope.writing[account]
    scope.written[account] = max(ended, scope.written.get(account, -math.inf))


def _page_number(seen: _Seen) -> int | None:
    """The page a list asked for (`?page=N`; 1 without one), None when it is not a whole number from 1."""
    asked = (parse_qs(urlsplit(seen.recorded.url).query).get("page") or ["1"])[-1]
    return int(asked) if asked.isascii() and asked.isdigit() and 0 < int(asked) <= 10**6 else None


def _partial(seen: _Seen) -> bool:
    """Whether a list shows one page after the first (by its query or its `result_info`)."""
    query = parse_qs(urlsplit(seen.recorded.url).query)
    page = (query.get("page") or ["1"])[0]
    info = (seen.exchange.envelope or {}).get("result_info")
    shown_page = info.get("page") if isinstance(info, dict) else None
    return page not in ("", "1") or (isinstance(shown_page, int | float) and shown_page > 1)
