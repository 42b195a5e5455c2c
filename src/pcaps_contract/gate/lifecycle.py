"""The lifecycle and tenancy, judged by a Hypothesis state machine against a model of what the server holds.

Rules add, list, validate and delete buckets under the given accounts; the model knows which ownerships
each account has, so every answer can be judged: a created ownership is listed, a deleted one is gone and
deleting it again is 404, validate answers with the same id, and no account sees another's ownerships.

The machine's choices never depend on what the server answers: every rule draws the same kinds of values
whatever the model holds (an index into the records, not a bundle of them), so a server that answers 500
or 429 now and then gets a verdict, never a Hypothesis flakiness error. An answer the run cannot judge (a
throttled request, a lost connection) leaves the model alone; an ambiguous one (a 5xx to a create or a
delete) takes the record out of judgement, while the cleanup still deletes it.

The machine decides what a lane sends; the lane's `Judge` (`lanes`) sends it and records the verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hypothesis import seed as hypothesis_seed
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from pcaps_contract.engine import (
    CleanupRegistry,
    Profile,
    destination_confs,
    made_up_challenges,
    ownership_challenges,
)
from pcaps_contract.gate.lanes import Judge, LifecycleStopped, send_add, step_of
from pcaps_contract.judge import (
    checks,
    is_pending,
    narrowed,
    settled_record,
)
from pcaps_contract.openapi import api

_PICK = st.integers(min_value=0, max_value=2**16)
# Adds of one burst, once per check run: past the 25 records a server's default page might silently cut to.
BURST = 26


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
