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

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import requests
from hypothesis import seed as hypothesis_seed
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from pcaps_contract import checks
from pcaps_contract.data import destination_confs, ownership_challenges
from pcaps_contract.ownerships import CleanupRegistry
from pcaps_contract.profiles import Profile
from pcaps_contract.report import Failure, Ledger, Step
from pcaps_contract.sender import Cancelled, Throttled
from pcaps_contract.targets import API_BASE_PATH
from pcaps_contract.text import clip
from pcaps_contract.urls import api_path

# Consecutive requests without an answer after which the target counts as lost for the rest of the lifecycle.
LOST_AFTER = 3
_PICK = st.integers(min_value=0, max_value=2**16)
TRANSPORT_ERRORS: tuple[type[Exception], ...] = (requests.RequestException, httpx.HTTPError)


class LifecycleStopped(BaseException):
    """The lifecycle cannot go on: the run's time is up, or the target stopped answering.

    A BaseException, so that Hypothesis does not take it for a failing example and send it all again.
    """


@dataclass
class Tally:
    """What the lifecycle could not judge, for the report's notes."""

    throttled: int = 0
    lost: list[str] = field(default_factory=list)
    server_errors: int = 0


class Judge:
    """Sends requests for the machine and records every verdict in the ledger."""

    def __init__(
        self,
        client: Any,
        base_url: str,
        policy: checks.Policy,
        ledger: Ledger,
        statuses: Counter[int],
        in_process: bool = False,
    ) -> None:
        self.in_process = in_process
        self.client = client
        self.base_url = base_url
        self.policy = policy
        self.ledger = ledger
        self.statuses = statuses
        self.tally = Tally()
        self._unanswered = 0

    def send(self, operation_id: str, method: str, path: str, body: Any = None) -> checks.Exchange | None:
        """Send one request and run every response check on its answer; None when there is nothing to judge.

        A 5xx is judged by `not_a_server_error` only: what the server did with the request is unknown.
        """
        try:
            response = self.client.request(method, f"{self.base_url}{path}", json=body)
        except Cancelled:
            raise LifecycleStopped("the run's time was up") from None
        except Throttled:
            self.tally.throttled += 1
            return None
        except TRANSPORT_ERRORS as exc:
            self._unanswered += 1
            self.tally.lost.append(f"{method} {path}: {type(exc).__name__}")
            if self._unanswered >= LOST_AFTER:
                raise LifecycleStopped(f"the target stopped answering ({type(exc).__name__})") from None
            return None
        self._unanswered = 0
        self.statuses[response.status_code] += 1
        exchange = checks.Exchange(
            operation_id=operation_id,
            method=method,
            url=str(response.request.url),
            status=response.status_code,
            content=response.content,
            request_body=body,
            request_headers=dict(response.request.headers),
            response_headers=dict(response.headers),
        )
        if exchange.status >= 500:
            self.tally.server_errors += 1
            self.ledger.failed(
                Failure(
                    operation_id,
                    "not_a_server_error",
                    "a status below 500",
                    f"status {exchange.status}: {clip(response.content.decode('utf-8', 'replace'), 200)}",
                    (step_of(exchange),),
                )
            )
            return None
        for name, violation in checks.run_response_checks(exchange, self.policy):
            if violation is None:
                self.ledger.passed(operation_id, name)
            else:
                self.ledger.failed(
                    Failure(operation_id, name, violation.expected, violation.received, (step_of(exchange),))
                )
        return exchange

    def challenge(self, account: str, ownership_id: str) -> str | None:
        """The content of an ownership's challenge file, when an in-process target serves it for tests.

        The bundled mock does, at `/__mock__/accounts/{account}/challenges/{id}`: validations then succeed
        and `validated` gets judged too. Other targets are never sent this request.
        """
        if not self.in_process:
            return None
        origin = self.base_url.removesuffix(API_BASE_PATH)
        response = self.client.get(f"{origin}/__mock__{api_path('accounts', account, 'challenges', ownership_id)}")
        return response.text if response.status_code == 200 else None

    def judge(
        self, exchange: checks.Exchange, check: Callable[..., None], *args: Any, trail: tuple[checks.Exchange, ...] = ()
    ) -> bool:
        """Run one model check on an exchange; a violation is recorded with the steps that led to it."""
        try:
            check(exchange, *args)
        except checks.ContractViolation as violation:
            steps = tuple(step_of(item) for item in (*trail, exchange))
            self.ledger.failed(
                Failure(exchange.operation_id or "", violation.check, violation.expected, violation.received, steps)
            )
            return False
        self.ledger.passed(exchange.operation_id or "", check.__name__)
        return True


def step_of(exchange: checks.Exchange) -> Step:
    """The reproduction step of an exchange."""
    body = None if exchange.request_body is None else httpx.Request("POST", "/", json=exchange.request_body).read()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return Step(exchange.method, exchange.url, headers, body.decode() if body is not None else None)


@dataclass
class Record:
    """An ownership the model knows: where it lives, its bucket, and the answer that created it."""

    account: str
    ownership_id: str
    conf: str
    created: checks.Exchange


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

    def _path(self, account: str, *suffix: str) -> str:
        return api_path("accounts", account, "pcaps", "ownership", *suffix)

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

    @rule(index=st.integers(min_value=0, max_value=1), conf=destination_confs())
    def add(self, index: int, conf: str) -> None:
        account = self._account(index)
        created = self.judge.send("add_bucket", "POST", self._path(account), {"destination_conf": conf})
        if created is None:
            self.registry.expect(account, conf)  # a create without a judged answer may still have created it
            return
        record = next(created.ownerships(), None)
        if created.status != 200 or record is None or not isinstance(record.get("id"), str):
            return
        self.registry.track(account, record["id"], conf)
        self.held.append(Record(account, record["id"], conf, created))
        # Judged at once, whatever rules this run's draws favour: the creation shows in the list.
        self.list_buckets(self.accounts.index(account))

    @rule(index=st.integers(min_value=0, max_value=1))
    def list_buckets(self, index: int) -> None:
        account = self._account(index)
        listing = self.judge.send("list_buckets", "GET", self._path(account))
        if listing is None:
            return
        held = self._held_in(account)
        trail = tuple(record.created for record in held[-2:])
        self.judge.judge(listing, checks.created_ownership_is_listed, {r.ownership_id for r in held}, trail=trail)
        gone = [(record, deletion) for record, deletion in self.gone if record.account == account]
        if gone:
            self.judge.judge(
                listing,
                checks.deleted_ownership_is_not_listed,
                {record.ownership_id for record, _ in gone},
                trail=(gone[-1][1],),
            )
        for other in self.accounts:
            others = self._held_in(other)
            if other != account and others:
                foreign = {r.ownership_id for r in others} | {
                    r.ownership_id for r, _ in self.gone if r.account == other
                }
                self.judge.judge(listing, checks.foreign_ownership_is_not_listed, foreign, trail=(others[-1].created,))

    @rule(pick=_PICK, again=st.booleans())
    def delete(self, pick: int, again: bool) -> None:
        record: Record | None = self._pick(self.held, pick)
        if record is not None:
            self._delete(record, again)

    def teardown(self) -> None:
        """Every run ends by deleting what it still holds: each delete, the list after it and one repeat judged."""
        for number, record in enumerate(list(self.held)):
            self._delete(record, again=number == 0)

    def _delete(self, record: Record, again: bool) -> None:
        deletion = self.judge.send("delete_bucket", "DELETE", self._path(record.account, record.ownership_id))
        if deletion is None:
            self._forget(record)
            return
        self.judge.judge(deletion, checks.created_ownership_can_be_deleted, trail=(record.created,))
        if deletion.status != 204:
            return
        self.held.remove(record)
        self.registry.forget(record.account, record.ownership_id)
        self.gone.append((record, deletion))
        if again:  # at once, as a retrying client would; `delete_again` repeats it later in the run
            self._delete_again(record, deletion)
        self.list_buckets(self.accounts.index(record.account))  # the deletion shows in the list at once

    @rule(pick=_PICK)
    def delete_again(self, pick: int) -> None:
        entry: tuple[Record, checks.Exchange] | None = self._pick(self.gone, pick)
        if entry is not None:
            self._delete_again(*entry)

    def _delete_again(self, record: Record, deletion: checks.Exchange) -> None:
        again = self.judge.send("delete_bucket", "DELETE", self._path(record.account, record.ownership_id))
        if again is not None:
            self.judge.judge(again, checks.second_delete_is_not_found, trail=(deletion,))

    @rule(pick=_PICK, challenge=ownership_challenges(), answer_it=st.booleans())
    def validate(self, pick: int, challenge: str, answer_it: bool) -> None:
        record: Record | None = self._pick(self.held, pick)
        if record is None:
            return
        if answer_it:
            challenge = self.judge.challenge(record.account, record.ownership_id) or challenge
        body = {"destination_conf": record.conf, "ownership_challenge": challenge}
        validation = self.judge.send("validate_bucket", "POST", self._path(record.account, "validate"), body)
        if validation is None:
            return
        same_bucket = {
            other.ownership_id for other in self.held if other.account == record.account and other.conf == record.conf
        }
        if same_bucket & self.unsure:
            return  # the server may hold a record the model lost track of: the answer cannot be judged
        self.judge.judge(validation, checks.validate_returns_same_id, same_bucket, trail=(record.created,))

    @precondition(lambda self: len(self.accounts) > 1)
    @rule(pick=_PICK, challenge=ownership_challenges())
    def validate_elsewhere(self, pick: int, challenge: str) -> None:
        record: Record | None = self._pick(self.held, pick)
        if record is None:
            return
        body = {"destination_conf": record.conf, "ownership_challenge": challenge}
        validation = self.judge.send(
            "validate_bucket", "POST", self._path(self._other(record.account), "validate"), body
        )
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
            "delete_bucket", "DELETE", self._path(self._other(record.account), record.ownership_id)
        )
        if deletion is None:
            self._forget(record)
            return
        if not self.judge.judge(deletion, checks.foreign_ownership_is_not_deleted, trail=(record.created,)):
            # The server did delete it: follow reality so that later verdicts are about new behaviour.
            self.held.remove(record)
            self.registry.forget(record.account, record.ownership_id)
            self.gone.append((record, deletion))


def run_lifecycle(
    judge: Judge, accounts: tuple[str, ...], registry: CleanupRegistry, profile: Profile, seed: int, runs: int
) -> str | None:
    """Run the lifecycle machine under the profile's budget, recording verdicts in the ledger.

    Every ownership it creates goes into `registry` before any check runs. Returns why it stopped early, if it did.
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
