"""Finite spaces enumerated, not sampled: every half-right credential form against every operation, and every
tenancy probe, judged once in every run whatever the seed, profile and workers (the seed draws the data only).

A deterministic table run beside the lifecycle's lanes, each task a `Judge` of a lane of its own (its buckets
`pcaps-lN-...`, so that its lists compare only its own records): each refused write is bracketed by lists with
the run's own credentials, which must agree; each row of the table says whether it was judged (`ProbeTable`).
One validation with a made-up challenge closes the first task: `made_up_challenge_never_succeeds` is judged in
every run too, whatever rules the lifecycle's draws favoured.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from pcaps_contract._credentials import Credentials
from pcaps_contract.engine import CleanupRegistry
from pcaps_contract.gate.lanes import Judge, LifecycleStopped, send_add, step_of
from pcaps_contract.judge import checks
from pcaps_contract.openapi import api

# Every operation a credential form is sent to, in the order each form runs through them.
PROBED_OPERATIONS = (api.LIST, api.ADD, api.DELETE, api.VALIDATE)
# Tasks the credential forms are dealt to, side by side (the tenancy probes are one more).
CREDENTIAL_TASKS = 2
PASSED, FAILED, UNJUDGED = "passed", "failed", "unjudged"


@dataclass(frozen=True)
class Form:
    """One way credentials can be half right: what it is, and the headers sent instead of the run's."""

    name: str
    headers: dict[str, str]


def credential_forms(credentials: Credentials, made_up: str) -> list[Form]:
    """Every half-right form for the credentials given (`made_up`: the seed's stand-in for a wrong value).

    Whatever is given: no credentials; a wrong bearer token. With a token: the token without `Bearer `, `Bearer`
    without the token, the token under another scheme, the token as X-Auth-Key without X-Auth-Email. With an
    email and key: the key without the email, the email without the key, the email with a wrong key, the key with
    a wrong email, the two swapped, the key as a bearer token, the right pair with a wrong bearer token. Without
    one: a made-up X-Auth-Key alone and a made-up X-Auth-Email alone.
    """
    wrong_key, wrong_email = f"{made_up}-not-a-key", f"{made_up[:12]}@example.invalid"
    wrong_bearer = {"Authorization": f"Bearer {made_up}-not-a-token"}
    forms = [Form("no credentials", {}), Form("a wrong bearer token", wrong_bearer)]
    token = credentials.token
    if token:
        forms += [
            Form("the token without `Bearer `", {"Authorization": token}),
            Form("`Bearer` without the token", {"Authorization": "Bearer"}),
            Form("the token under the scheme `Token`", {"Authorization": f"Token {token}"}),
            Form("the token as X-Auth-Key without X-Auth-Email", {"X-Auth-Key": token}),
        ]
    email, key = credentials.email, credentials.api_key
    if not (email and key):
        forms += [
            Form("a made-up X-Auth-Key without X-Auth-Email", {"X-Auth-Key": wrong_key}),
            Form("a made-up X-Auth-Email without X-Auth-Key", {"X-Auth-Email": wrong_email}),
        ]
        return forms
    forms += [
        Form("the X-Auth-Key without X-Auth-Email", {"X-Auth-Key": key}),
        Form("the X-Auth-Email without X-Auth-Key", {"X-Auth-Email": email}),
        Form("the X-Auth-Email with a wrong X-Auth-Key", {"X-Auth-Email": email, "X-Auth-Key": wrong_key}),
        Form("the X-Auth-Key with a wrong X-Auth-Email", {"X-Auth-Email": wrong_email, "X-Auth-Key": key}),
        Form("the X-Auth-Email and X-Auth-Key swapped", {"X-Auth-Email": key, "X-Auth-Key": email}),
        Form("the X-Auth-Key as a bearer token", {"Authorization": f"Bearer {key}"}),
        Form(
            "the X-Auth-Email + X-Auth-Key with a wrong bearer token",
            {**wrong_bearer, "X-Auth-Email": email, "X-Auth-Key": key},
        ),
    ]
    # A form that is a style of the run's own (a key equal to the token) would be right: it is no probe.
    return [form for form in forms if all(form.headers != right for _, right in credentials.styles())]


class ProbeTable:
    """Each probe of the run (form or tenancy probe x operation) and whether it was judged, for the report."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rows: list[dict[str, str]] = []

    def record(self, probe: str, operation: str, status: str) -> None:
        with self._lock:
            self._rows.append({"probe": probe, "operation": operation, "status": status})

    def rows(self) -> list[dict[str, str]]:
        with self._lock:
            return list(self._rows)

    def unjudged(self) -> list[dict[str, str]]:
        return [row for row in self.rows() if row["status"] == UNJUDGED]


@dataclass
class _Held:
    """A record a task added to aim its probes at."""

    account: str
    ownership_id: str
    conf: str
    created: checks.Exchange


class _Prober:
    """Sends one task's probes through its judge; holds the records they are aimed at (tracked for the cleanup)."""

    def __init__(self, judge: Judge, table: ProbeTable, registry: CleanupRegistry, seed: int) -> None:
        self.judge = judge
        self.table = table
        self.registry = registry
        self.rng = random.Random(seed)

    def made_up(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def conf(self) -> str:
        source = self.judge.source
        if source is not None and source.bucket is not None:
            return source.bucket  # a server that writes challenges takes only the bucket the run was given
        return self.judge.in_lane(f"s3://pcaps-probe-{self.rng.getrandbits(48):x}?region=us-east-1")

    def hold(self, account: str, headers: dict[str, str] | None = None) -> _Held | None:
        """A record of this task in `account`, added with the run's credentials; None when none was created."""
        conf = self.conf()
        created = self.add(account, conf, headers)
        return self.track(account, conf, created) if created is not None else None

    def add(self, account: str, conf: str, headers: dict[str, str] | None) -> checks.Exchange | None:
        """An add; one without a judged answer may still have created a record: the cleanup looks for it."""
        return send_add(self.judge, self.registry, account, conf, headers)

    def track(self, account: str, conf: str, created: checks.Exchange) -> _Held | None:
        """The record an add answered, tracked for the cleanup before anything else; None for a refusal."""
        record = next(created.ownerships(), None)
        ownership_id = record.get("id") if record is not None and created.status == 200 else None
        if not isinstance(ownership_id, str) or not self.registry.track(account, ownership_id, conf):
            return None
        return _Held(account, ownership_id, conf, created)

    def delete(
        self, held: _Held, where: str | None = None, headers: dict[str, str] | None = None
    ) -> checks.Exchange | None:
        """Delete a held record (from `where`, another account, when given); its end is the cleanup's to know."""
        path = api.ownership_path(where or held.account, held.ownership_id)
        deletion = self.judge.send(api.DELETE, "DELETE", path, headers=headers)
        if deletion is not None and deletion.status == 204:
            self.registry.forget(held.account, held.ownership_id)
        return deletion

    def note(self, probe: str, operation: str, held: bool | None) -> None:
        """Say in the table whether a probe held, was violated, or (None) got no answer to judge."""
        self.table.record(probe, operation, UNJUDGED if held is None else PASSED if held else FAILED)

    def listing(self, account: str, style: tuple[str, dict[str, str]]) -> checks.Exchange | None:
        """A list with one style of the run's own credentials (a refused write's bracket): never refused."""
        name, headers = style
        listing = self.judge.send(api.LIST, "GET", api.ownerships_path(account), headers=headers)
        if listing is not None:
            self.judge.judge(listing, checks.given_credentials_are_accepted, name)
        return listing

    def refusal(
        self,
        refused: checks.Exchange,
        form: Form,
        before: checks.Exchange | None = None,
        after: checks.Exchange | None = None,
    ) -> bool:
        """`half_credentials_are_refused` on a probe, between the lists around it when it wrote."""
        steps = tuple(
            step_of(item, authenticated=item is not refused) for item in (before, refused, after) if item is not None
        )
        before, after = self.judge.in_view(before), self.judge.in_view(after)
        return self.judge.judge(refused, checks.half_credentials_are_refused, form.name, before, after, steps=steps)


def _credential_probes(
    prober: _Prober, forms: Sequence[Form], account: str, credentials: Credentials, made_up_validation: bool = False
) -> None:
    """Each form against list, add, delete and validate; each write between two lists with the run's credentials
    (a style of its own per form, in turn), the list after one write the list before the next. Then, with
    `made_up_validation`, the record the probes aimed at is validated with a made-up challenge."""
    judge, styles = prober.judge, credentials.styles()
    held = prober.hold(account)
    for number, form in enumerate(forms):
        style = styles[number % len(styles)]
        listed = judge.send(api.LIST, "GET", api.ownerships_path(account), headers=form.headers)
        prober.note(form.name, api.LIST, None if listed is None else prober.refusal(listed, form))
        before = prober.listing(account, style)
        for operation in (api.ADD, api.DELETE, api.VALIDATE):
            if held is None and operation != api.ADD:  # a probe aims at a record, when the run can hold one
                held = prober.hold(account, style[1])
                before = prober.listing(account, style)
            refused = _write(prober, operation, account, held, form)
            after = prober.listing(account, style) if refused is not None else None
            prober.note(form.name, operation, None if refused is None else prober.refusal(refused, form, before, after))
            if refused is not None and operation == api.DELETE and refused.status == 204:
                held = None  # deleted by a request that should have been refused: the cleanup need not
            before = after
    if held is not None and made_up_validation:
        _validate_made_up(prober, held)
    if held is not None:
        prober.delete(held)


def _validate_made_up(prober: _Prober, held: _Held) -> None:
    """A record never validated, validated with the run's credentials and a challenge the server never delivered:
    never a success (judged once in every run, whatever the lifecycle's draws favoured)."""
    body = {"destination_conf": held.conf, "ownership_challenge": prober.made_up()}
    validation = prober.judge.send(api.VALIDATE, "POST", api.validate_path(held.account), body)
    if validation is not None:
        prober.judge.judge(validation, checks.made_up_challenge_never_succeeds, trail=(held.created,))
        prober.judge.judge(validation, checks.validation_sets_status, False, trail=(held.created,))


def _write(prober: _Prober, operation: str, account: str, held: _Held | None, form: Form) -> checks.Exchange | None:
    """One write with a half-right form; a record it creates after all is tracked for the cleanup."""
    judge = prober.judge
    if operation == api.ADD:
        conf = prober.conf()
        created = prober.add(account, conf, form.headers)
        if created is not None and created.is_success:
            prober.track(account, conf, created)
        return created
    if operation == api.DELETE:
        if held is None:
            return judge.send(api.DELETE, "DELETE", api.ownership_path(account, prober.made_up()), headers=form.headers)
        return prober.delete(held, headers=form.headers)
    conf = held.conf if held is not None else prober.conf()
    body = {"destination_conf": conf, "ownership_challenge": prober.made_up()}
    return judge.send(api.VALIDATE, "POST", api.validate_path(account), body, headers=form.headers)


def _tenancy_probes(prober: _Prober, accounts: Sequence[str]) -> None:
    """Each of the first two accounts' records listed, validated and deleted from the other: never reached."""
    judge = prober.judge
    for home, away in ((accounts[0], accounts[1]), (accounts[1], accounts[0])):
        probe = f"account {accounts.index(home) + 1}'s record from account {accounts.index(away) + 1}"
        held = prober.hold(home)
        if held is None:
            for operation in (api.LIST, api.VALIDATE, api.DELETE):
                prober.note(probe, operation, None)
            continue
        own, trail = {held.ownership_id}, (held.created,)
        listed = judge.send(api.LIST, "GET", api.ownerships_path(away))
        judged = (
            None if listed is None else judge.judge(listed, checks.foreign_ownership_is_not_listed, own, trail=trail)
        )
        prober.note(probe, api.LIST, judged)
        body = {"destination_conf": held.conf, "ownership_challenge": prober.made_up()}
        validated = judge.send(api.VALIDATE, "POST", api.validate_path(away), body)
        judged = (
            None
            if validated is None
            else judge.judge(validated, checks.foreign_ownership_is_not_validated, own, trail=trail)
        )
        prober.note(probe, api.VALIDATE, judged)
        deleted = prober.delete(held, where=away)
        judged = None if deleted is None else judge.judge(deleted, checks.foreign_ownership_is_not_deleted, trail=trail)
        prober.note(probe, api.DELETE, judged)
        if deleted is None or deleted.status != 204:
            prober.delete(held)


Task = Callable[[], "str | None"]


def probe_tasks(
    judge_for: Callable[[int], Judge],
    credentials: Credentials,
    accounts: Sequence[str],
    registry: CleanupRegistry,
    seed: int,
    table: ProbeTable,
) -> list[tuple[Task, Judge]]:
    """The run's probes as tasks to run beside the lifecycle's lanes, each with its judge (`judge_for(k)`: the
    judge of the k-th task, a lane of its own): the credential forms dealt to `CREDENTIAL_TASKS` tasks, then the
    tenancy probes (with two accounts). Each task returns why it stopped early, if it did."""
    made_up = f"{random.Random(seed).getrandbits(64):016x}"
    forms = credential_forms(credentials, made_up)
    jobs: list[Callable[[_Prober], None]] = [
        partial(
            _credential_probes,
            forms=forms[k::CREDENTIAL_TASKS],
            account=accounts[0],
            credentials=credentials,
            made_up_validation=k == 0,
        )
        for k in range(CREDENTIAL_TASKS)
    ]
    if len(accounts) > 1:
        jobs.append(partial(_tenancy_probes, accounts=accounts))
    tasks: list[tuple[Task, Judge]] = []
    for number, job in enumerate(jobs):
        judge = judge_for(number)
        prober = _Prober(judge, table, registry, seed + number)

        def task(job: Callable[[_Prober], None] = job, prober: _Prober = prober) -> str | None:
            try:
                job(prober)
            except LifecycleStopped as stopped:
                return str(stopped)
            return None

        tasks.append((task, judge))
    return tasks
