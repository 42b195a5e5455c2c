"""The lifecycle and tenancy, judged by a Hypothesis state machine against a model of what the server holds.

Rules add, list, validate and delete buckets under the given accounts; the model knows which ownerships
each account has, so every answer can be judged: a created ownership is listed, a deleted one is gone and
deleting it again is 404, validate answers with the same id, and no account sees another's ownerships.

The machine's choices never depend on what the server answers: every rule draws the same kinds of values
whatever the model holds (an index into the records, not a bundle of them), so a server that answers 500
or 429 now and then gets a verdict, never a Hypothesis flakiness error. An answer the run cannot judge (a
throttled request, a lost connection) leaves the model alone; an ambiguous one (a 5xx to a create or a
delete) takes the record out of judgement, while the cleanup still deletes it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import requests
from hypothesis import seed as hypothesis_seed
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from pcaps_contract._credentials import CREDENTIAL_HEADERS, Credentials
from pcaps_contract._text import clip
from pcaps_contract.engine import (
    Cancelled,
    ChallengeSource,
    CleanupRegistry,
    Profile,
    Quiet,
    Throttled,
    destination_confs,
    made_up_challenges,
    ownership_challenges,
    read_whole_listing,
    text_problem,
    went_unanswered,
)
from pcaps_contract.judge import (
    AccountModel,
    Failure,
    Ledger,
    Listing,
    Settling,
    Step,
    Ticket,
    checks,
    is_pending,
    kind_of,
    narrowed,
    settled_record,
)
from pcaps_contract.openapi import api

# Consecutive requests without an answer after which an in-process app counts as lost for the rest of the
# lifecycle. A served target needs no count of its own: its sender halts the whole run (`_sender.Halt`).
LOST_AFTER = 3
_PICK = st.integers(min_value=0, max_value=2**16)
# The longest object key S3 takes (1,024 bytes; characters here, as a first bound).
_LONGEST_KEY = 1024
# Adds of one burst, once per check run: past the 25 records a server's default page might silently cut to.
BURST = 26
# Lanes of the lifecycle: independent machines side by side on the same accounts, each with its own buckets
# (`Judge.in_lane`) and seed. Fixed, so that a run draws the same cases whatever number of threads runs them.
LANES = 6
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (requests.RequestException, httpx.HTTPError)


class LifecycleStopped(BaseException):
    """The lifecycle cannot go on: the run stopped (interrupted, its time spent, halted), or the target is lost.

    A BaseException, so that Hypothesis does not take it for a failing example and send it all again.
    `unanswered`: the request it stopped went out and got no answer, so what that request did is unknown.
    """

    def __init__(self, reason: str, *, unanswered: bool = False) -> None:
        super().__init__(reason)
        self.unanswered = unanswered


@dataclass
class Tally:
    """What the lifecycle could not judge, for the report's notes."""

    throttled: int = 0
    lost: list[str] = field(default_factory=list)


class SeenIds:
    """Every ownership id any lane was handed, for `ownership_id_is_new` across the whole run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[str] = set()

    def known(self, *others: set[str]) -> set[str]:
        with self._lock:
            return self._ids.union(*others)

    def add(self, ownership_id: str) -> None:
        with self._lock:
            self._ids.add(ownership_id)


class Judge:
    """Sends requests for one lane of the machine and records every verdict in the ledger.

    A lane (`lane` set) names its buckets `pcaps-l{lane}-...` and sees only those in a list where the whole list
    is compared (`in_view`), so that lanes running side by side on the same accounts never judge each other's
    records. `burst`: whether the lane holds the run's burst (once per run).
    """

    def __init__(
        self,
        client: Any,
        base_url: str,
        policy: checks.Policy,
        ledger: Ledger,
        statuses: Counter[int],
        source: ChallengeSource | None = None,
        credentials: Credentials | None = None,
        *,
        lane: int | None = None,
        burst: bool = True,
        seen_ids: SeenIds | None = None,
        quiet: Quiet | None = None,
        model: AccountModel | None = None,
        feeds_model: bool = True,
        settling: Settling | None = None,
    ) -> None:
        self.client = client
        self.base_url = base_url
        self.policy = policy
        self.ledger = ledger
        self.statuses = statuses
        self.source = source
        self.credentials = credentials
        self.tally = Tally()
        self._unanswered = 0
        self.lane = lane
        # Across the machine's runs, for the whole check run: every id seen, and the once-per-run budgets.
        self.seen_ids = seen_ids if seen_ids is not None else SeenIds()
        self.burst_done = not burst
        self.delivered_validations = 0
        # Validations left `pending` are waited out (shared by the lanes); the later views are judged once a lane.
        self.settling = settling if settling is not None else Settling(0.0)
        self.followed_up = False
        self.delivered_tried = False  # a validation with the delivered challenge was sent in this lane
        self.answers: dict[str, Counter[str]] = {}  # by operation, each answer by kind (`judge.real_answers`)
        # The run's writes hold it; reading a listing's pages holds it alone (shared by every lane of the run).
        self.quiet = quiet if quiet is not None else Quiet()
        # The run's one model of the accounts; this judge tells it of its own requests when nothing else does (a
        # served target's sender tells it of every request).
        self.model = model if model is not None else AccountModel()
        self.feeds_model = feeds_model

    @property
    def _prefix(self) -> str:
        """The start of this lane's bucket names, after the URI's scheme."""
        return f"pcaps-l{self.lane}-"

    def in_lane(self, conf: str) -> str:
        """The bucket URI under this lane's own bucket names (`s3://pcaps-x` -> `s3://pcaps-l2-x`); idempotent."""
        scheme, separator, rest = conf.partition("://")
        if self.lane is None or not separator or not rest.startswith("pcaps-") or rest.startswith(self._prefix):
            return conf
        return f"{scheme}://{self._prefix}{rest.removeprefix('pcaps-')}"

    def _is_mine(self, record: Mapping[str, Any]) -> bool:
        conf = record.get("destination_conf")
        return isinstance(conf, str) and conf.partition("://")[2].startswith(self._prefix)

    def in_view(self, listing: checks.Exchange | None) -> checks.Exchange | None:
        """A list answer as this lane sees it: only the records of its own buckets."""
        if listing is None or self.lane is None:
            return listing
        return narrowed(listing, self._is_mine)

    def send(
        self, operation_id: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> checks.Exchange | None:
        """Send one request and run every response check on its answer; None when there is nothing to judge.

        `headers`, when given, replace the run's credentials for this request. A 5xx is judged by
        `not_a_server_error` only: what the server did with the request is unknown.
        """
        url = f"{self.base_url}{path}"
        ticket = self.model.sending(method, url, body) if self.feeds_model else None
        sent_at = datetime.now(UTC)
        try:
            if method == "GET":
                response = self._request(method, url, body, headers)
            else:
                with self.quiet.writing():
                    response = self._request(method, url, body, headers)
        except Cancelled as stopped:  # its text says why: interrupted, --max-time spent, or the run halted
            self._answered(ticket, None)
            raise LifecycleStopped(str(stopped), unanswered=went_unanswered()) from None
        except Throttled:
            self._answered(ticket, 429)
            self.tally.throttled += 1
            return None
        except TRANSPORT_ERRORS as exc:
            self._answered(ticket, None)
            self._unanswered += 1
            self.tally.lost.append(f"{method} {path}: {type(exc).__name__}")
            if isinstance(exc, httpx.HTTPError) and self._unanswered >= LOST_AFTER:
                raise LifecycleStopped(
                    f"the target stopped answering ({type(exc).__name__})", unanswered=True
                ) from None
            return None
        self._answered(ticket, response.status_code, response.content)
        self._unanswered = 0
        self.statuses[response.status_code] += 1
        seconds = _elapsed(response)
        exchange = checks.Exchange(
            operation_id=operation_id,
            method=method,
            url=str(response.request.url),
            status=response.status_code,
            content=response.content,
            request_body=body,
            request_headers=dict(response.request.headers),
            response_headers=dict(response.headers),
            sent_at=sent_at,
            read_at=datetime.now(UTC),  # the answer is read whole by then (no client here streams)
        )
        self.answers.setdefault(operation_id, Counter())[kind_of(exchange)] += 1
        if exchange.status >= 500:
            self.ledger.failed(
                Failure(
                    operation_id,
                    "not_a_server_error",
                    "a status below 500",
                    f"status {exchange.status}: {clip(self._redact(response.content.decode('utf-8', 'replace')), 200)}",
                    (step_of(exchange),),
                ),
                seconds,
            )
            return None
        for name, violation in checks.run_response_checks(exchange, self.policy):
            if violation is None:
                self.ledger.passed(operation_id, name, seconds)
            else:
                self.ledger.failed(
                    Failure(operation_id, name, violation.expected, violation.received, (step_of(exchange),)), seconds
                )
        return exchange

    def read_listing(self, account: str) -> Listing | None:
        """The account's whole listing (`engine.read_whole_listing`: the pages its answer claims, bounded)."""

        def fetch(page: tuple[int, int | None] | None) -> checks.Exchange | None:
            path = api.ownerships_path(account) if page is None else api.listing_page_path(account, *page)
            return self.send(api.LIST, "GET", path)

        return read_whole_listing(fetch, self.quiet)

    def _answered(self, ticket: Ticket | None, status: int | None, content: bytes = b"") -> None:
        if ticket is not None:
            self.model.answered(ticket, status, content)

    def judge_shown(
        self, exchange: checks.Exchange, account: str, since: int, trail: tuple[checks.Exchange, ...]
    ) -> None:
        """Judge the records an answer about `account` shows against the model (`since`: its clock before the
        request was sent): none made up, none deleted, and nothing a refused write did (lists only)."""
        judged = self.model.judgement(account, since)
        if self.model.sees_everything:
            explained = judged.adding | judged.refused_adds
            self.judge(exchange, checks.shown_ownership_was_created, judged.known, explained, trail=trail)
            if exchange.operation_id == api.LIST:
                self.judge(
                    exchange,
                    checks.failed_write_changes_nothing,
                    judged.refused_adds,
                    judged.known,
                    judged.kept,
                    judged.adding,
                    trail=trail,
                )
        if judged.deleted:
            self.judge(exchange, checks.deleted_ownership_is_not_listed, judged.deleted, trail=trail)

    def _redact(self, text: str) -> str:
        """The text without the run's secrets, before anything cuts it."""
        return self.credentials.redact(text) if self.credentials is not None else text

    def _request(self, method: str, url: str, body: Any, headers: dict[str, str] | None) -> Any:
        """The request through the run's client; `headers` replace its credentials (both client kinds)."""
        if headers is None:
            return self.client.request(method, url, json=body)
        if isinstance(self.client, httpx.Client):
            request = self.client.build_request(method, url, json=body)
            for name in CREDENTIAL_HEADERS:
                request.headers.pop(name, None)
            request.headers.update(headers)
            return self.client.send(request)
        # requests drops a session header whose per-request value is None.
        replaced: dict[str, str | None] = {name: None for name in CREDENTIAL_HEADERS}
        replaced.update(headers)
        return self.client.request(method, url, json=body, headers=replaced)

    def challenge(self, record: Record) -> str | None:
        """The challenge content the server delivered for a record, when the run has a source that can read it.

        When the source read the bucket itself, whether the file was there in time is judged on the add.
        """
        if self.source is None or not self.source.covers(record.conf):
            return None
        filename = next(record.created.ownerships(), {}).get("filename")
        # The server's filename names the object read from the bucket: one no request can carry is not read.
        if not isinstance(filename, str) or text_problem(filename, "the filename", _LONGEST_KEY) is not None:
            filename = ""
        try:
            delivered = self.source.challenge(record.account, record.ownership_id, record.conf, filename, record.added)
        except Cancelled as stopped:  # a source that reads through the run's sender (a served mock's route)
            raise LifecycleStopped(str(stopped)) from None
        except Throttled:
            return None
        except TRANSPORT_ERRORS:
            return None
        if delivered.judged:
            self.judge(record.created, checks.challenge_file_is_delivered, delivered.content, delivered.wait)
        return delivered.content

    def judge(
        self,
        exchange: checks.Exchange,
        check: checks.ModelCheck,
        *args: Any,
        trail: tuple[checks.Exchange, ...] = (),
        steps: tuple[Step, ...] | None = None,
    ) -> bool:
        """Run one registered check on an exchange; a violation is recorded with the steps that led to it.

        Answers False when the check was violated. A check out of scope records nothing.
        """
        try:
            verdict = check(exchange, *args)
        except checks.ContractViolation as violation:
            steps = steps if steps is not None else tuple(step_of(item) for item in (*trail, exchange))
            self.ledger.failed(
                Failure(exchange.operation_id or "", check.name, violation.expected, violation.received, steps)
            )
            return False
        if verdict is checks.HELD:
            self.ledger.passed(exchange.operation_id or "", check.name)
        return True


def _elapsed(response: Any) -> float:
    """How long the target took to answer (httpx and requests both say), for the ledger's time per cell."""
    try:
        return float(response.elapsed.total_seconds())
    except (AttributeError, RuntimeError):  # httpx says nothing of a response not yet closed
        return 0.0


def step_of(exchange: checks.Exchange, authenticated: bool = True) -> Step:
    """The reproduction step of an exchange (without the run's credentials when `authenticated` is False)."""
    body = None if exchange.request_body is None else httpx.Request("POST", "/", json=exchange.request_body).read()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return Step(exchange.method, exchange.url, headers, body.decode() if body is not None else None, authenticated)


@dataclass
class Record:
    """An ownership the model knows: where it lives, its bucket, and the answer that created it."""

    account: str
    ownership_id: str
    conf: str
    created: checks.Exchange
    added: float = field(default_factory=time.monotonic)  # when the add answered


class LifecycleMachine(RuleBasedStateMachine):
    """Adds, lists, validates and deletes under one or two accounts, checking each answer against the model."""

    judge: Judge
    accounts: tuple[str, ...]
    registry: CleanupRegistry

    def __init__(self) -> None:
        super().__init__()
        self.held: list[Record] = []  # created and not deleted, oldest first
        self.gone: list[tuple[Record, checks.Exchange]] = []  # deleted, with the answer that deleted them
        self.unsure: set[str] = set()  # ids whose fate a 5xx left unknown: judged no more
        self.seen: dict[str, checks.Seen] = {}  # what each record showed so far (`record_is_stable`)
        self.succeeded: set[tuple[str, str]] = set()  # (account, bucket) validated with the delivered challenge

    def _account(self, index: int) -> str:
        return self.accounts[index % len(self.accounts)]

    def _other(self, account: str) -> str:
        return next(other for other in self.accounts if other != account)

    def _pick(self, records: list[Any], pick: int) -> Any:
        return records[pick % len(records)] if records else None

    def _held_in(self, account: str) -> list[Record]:
        return [record for record in self.held if record.account == account]

    def _forget(self, record: Record) -> None:
        self.held.remove(record)
        self.unsure.add(record.ownership_id)

    def _observe(self, exchange: checks.Exchange) -> None:
        """Judge that the records shown keep their fields, then remember what they showed."""
        self.judge.judge(exchange, checks.record_is_stable, self.seen)
        self.judge.judge(exchange, checks.validated_is_not_before_validation, self.seen, self.judge.policy.clock_skew)
        for shown in exchange.ownerships():
            seen = self.seen.get(shown["id"]) if isinstance(shown.get("id"), str) else None
            if seen is not None:
                self.seen[shown["id"]] = seen.then(shown)

    def _validating(self, account: str, conf: str) -> None:
        """A validation of this bucket is on its way: its records may change `status` and `validated`."""
        sent = datetime.now(UTC)  # before the validation is sent: its window starts no later
        for record in self.held:
            if record.account == account and record.conf == conf and record.ownership_id in self.seen:
                self.seen[record.ownership_id] = self.seen[record.ownership_id].validated_again(sent)

    @rule(index=st.integers(min_value=0, max_value=1), conf=destination_confs(), reuse=st.integers(0, 5), pick=_PICK)
    def add(self, index: int, conf: str, reuse: int, pick: int) -> None:
        account = self._account(index)
        source_bucket = self.judge.source.bucket if self.judge.source is not None else None
        again: Record | None = self._pick(self._held_in(account), pick)
        if reuse == 0 and again is not None:
            conf = again.conf  # the same bucket added twice: a new ownership all the same
        elif reuse in (1, 2) and source_bucket is not None:
            conf = source_bucket  # a bucket whose challenge the run can read
        if self._add(account, conf) is not None:
            # Judged at once, whatever rules this run's draws favour: the creation shows in the list.
            self.list_buckets(self.accounts.index(account))

    def _add(self, account: str, conf: str) -> Record | None:
        conf = self.judge.in_lane(conf)
        created = send_add(self.judge, self.registry, account, conf)
        if created is None:
            return None
        return self._created(account, conf, created)

    def _created(self, account: str, conf: str, created: checks.Exchange) -> Record | None:
        """Take a create's answer into the model (tracked for the cleanup first); its id must be new."""
        record = next(created.ownerships(), None)
        if created.status != 200 or record is None or "id" not in record:
            return None
        ownership_id = record["id"]
        if not self.registry.track(account, ownership_id, conf):
            return None  # an id no request may carry: listed as left behind, never sent back
        known = self.judge.seen_ids.known(self.registry.pre_existing(account))
        self.judge.judge(created, checks.ownership_id_is_new, known)
        self.judge.seen_ids.add(ownership_id)
        if any(held.ownership_id == ownership_id and held.account == account for held in self.held):
            return None  # an id handed out twice: the model keeps one record, so that the cleanup deletes it once
        self.gone = [(gone, deletion) for gone, deletion in self.gone if gone.ownership_id != ownership_id]
        made = Record(account, ownership_id, conf, created)
        self.held.append(made)
        self.seen[ownership_id] = checks.Seen.of(record)
        return made

    # No precondition on the run-wide budgets below: Hypothesis must see the same rules whenever it replays a run.
    @initialize(index=st.integers(min_value=0, max_value=1), tag=st.integers(min_value=0, max_value=2**32))
    def burst(self, index: int, tag: int) -> None:
        """Once per check run, first thing in the burst's lane: more buckets in one account than a default page
        shows, then one list (the run's teardown deletes them)."""
        if self.judge.burst_done:
            return
        self.judge.burst_done = True
        account = self._account(index)
        # A server that writes challenges into buckets only accepts the bucket the run was given.
        bucket = self.judge.source.bucket if self.judge.source is not None else None
        for number in range(BURST):  # the last add repeats the first bucket: a bucket added twice, once a run
            self._add(account, bucket or f"s3://pcaps-burst-{tag:x}-{number % (BURST - 1)}?region=us-east-1")
        self.list_buckets(self.accounts.index(account))

    @rule(index=st.integers(min_value=0, max_value=1))
    def list_buckets(self, index: int) -> None:
        self._list(index)

    def _list(self, index: int) -> checks.Exchange | None:
        """List the account (every page its server claims) and judge it; the union of its pages, when whole."""
        account = self._account(index)
        since = self.judge.model.clock()
        read = self.judge.read_listing(account)
        if read is None:
            return None
        listing = read.union
        held = self._held_in(account)
        trail = tuple(record.created for record in held[-2:])
        # Every page read, in order, reproduces a verdict on their union (the trail before them).
        shown: dict[str, Any] = (
            {"trail": trail} if len(read.pages) == 1 else {"steps": tuple(map(step_of, (*trail, *read.pages)))}
        )
        # A record only a refused delete could have removed is `failed_write_changes_nothing`'s to name.
        held_ids = {r.ownership_id for r in held} - self.judge.model.judgement(account, since).kept
        if read.judgeable:
            self.judge.judge(read.first, checks.pages_deliver_what_they_claim, read.later, **shown)
        whole = read.whole or not read.paged
        if whole:
            self.judge.judge(listing, checks.created_ownership_is_listed, held_ids, **shown)
            self.judge.judge(listing, checks.listing_is_complete, held_ids - self.unsure, **shown)
        for page in read.pages:
            self.judge.judge(page, checks.listed_ids_are_unique)
        self._observe(listing)
        gone = [deletion for record, deletion in self.gone if record.account == account]
        if whole:  # a part of a listing shows too little to judge what it leaves out
            self.judge.judge_shown(listing, account, since, trail=tuple(gone[-1:]) or trail)
        for other in self.accounts:
            others = self._held_in(other)
            if other != account and others:
                foreign = {r.ownership_id for r in others} | {
                    r.ownership_id for r, _ in self.gone if r.account == other
                }
                self.judge.judge(listing, checks.foreign_ownership_is_not_listed, foreign, trail=(others[-1].created,))
        return listing if whole else None

    @rule(pick=_PICK, again=st.booleans())
    def delete(self, pick: int, again: bool) -> None:
        record: Record | None = self._pick(self.held, pick)
        if record is not None:
            self._delete(record, again)

    def teardown(self) -> None:
        """Every run ends by trying another account's delete and validate on what it holds, then deleting it all.

        Each delete and one repeat are judged, then one list per account. A lane whose draws sent no validation
        with the delivered challenge yet sends one first, when it holds a bucket whose challenge it can read:
        the seed chooses the data, never whether the success path is judged.
        """
        source = self.judge.source
        if source is not None and not self.judge.delivered_tried and any(source.covers(r.conf) for r in self.held):
            self.validate(0, "0" * 32, "0" * 32, 0, 0, "")
        accounts = {record.account for record in self.held}
        if len(self.accounts) > 1 and self.held:
            # Tenancy judged in every run, whatever rules this run's draws favoured (Hypothesis may leave some out).
            self.validate_elsewhere(0, "0" * 32)
            self.delete_elsewhere(0)
        for number, record in enumerate(list(self.held)):
            self._delete(record, again=number == 0, list_after=False)
        for account in sorted(accounts):
            self.list_buckets(self.accounts.index(account))  # the deletions show in the list

    def _delete(self, record: Record, again: bool, list_after: bool = True) -> None:
        deletion = self.judge.send(api.DELETE, "DELETE", api.ownership_path(record.account, record.ownership_id))
        if deletion is None:
            self._forget(record)
            return
        self.judge.judge(deletion, checks.created_ownership_can_be_deleted, trail=(record.created,))
        if deletion.status != 204:
            return
        self._gone(record, deletion)
        if again:  # at once, as a retrying client would; `delete_again` repeats it later in the run
            self._delete_again(record, deletion)
        if list_after:
            self.list_buckets(self.accounts.index(record.account))  # the deletion shows in the list at once

    def _gone(self, record: Record, deletion: checks.Exchange) -> None:
        self.held.remove(record)
        self.registry.forget(record.account, record.ownership_id)
        self.gone.append((record, deletion))

    @rule(pick=_PICK)
    def delete_again(self, pick: int) -> None:
        entry: tuple[Record, checks.Exchange] | None = self._pick(self.gone, pick)
        if entry is not None:
            self._delete_again(*entry)

    def _delete_again(self, record: Record, deletion: checks.Exchange) -> None:
        again = self.judge.send(api.DELETE, "DELETE", api.ownership_path(record.account, record.ownership_id))
        if again is not None:
            self.judge.judge(again, checks.second_delete_is_not_found, trail=(deletion,))

    @rule(
        pick=_PICK,
        drawn=ownership_challenges(),
        made_up=made_up_challenges(),
        how=st.integers(0, 3),
        index=st.integers(min_value=0, max_value=1),
        conf=destination_confs(),
    )
    def validate(self, pick: int, drawn: str, made_up: str, how: int, index: int, conf: str) -> None:
        """Validate a held bucket: with the delivered challenge (how 0, 1), a made-up one (2) or a drawn one (3).

        With nothing held, it adds a bucket first (the source's, when it has one), so that validations happen.
        """
        source = self.judge.source
        if how < 2:
            preferred = [r for r in self.held if source is not None and source.covers(r.conf)]
        else:  # a bucket not yet validated: once it is, a server may keep answering `success`
            preferred = [r for r in self.held if (r.account, r.conf) not in self.succeeded]
        record: Record | None = self._pick(preferred or self.held, pick)
        if record is None:
            bucket = source.bucket if source is not None else None
            record = self._add(self._account(index), bucket if bucket is not None and how < 2 else conf)
            if record is None:
                return
        self.judge.delivered_tried = self.judge.delivered_tried or how < 2
        delivered = self.judge.challenge(record) if how < 2 else None
        challenge = delivered or (made_up if how == 2 else drawn)
        body = {"destination_conf": record.conf, "ownership_challenge": challenge}
        self._validating(record.account, record.conf)
        since = self.judge.model.clock()
        validation = self.judge.send(api.VALIDATE, "POST", api.validate_path(record.account), body)
        if validation is None:
            return
        self.judge.judge_shown(validation, record.account, since, trail=(record.created,))
        same_bucket = {
            other.ownership_id for other in self.held if other.account == record.account and other.conf == record.conf
        }
        if same_bucket & self.unsure:
            return  # the server may hold a record the model lost track of: the answer cannot be judged
        answered = next(iter(validation.result_ids()), None)
        if answered is not None and answered in self.registry.pre_existing(record.account):
            return  # the server matched a record of this bucket from before the run: nothing the model knows
        trail = (record.created,)
        self.judge.judge(validation, checks.validate_returns_same_id, same_bucket, trail=trail)
        self._observe(validation)
        where = (record.account, record.conf)
        if delivered is not None:
            self._delivered(record, validation, body)
        elif where not in self.succeeded:  # once validated, a server may keep answering `success`
            self.judge.judge(validation, checks.validation_sets_status, False, trail=trail)
            if how == 2:
                self.judge.judge(validation, checks.made_up_challenge_never_succeeds, trail=trail)

    def _delivered(self, record: Record, validation: checks.Exchange, body: dict[str, str]) -> None:
        """A validation with the delivered challenge: its outcome (waited out while `pending`), then, once a lane,
        the record's later views agreeing with it: the list (`record_is_stable`) and a repeat validate."""
        if is_pending(validation) and not self.judge.settling.waits:
            return  # one wait of the run judged the `pending` path already: not judged
        outcome = self._settled(record, validation) if is_pending(validation) else validation
        if outcome is None:
            return  # never settled within the wait, or nothing left to look at: not judged
        trail = (record.created, validation) if outcome is not validation else (record.created,)
        self.judge.judge(outcome, checks.validation_sets_status, True, trail=trail)
        shown = next(outcome.ownerships(), {})
        if shown.get("status") not in ("success", "failed"):
            return
        self.judge.delivered_validations += 1
        if shown.get("status") == "success":
            self.succeeded.add((record.account, record.conf))
        if self.judge.followed_up:
            return
        self.judge.followed_up = True
        self._list(self.accounts.index(record.account))  # status and `validated` as validate answered
        self._validating(record.account, record.conf)
        again = self.judge.send(api.VALIDATE, "POST", api.validate_path(record.account), body)
        if again is not None:
            self.judge.judge(again, checks.validation_sets_status, True, trail=(record.created, outcome))
            self._observe(again)

    def _settled(self, record: Record, validation: checks.Exchange) -> checks.Exchange | None:
        """The account's list narrowed to the record once it shows it settled, looked at within the run's
        `--validation-wait`; None when it stayed `pending` (the reason is kept for the report) or is not listed."""
        settling = self.judge.settling
        for pause in settling.pauses():
            if settling.pause(pause):
                return None  # the run is over: the outcome is unknown, and the run's own reason says why
            listing = self._list(self.accounts.index(record.account))
            if listing is None:
                continue
            if not any(shown.get("id") == record.ownership_id for shown in listing.ownerships()):
                return None  # not listed at all: `created_ownership_is_listed` names that
            if settled_record(listing, record.ownership_id) is not None:
                settling.settled = True
                return narrowed(listing, lambda shown: shown.get("id") == record.ownership_id)
        settling.never_settled()
        return None

    @precondition(lambda self: len(self.accounts) > 1)
    @rule(pick=_PICK, challenge=ownership_challenges())
    def validate_elsewhere(self, pick: int, challenge: str) -> None:
        record: Record | None = self._pick(self.held, pick)
        if record is None:
            return
        body = {"destination_conf": record.conf, "ownership_challenge": challenge}
        self._validating(record.account, record.conf)  # a server that ignores the account validates it
        validation = self.judge.send(api.VALIDATE, "POST", api.validate_path(self._other(record.account)), body)
        if validation is None:
            return
        own = {r.ownership_id for r in self._held_in(record.account)}
        self.judge.judge(validation, checks.foreign_ownership_is_not_validated, own, trail=(record.created,))

    @precondition(lambda self: len(self.accounts) > 1)
    @rule(pick=_PICK)
    def delete_elsewhere(self, pick: int) -> None:
        record: Record | None = self._pick(self.held, pick)
        if record is None:
            return
        deletion = self.judge.send(
            api.DELETE, "DELETE", api.ownership_path(self._other(record.account), record.ownership_id)
        )
        if deletion is None:
            self._forget(record)
            return
        if not self.judge.judge(deletion, checks.foreign_ownership_is_not_deleted, trail=(record.created,)):
            # The server did delete it: follow reality so that later verdicts are about new behaviour.
            self._gone(record, deletion)


def send_add(
    judge: Judge, registry: CleanupRegistry, account: str, conf: str, headers: dict[str, str] | None = None
) -> checks.Exchange | None:
    """Send an add; one without a judged answer (none, or the run stopped while it waited for one) is expected
    by its bucket: it may still have created an ownership, which the cleanup finds or lists."""
    try:
        created = judge.send(api.ADD, "POST", api.ownerships_path(account), {"destination_conf": conf}, headers=headers)
    except LifecycleStopped as stopped:
        if stopped.unanswered:
            registry.expect(account, conf)
        raise
    if created is None:
        registry.expect(account, conf)
    return created


def lane_runs(runs: int, lanes: int) -> list[int]:
    """How many machine runs each lane gets: `runs` in all; lane 0 holds the burst, so it gets one run."""
    if lanes <= 1:
        return [runs]
    share, extra = divmod(max(runs - 1, lanes - 1), lanes - 1)
    return [1, *(share + (1 if lane < extra else 0) for lane in range(lanes - 1))]


def run_lane(
    judge: Judge, accounts: tuple[str, ...], registry: CleanupRegistry, profile: Profile, seed: int, runs: int
) -> str | None:
    """Run one lane of the lifecycle machine: `runs` runs drawn from `seed`, verdicts in the judge's ledger.

    Every ownership it creates goes into `registry` before any check runs. Returns why it stopped early, if it
    did. Its draws depend on its seed only, so lanes may run side by side (`Judge.in_lane` keeps them apart).
    """
    attributes = {"judge": judge, "accounts": accounts[:2], "registry": registry}
    machine = type("Lifecycle", (LifecycleMachine,), attributes)
    hypothesis_seed(seed)(machine)
    budget = settings(profile.lifecycle_settings(), max_examples=runs)
    try:
        run_state_machine_as_test(machine, settings=budget)
    except LifecycleStopped as stopped:
        return str(stopped)
    return None
