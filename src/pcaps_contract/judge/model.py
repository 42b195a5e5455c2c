"""The one model of each account: what a run knows each account holds, fed by every exchange, consulted by every door.

Each request is told to the model when it is sent (`sending`) and when it ends (`answered`, with its status, or
None when no answer came). Only a success (2xx) changes what an account holds; a refused, failed or throttled write
changes nothing; a write without an answer leaves its outcome unknown, and the model then calls neither the
record's presence nor its absence a violation. The first successful list of an account is its baseline: what was
there before the run.

Consulting is by the model's clock: `since` is `clock()` read before a list (or a validate) was sent, so that a
write that ended after it, or is still on its way, may or may not show in its answer: a record whose add is in
flight may be listed, one whose delete is in flight too. Everything behind one lock: lanes, schemathesis's phases
and the passive judge feed it side by side.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from pcaps_contract._json import parsed_or_none
from pcaps_contract._limits import MAX_TRACKED_IDS
from pcaps_contract.openapi import api

# The end of each operation's path, whatever base path precedes it.
_PATH = re.compile(r".*/accounts/(?P<account>[^/]+)/pcaps/ownership(?:/(?P<item>[^/]+))?/?")
# What `watch`'s callback is called with when the request ends: the status (None: no answer), the body, whether
# a try before the last was throttled (429), and whether a try before the last got no answer.
Done = Callable[[int | None, bytes, bool, bool], None]


class Request(NamedTuple):
    """What the model reads of a request: its operation, account, and the id or bucket it names."""

    operation: str
    account: str
    ownership_id: str | None = None
    conf: str | None = None


def request_of(method: str, url: str, body: Any = None) -> Request | None:
    """The operation a request is (None: not one of the API's), from its method, URL and body (bytes or parsed)."""
    found = _PATH.fullmatch(urlsplit(url).path)
    if found is None:
        return None
    account, item = unquote(found["account"]), found["item"]
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    parsed = parsed_or_none(body) if isinstance(body, bytes) else body
    conf = parsed.get("destination_conf") if isinstance(parsed, dict) else None
    conf = conf if isinstance(conf, str) else None
    method = method.upper()
    if item is None:
        operation = {"GET": api.LIST, "POST": api.ADD}.get(method)
        return Request(operation, account, conf=conf) if operation is not None else None
    if item == "validate" and method == "POST":
        return Request(api.VALIDATE, account, conf=conf)
    if method == "DELETE":
        return Request(api.DELETE, account, ownership_id=unquote(item))
    return None


@dataclass(frozen=True)
class Ticket:
    """A request on its way: what it is, and the model's clock when it was sent."""

    request: Request
    sent: int


class Expectation(NamedTuple):
    """What a list of one account sent at a given time shows: every id of `must_show`, and no id outside
    `may_show` (unless a record's bucket is one an add without a known id named: see `Judgement`)."""

    must_show: frozenset[str]
    may_show: frozenset[str]


class Judgement(NamedTuple):
    """What the model says of one answer's records (`AccountModel.judgement`), as the checks of `judge.checks` take it.

    `known`: every id the run has seen exist anywhere; `adding`: the buckets of adds whose id the run does not
    know (on their way, or without an answer), under which a record of that bucket may exist; `refused_adds`: the
    buckets of adds that were refused or throttled; `deleted`: the account's ids deleted before the answer's
    request was sent; `kept`: ids the account holds that a refused delete named; `must_show`: ids held for certain.
    """

    known: frozenset[str]
    adding: frozenset[str]
    refused_adds: frozenset[str]
    deleted: frozenset[str]
    kept: frozenset[str]
    must_show: frozenset[str]


@dataclass
class _Account:
    baseline: set[str] | None = None  # ids the first successful list showed
    held: dict[str, int] = field(default_factory=dict)  # id -> the clock when its add answered
    deleted: dict[str, int] = field(default_factory=dict)  # id -> the clock when its delete answered
    unsure: set[str] = field(default_factory=set)  # ids whose delete got no answer
    adding: Counter[str] = field(default_factory=Counter)  # buckets of adds on their way
    lost_adds: set[str] = field(default_factory=set)  # buckets of adds without an answer
    refused_adds: set[str] = field(default_factory=set)  # buckets of adds refused or throttled
    deleting: Counter[str] = field(default_factory=Counter)  # ids of deletes on their way
    refused_deletes: set[str] = field(default_factory=set)  # held ids a refused delete named

    def size(self) -> int:
        kept = len(self.baseline or ()) + len(self.held) + len(self.deleted) + len(self.unsure)
        return kept + len(self.lost_adds) + len(self.refused_adds) + len(self.refused_deletes)


class AccountModel:
    """What the run knows of each account, thread-safe; see the module.

    `sighted` False: some writer of the run is out of the model's sight (e.g. an in-process app's phases), so a
    record it cannot explain is no violation (`sees_everything`); what it saw deleted stays deleted. Past
    `MAX_TRACKED_IDS` it stops judging: it forgets what was deleted and no longer sees everything.
    """

    def __init__(self, *, sighted: bool = True, most: int = MAX_TRACKED_IDS) -> None:
        self._lock = threading.Lock()
        self._clock = 0
        self._accounts: dict[str, _Account] = {}
        self._sighted = sighted
        self._most = most
        self._size = 0

    @property
    def sees_everything(self) -> bool:
        """Whether every write of the run reaches the model, so that a record it cannot explain is made up."""
        with self._lock:
            return self._sighted

    def clock(self) -> int:
        """The model's clock now: read it before sending a request whose answer the model will judge."""
        with self._lock:
            return self._clock

    def _tick(self) -> int:
        self._clock += 1
        return self._clock

    def _account(self, account: str) -> _Account:
        return self._accounts.setdefault(account, _Account())

    # --- feeding ---------------------------------------------------------------------------------------------

    def sending(self, method: str, url: str, body: Any = None) -> Ticket | None:
        """A request is on its way (None: not one of the API's, nothing to tell `answered`)."""
        request = request_of(method, url, body)
        if request is None:
            return None
        with self._lock:
            held = self._account(request.account)
            if request.operation == api.ADD and request.conf is not None:
                held.adding[request.conf] += 1
            elif request.operation == api.DELETE and request.ownership_id is not None:
                held.deleting[request.ownership_id] += 1
            return Ticket(request, self._tick())

    def watch(self, method: str, url: str, body: Any = None) -> Done:
        """`sending`, and the callback that tells `answered` how the request ended (for a sender's loop)."""
        ticket = self.sending(method, url, body)

        def done(status: int | None, content: bytes, throttled: bool = False, lost: bool = False) -> None:
            if ticket is not None:
                self.answered(ticket, status, content, throttled=throttled, lost=lost)

        return done

    def answered(
        self, ticket: Ticket, status: int | None, content: bytes = b"", *, throttled: bool = False, lost: bool = False
    ) -> None:
        """How a request ended: `status` None when no answer came; `throttled` when a try before the last was
        answered 429, `lost` when one got no answer (a retried write may have been done by that try)."""
        request = ticket.request
        body = parsed_or_none(content) if status is not None and 200 <= status < 300 else None
        with self._lock:
            now = self._tick()
            held = self._account(request.account)
            if request.operation == api.LIST:
                self._listed(held, body)
            elif request.operation == api.ADD:
                self._added(held, request, status, body, now, throttled=throttled, lost=lost)
            elif request.operation == api.DELETE and request.ownership_id is not None:
                self._deleted(held, request.ownership_id, status, now, lost=lost)
            self._bound()

    def _listed(self, held: _Account, body: Any) -> None:
        records = _records(body)
        if records is None:
            return
        ids = {record["id"] for record in records if isinstance(record.get("id"), str)}
        if held.baseline is None:
            held.baseline = set(ids)
            return
        # A list settles an add without an answer: a record of its bucket is the run's, held from now on.
        for record in records:
            if record.get("destination_conf") in held.lost_adds and isinstance(record.get("id"), str):
                held.baseline.add(record["id"])

    def _added(
        self, held: _Account, request: Request, status: int | None, body: Any, now: int, *, throttled: bool, lost: bool
    ) -> None:
        conf = request.conf
        if conf is None:
            return
        held.adding[conf] -= 1
        if held.adding[conf] <= 0:
            del held.adding[conf]
        if status is None or lost:
            held.lost_adds.add(conf)
        if throttled or (status is not None and not 200 <= status < 300):
            held.refused_adds.add(conf)
        records = _records(body)
        for record in records or ():
            if isinstance(record.get("id"), str):
                held.held[record["id"]] = now

    def _deleted(self, held: _Account, ownership_id: str, status: int | None, now: int, *, lost: bool) -> None:
        held.deleting[ownership_id] -= 1
        if held.deleting[ownership_id] <= 0:
            del held.deleting[ownership_id]
        if status is None or lost:
            held.unsure.add(ownership_id)
        elif 200 <= status < 300:
            # The server deleted it, wherever the model held it (a foreign delete is judged by its own check).
            owner = next((each for each in self._accounts.values() if ownership_id in each.held), held)
            owner.held.pop(ownership_id, None)
            owner.refused_deletes.discard(ownership_id)
            owner.deleted[ownership_id] = now
            return
        for account in self._accounts.values():  # a refused delete (here or from another account) changes nothing
            if ownership_id in account.held:
                account.refused_deletes.add(ownership_id)

    def _bound(self) -> None:
        if self._sighted and sum(account.size() for account in self._accounts.values()) > self._most:
            self._sighted = False  # past the bound the model cannot say what is made up any more
            for account in self._accounts.values():
                account.deleted.clear()
                account.refused_deletes.clear()

    # --- consulting ------------------------------------------------------------------------------------------

    def expect_listed(self, account: str, since: int) -> Expectation:
        """What a list of `account` sent at `since` (`clock()` read before sending it) must and may show."""
        judged = self.judgement(account, since)
        return Expectation(judged.must_show, judged.known - judged.deleted)

    def judgement(self, account: str, since: int) -> Judgement:
        """What the model says of an answer about `account` to a request sent at `since` (see `Judgement`)."""
        with self._lock:
            held = self._account(account)
            known: set[str] = set()
            for each in self._accounts.values():
                known |= each.baseline or set()
                known |= each.held.keys() | each.deleted.keys() | each.unsure | each.deleting.keys()
            settled = {
                ownership_id
                for ownership_id, answered in held.held.items()
                if answered <= since and ownership_id not in held.deleting and ownership_id not in held.unsure
            }
            deleted = {
                ownership_id
                for ownership_id, answered in held.deleted.items()
                if answered <= since and ownership_id not in held.unsure and ownership_id not in held.held
            }
            return Judgement(
                known=frozenset(known),
                adding=frozenset(held.adding.keys() | held.lost_adds),
                refused_adds=frozenset(held.refused_adds),
                deleted=frozenset(deleted),
                kept=frozenset(settled & held.refused_deletes),
                must_show=frozenset(settled),
            )

    def baseline(self, account: str) -> frozenset[str] | None:
        """The ids the account's first successful list showed (None: no list has succeeded yet)."""
        with self._lock:
            found = self._account(account).baseline
            return frozenset(found) if found is not None else None


def _records(body: Any) -> list[dict[str, Any]] | None:
    """The Ownership records of a success envelope's `result` (one object or a list); None when there is none."""
    result = body.get("result") if isinstance(body, dict) else None
    if result is None:
        return None
    items: Iterable[Any] = result if isinstance(result, list) else [result]
    return [item for item in items if isinstance(item, dict)]
