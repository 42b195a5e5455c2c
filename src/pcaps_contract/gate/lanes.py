"""One lane of the lifecycle: the `Judge` that sends its requests and records every verdict in the run's ledger.

A lane is given its settings (`LaneSettings`: plain, frozen data) and what it shares with the run's other lanes
(`Shared`); `lifecycle` is the state machine that decides what the lane sends.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import requests

from pcaps_contract._credentials import CREDENTIAL_HEADERS, Credentials
from pcaps_contract._text import clip
from pcaps_contract.engine import (
    Cancelled,
    ChallengeSource,
    CleanupRegistry,
    Quiet,
    Throttled,
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
    kind_of,
    narrowed,
)
from pcaps_contract.openapi import api

if TYPE_CHECKING:
    from pcaps_contract.gate.lifecycle import Record

# Consecutive requests without an answer after which an in-process app counts as lost for the rest of the
# lifecycle. A served target needs no count of its own: its sender halts the whole run (`_sender.Halt`).
LOST_AFTER = 3
# The longest object key S3 takes (1,024 bytes; characters here, as a first bound).
_LONGEST_KEY = 1024
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


@dataclass(frozen=True)
class LaneSettings:
    """How one lane sends and judges: the API's base URL, the response checks' policy, the credentials whose
    secrets are redacted from what it records, its number (None: the run's only lane, its buckets unrenamed),
    whether it holds the run's burst, and whether it tells the run's model of its own requests (False when a
    served target's sender tells the model of every request)."""

    base_url: str
    policy: checks.Policy = field(default_factory=checks.Policy)
    credentials: Credentials | None = None
    lane: int | None = None
    burst: bool = True
    feeds_model: bool = True


@dataclass(frozen=True)
class Shared:
    """What the lanes of one run share: the ids seen, the wait for pending validations, the writes' lock and the
    model of the accounts (each a lane's own when not given)."""

    seen_ids: SeenIds = field(default_factory=SeenIds)
    settling: Settling = field(default_factory=lambda: Settling(0.0))
    quiet: Quiet = field(default_factory=Quiet)
    model: AccountModel = field(default_factory=AccountModel)


class Judge:
    """Sends requests for one lane of the machine and records every verdict in the ledger.

    A lane (`lane` set) names its buckets `pcaps-l{lane}-...` and sees only those in a list where the whole list
    is compared (`in_view`), so that lanes running side by side on the same accounts never judge each other's
    records. `burst`: whether the lane holds the run's burst (once per run).
    """

    def __init__(
        self,
        client: Any,
        ledger: Ledger,
        settings: LaneSettings,
        source: ChallengeSource | None = None,
        shared: Shared | None = None,
    ) -> None:
        shared = shared if shared is not None else Shared()
        self.client = client
        self.ledger = ledger
        self.base_url = settings.base_url
        self.policy = settings.policy
        self.credentials = settings.credentials
        self.lane = settings.lane
        self.feeds_model = settings.feeds_model
        self.source = source
        self.statuses: Counter[int] = Counter()
        self.tally = Tally()
        self._unanswered = 0
        # Across the machine's runs, for the whole check run: every id seen, and the once-per-run budgets.
        self.seen_ids = shared.seen_ids
        self.burst_done = not settings.burst
        self.delivered_validations = 0
        # Validations left `pending` are waited out (shared by the lanes); the later views are judged once a lane.
        self.settling = shared.settling
        self.followed_up = False
        self.delivered_tried = False  # a validation with the delivered challenge was sent in this lane
        self.answers: dict[str, Counter[str]] = {}  # by operation, each answer by kind (`judge.real_answers`)
        # The run's writes hold it; reading a listing's pages holds it alone (shared by every lane of the run).
        self.quiet = shared.quiet
        # The run's one model of the accounts; this judge tells it of its own requests when nothing else does (a
        # served target's sender tells it of every request).
        self.model = shared.model

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
