"""The lifecycle and tenancy, judged by a Hypothesis state machine against a model of what the server holds.

Rules add, list, validate and delete buckets under the given accounts; the model knows which ownerships
each account has, so every answer can be judged: a created ownership is listed, a deleted one is gone and
deleting it again is 404, validate answers with the same id, and no account sees another's ownerships.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import seed as hypothesis_seed
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, precondition, rule, run_state_machine_as_test

from pcaps_contract import checks
from pcaps_contract.data import destination_confs, ownership_challenges
from pcaps_contract.profiles import Profile
from pcaps_contract.report import Failure, Ledger, Step
from pcaps_contract.targets import API_BASE_PATH

Owned = tuple[str, str, str]  # (account, ownership id, destination_conf)


class Judge:
    """Sends requests for the machine and records every verdict in the ledger."""

    def __init__(
        self,
        client: httpx.Client,
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

    def send(self, operation_id: str, method: str, path: str, body: Any = None) -> checks.Exchange:
        """Send one request and run every response check on its answer."""
        response = self.client.request(method, f"{self.base_url}{path}", json=body)
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
        response = self.client.get(f"{origin}/__mock__/accounts/{account}/challenges/{ownership_id}")
        return response.text if response.status_code == 200 else None

    def judge(self, exchange: checks.Exchange, verdict: Callable[[], None], *trail: checks.Exchange) -> bool:
        """Run one model check on an exchange; a violation is recorded with the steps that led to it."""
        try:
            verdict()
        except checks.ContractViolation as violation:
            steps = tuple(step_of(item) for item in (*trail, exchange))
            self.ledger.failed(
                Failure(exchange.operation_id or "", violation.check, violation.expected, violation.received, steps)
            )
            return False
        name = getattr(verdict, "check", None) or verdict.__name__
        self.ledger.passed(exchange.operation_id or "", name)
        return True


def step_of(exchange: checks.Exchange) -> Step:
    """The reproduction step of an exchange."""
    body = None if exchange.request_body is None else httpx.Request("POST", "/", json=exchange.request_body).read()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return Step(exchange.method, exchange.url, headers, body.decode() if body is not None else None)


def _verdict(check: Callable[..., None], *args: Any) -> Callable[[], None]:
    def run() -> None:
        check(*args)

    run.check = check.__name__  # type: ignore[attr-defined]
    return run


class LifecycleMachine(RuleBasedStateMachine):
    """Adds, lists, validates and deletes under one or two accounts, checking each answer against the model."""

    judge: Judge
    accounts: tuple[str, ...]
    created: set[tuple[str, str]]

    owned = Bundle("owned")
    deleted = Bundle("deleted")

    def __init__(self) -> None:
        super().__init__()
        # account -> ownership id -> (destination_conf, the exchange that created it)
        self.model: dict[str, dict[str, tuple[str, checks.Exchange]]] = {account: {} for account in self.accounts}
        self.gone: dict[str, dict[str, checks.Exchange]] = {account: {} for account in self.accounts}

    def _path(self, account: str, suffix: str = "") -> str:
        return f"/accounts/{account}/pcaps/ownership{suffix}"

    def _other(self, account: str) -> str:
        return next(other for other in self.accounts if other != account)

    @rule(target=owned, index=st.integers(min_value=0, max_value=1), conf=destination_confs())
    def add(self, index: int, conf: str) -> Any:
        account = self.accounts[index % len(self.accounts)]
        created = self.judge.send("add_bucket", "POST", self._path(account), {"destination_conf": conf})
        record = next(created.ownerships(), None)
        if created.status != 200 or record is None or not isinstance(record.get("id"), str):
            return multiple_none()
        self.model[account][record["id"]] = (conf, created)
        self.created.add((account, record["id"]))
        return (account, record["id"], conf)

    @rule(index=st.integers(min_value=0, max_value=1))
    def list_buckets(self, index: int) -> None:
        account = self.accounts[index % len(self.accounts)]
        listing = self.judge.send("list_buckets", "GET", self._path(account))
        expected = self.model[account]
        trail = [exchange for _, exchange in list(expected.values())[-2:]]
        self.judge.judge(listing, _verdict(checks.created_ownership_is_listed, listing, set(expected)), *trail)
        if self.gone[account]:
            self.judge.judge(
                listing,
                _verdict(checks.deleted_ownership_is_not_listed, listing, set(self.gone[account])),
                *list(self.gone[account].values())[-1:],
            )
        for other in self.accounts:
            if other != account and self.model[other]:
                foreign = set(self.model[other]) | set(self.gone[other])
                self.judge.judge(
                    listing,
                    _verdict(checks.foreign_ownership_is_not_listed, listing, foreign),
                    *[exchange for _, exchange in list(self.model[other].values())[-1:]],
                )

    @rule(target=deleted, item=consumes(owned), again=st.booleans())
    def delete(self, item: Owned, again: bool) -> Any:
        account, ownership_id, _ = item
        if ownership_id not in self.model[account]:
            return multiple_none()
        _, created = self.model[account][ownership_id]
        deletion = self.judge.send("delete_bucket", "DELETE", self._path(account, f"/{ownership_id}"))
        self.judge.judge(deletion, _verdict(checks.created_ownership_can_be_deleted, deletion), created)
        if deletion.status != 204:
            return multiple_none()
        del self.model[account][ownership_id]
        self.gone[account][ownership_id] = deletion
        if again:  # at once, as a retrying client would; `delete_again` repeats it later in the run
            self.delete_again(item)
        return item

    @rule(item=deleted)
    def delete_again(self, item: Owned) -> None:
        account, ownership_id, _ = item
        again = self.judge.send("delete_bucket", "DELETE", self._path(account, f"/{ownership_id}"))
        self.judge.judge(again, _verdict(checks.second_delete_is_not_found, again), self.gone[account][ownership_id])

    @rule(item=owned, challenge=ownership_challenges(), answer_it=st.booleans())
    def validate(self, item: Owned, challenge: str, answer_it: bool) -> None:
        account, ownership_id, conf = item
        if ownership_id not in self.model[account]:
            return
        if answer_it:
            challenge = self.judge.challenge(account, ownership_id) or challenge
        body = {"destination_conf": conf, "ownership_challenge": challenge}
        validation = self.judge.send("validate_bucket", "POST", self._path(account, "/validate"), body)
        same_bucket = {known for known, (known_conf, _) in self.model[account].items() if known_conf == conf}
        self.judge.judge(
            validation,
            _verdict(checks.validate_returns_same_id, validation, same_bucket),
            self.model[account][ownership_id][1],
        )

    @precondition(lambda self: len(self.accounts) > 1)
    @rule(item=owned, challenge=ownership_challenges())
    def validate_elsewhere(self, item: Owned, challenge: str) -> None:
        account, ownership_id, conf = item
        if ownership_id not in self.model[account]:
            return
        other = self._other(account)
        body = {"destination_conf": conf, "ownership_challenge": challenge}
        validation = self.judge.send("validate_bucket", "POST", self._path(other, "/validate"), body)
        self.judge.judge(
            validation,
            _verdict(checks.foreign_ownership_is_not_validated, validation, set(self.model[account])),
            self.model[account][ownership_id][1],
        )

    @precondition(lambda self: len(self.accounts) > 1)
    @rule(item=owned)
    def delete_elsewhere(self, item: Owned) -> None:
        account, ownership_id, _ = item
        if ownership_id not in self.model[account]:
            return
        other = self._other(account)
        deletion = self.judge.send("delete_bucket", "DELETE", self._path(other, f"/{ownership_id}"))
        if not self.judge.judge(
            deletion, _verdict(checks.foreign_ownership_is_not_deleted, deletion), self.model[account][ownership_id][1]
        ):
            # The server did delete it: follow reality so that later verdicts are about new behaviour.
            self.gone[account][ownership_id] = self.model[account].pop(ownership_id)[1]


def multiple_none() -> Any:
    from hypothesis.stateful import multiple

    return multiple()


def run_lifecycle(
    options: Any, profile: Profile, seed: int, policy: checks.Policy, ledger: Ledger, statuses: Counter[int]
) -> set[tuple[str, str]]:
    """Run the lifecycle machine under the profile's budget, recording verdicts in the ledger.

    Returns the (account, id) of every ownership it created, for the caller to clean up.
    """
    target = options.target
    with target.client(options.credentials.headers()) as client:
        judge = Judge(client, target.base_url, policy, ledger, statuses, in_process=target.in_process)
        created: set[tuple[str, str]] = set()
        attributes = {"judge": judge, "accounts": options.accounts[:2], "created": created}
        machine = type("Lifecycle", (LifecycleMachine,), attributes)
        hypothesis_seed(seed)(machine)
        # Lifecycle runs are cheap and their first few are short, so `--max-examples` may raise them, never lower.
        runs = max(options.max_examples or 0, profile.lifecycle_examples)
        budget = settings(profile.lifecycle_settings(), max_examples=runs)
        run_state_machine_as_test(machine, settings=budget)
    return created
