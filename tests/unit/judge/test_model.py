"""The one model of each account (`judge/model.py`) and the checks that consult it.

Each check fails on an answer that breaks its rule and holds on one that keeps it; the model is fed requests in
every order concurrent tasks can give them (a Hypothesis property over interleavings of sends, the server's
doing and answers) and never calls a faithful server's answer a violation.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.gate.lanes import Judge, LaneSettings, Shared
from pcaps_contract.judge import AccountModel, checks, request_of
from pcaps_contract.judge.checks import ContractViolation, Exchange
from pcaps_contract.judge.ledger import Ledger
from pcaps_contract.openapi import api

BASE = "http://127.0.0.1:9/client/v4"
ACCOUNTS = ("a" * 32, "b" * 32)
CONF = "s3://pcaps-one?region=us-east-1"
OTHER_CONF = "s3://pcaps-two?region=us-east-1"
ID, OTHER_ID, BASELINE_ID = "1" * 32, "2" * 32, "3" * 32


def body(result: Any, status: int = 200) -> bytes:
    if 200 <= status < 300:
        return json.dumps({"success": True, "errors": [], "messages": [], "result": result}).encode()
    return json.dumps(
        {"success": False, "errors": [{"code": 1, "message": "no"}], "messages": [], "result": None}
    ).encode()


def shown(*records: tuple[str, str], operation: str = api.LIST, status: int = 200) -> Exchange:
    result = [{"id": ownership_id, "destination_conf": conf} for ownership_id, conf in records]
    if operation != api.LIST:
        result = result[0] if result else None  # type: ignore[assignment]
    return Exchange(operation, "GET", f"{BASE}/accounts/{ACCOUNTS[0]}/pcaps/ownership", status, body(result, status))


def url(account: str = ACCOUNTS[0], ownership_id: str | None = None, validate: bool = False) -> str:
    if validate:
        return BASE + api.validate_path(account)
    return BASE + (api.ownership_path(account, ownership_id) if ownership_id else api.ownerships_path(account))


def add(model: AccountModel, conf: str, status: int | None, ownership_id: str = ID, **how: bool) -> None:
    ticket = model.sending("POST", url(), json.dumps({"destination_conf": conf}).encode())
    assert ticket is not None
    content = body({"id": ownership_id, "destination_conf": conf}, status) if status is not None else b""
    model.answered(ticket, status, content, **how)


def delete(model: AccountModel, ownership_id: str, status: int | None, account: str = ACCOUNTS[0]) -> None:
    ticket = model.sending("DELETE", url(account, ownership_id))
    assert ticket is not None
    model.answered(ticket, status, b"")


def baseline(model: AccountModel, *ids: str) -> None:
    ticket = model.sending("GET", url())
    assert ticket is not None
    model.answered(ticket, 200, body([{"id": i, "destination_conf": OTHER_CONF} for i in ids]))


# --- the checks -----------------------------------------------------------------------------------------------


def test_a_record_nobody_created_breaks_shown_ownership_was_created() -> None:
    with pytest.raises(ContractViolation) as caught:
        checks.shown_ownership_was_created(shown((ID, CONF), (OTHER_ID, CONF)), {ID}, set())
    assert caught.value.check == "shown_ownership_was_created"
    assert caught.value.received == f"shown, never created: {OTHER_ID}"


def test_a_validate_answer_showing_a_made_up_record_breaks_shown_ownership_was_created() -> None:
    with pytest.raises(ContractViolation):
        checks.shown_ownership_was_created(shown((OTHER_ID, CONF), operation=api.VALIDATE), {ID}, set())


def test_known_records_and_records_of_a_bucket_being_added_keep_shown_ownership_was_created() -> None:
    assert checks.shown_ownership_was_created(shown((ID, CONF), (OTHER_ID, OTHER_CONF)), {ID}, {OTHER_CONF}) is (
        checks.HELD
    )
    assert checks.shown_ownership_was_created(shown(status=404), set(), set()) is checks.OUT_OF_SCOPE


def test_a_record_of_a_refused_add_listed_breaks_failed_write_changes_nothing() -> None:
    with pytest.raises(ContractViolation) as caught:
        checks.failed_write_changes_nothing(shown((ID, CONF), (OTHER_ID, OTHER_CONF)), {OTHER_CONF}, {ID}, set())
    assert caught.value.check == "failed_write_changes_nothing"
    assert caught.value.received == f"listed, from an add that was refused: {OTHER_ID}"


def test_a_record_gone_after_a_refused_delete_breaks_failed_write_changes_nothing() -> None:
    with pytest.raises(ContractViolation) as caught:
        checks.failed_write_changes_nothing(shown((ID, CONF)), set(), {ID, OTHER_ID}, {OTHER_ID})
    assert caught.value.received == f"gone after a delete that was refused: {OTHER_ID}"


def test_an_account_as_it_was_keeps_failed_write_changes_nothing() -> None:
    listing = shown((ID, CONF), (OTHER_ID, OTHER_CONF))
    assert checks.failed_write_changes_nothing(listing, {CONF}, {ID, OTHER_ID}, {OTHER_ID}) is checks.HELD
    # A record of a refused add's bucket explained by another add of it, still on its way.
    assert checks.failed_write_changes_nothing(listing, {OTHER_CONF}, {ID}, set(), {OTHER_CONF}) is checks.HELD
    assert checks.failed_write_changes_nothing(listing, set(), {ID}, set()) is checks.OUT_OF_SCOPE
    assert checks.failed_write_changes_nothing(shown(status=403), {CONF}, set(), {ID}) is checks.OUT_OF_SCOPE


def test_a_validate_answer_showing_a_deleted_record_breaks_deleted_ownership_is_not_listed() -> None:
    with pytest.raises(ContractViolation):
        checks.deleted_ownership_is_not_listed(shown((ID, CONF), operation=api.VALIDATE), {ID})
    assert checks.deleted_ownership_is_not_listed(shown((OTHER_ID, CONF), operation=api.VALIDATE), {ID}) is (
        checks.HELD
    )


# --- the model ------------------------------------------------------------------------------------------------


def test_the_model_reads_each_operation_from_its_method_path_and_body() -> None:
    assert request_of("GET", url()) == (api.LIST, ACCOUNTS[0], None, None)
    assert request_of("POST", url(), b'{"destination_conf": "s3://x"}') == (api.ADD, ACCOUNTS[0], None, "s3://x")
    assert request_of("POST", url(validate=True), '{"destination_conf": "s3://x"}') == (
        api.VALIDATE,
        ACCOUNTS[0],
        None,
        "s3://x",
    )
    assert request_of("DELETE", url(ownership_id="a/b")) == (api.DELETE, ACCOUNTS[0], "a/b", None)
    assert request_of("PUT", url()) is None
    assert request_of("GET", "http://x/elsewhere") is None


def test_the_first_list_is_the_baseline_and_only_a_success_changes_the_model() -> None:
    model = AccountModel()
    baseline(model, BASELINE_ID)
    add(model, CONF, 400, ownership_id="refused")
    add(model, CONF, 429, ownership_id="throttled")
    add(model, OTHER_CONF, 200)
    delete(model, ID, 404, account=ACCOUNTS[1])  # another account's delete of it is refused: it stays
    since = model.clock()
    judged = model.judgement(ACCOUNTS[0], since)
    assert judged.must_show == {ID} and judged.kept == {ID}
    assert judged.known == {ID, BASELINE_ID} and judged.refused_adds == {CONF} and not judged.adding
    assert model.expect_listed(ACCOUNTS[0], since) == (frozenset({ID}), frozenset({ID, BASELINE_ID}))
    delete(model, ID, 204)
    later = model.judgement(ACCOUNTS[0], model.clock())
    assert later.deleted == {ID} and not later.must_show and not later.kept


def test_a_write_without_an_answer_leaves_its_outcome_unknown() -> None:
    model = AccountModel()
    baseline(model)
    add(model, CONF, None)
    add(model, OTHER_CONF, 200)
    delete(model, ID, None)
    judged = model.judgement(ACCOUNTS[0], model.clock())
    assert judged.adding == {CONF}  # a record of its bucket may exist
    assert ID not in judged.must_show and ID not in judged.deleted  # listed or not, no violation


def test_a_write_still_on_its_way_when_a_list_was_sent_may_or_may_not_show() -> None:
    model = AccountModel()
    baseline(model)
    add(model, CONF, 200)
    adding = model.sending("POST", url(), json.dumps({"destination_conf": OTHER_CONF}))
    deleting = model.sending("DELETE", url(ownership_id=ID))
    since = model.clock()
    assert adding is not None and deleting is not None
    model.answered(deleting, 204)  # answered after the list was sent: the list may still show it
    judged = model.judgement(ACCOUNTS[0], since)
    assert OTHER_CONF in judged.adding and ID not in judged.deleted and ID not in judged.must_show


def test_a_model_that_does_not_see_every_writer_judges_only_what_it_saw() -> None:
    model = AccountModel(sighted=False)
    baseline(model)
    add(model, CONF, 429)
    add(model, OTHER_CONF, 200)
    delete(model, ID, 204)
    since = model.clock()
    assert not model.sees_everything
    # A record it cannot explain may be an unseen writer's; one it saw deleted is gone all the same.
    assert _judged(model, shown(("unseen", CONF)), since) == set()
    assert _judged(model, shown((ID, OTHER_CONF)), since) == {"deleted_ownership_is_not_listed"}


def test_a_model_past_its_bound_stops_judging() -> None:
    model = AccountModel(most=3)
    for number in range(4):
        add(model, CONF, 200, ownership_id=f"{number:032d}")
    assert not model.sees_everything


def test_refused_writes_count_towards_the_bound_too() -> None:
    model = AccountModel(most=3)
    for number in range(4):
        add(model, f"s3://refused-{number}", 400)
    assert not model.sees_everything


# --- no false alarm, whatever order concurrent requests end in -------------------------------------------------


@dataclass
class _Op:
    kind: str  # add, delete, list
    account: str
    outcome: str  # ok, refused, throttled, lost-done, lost-undone
    conf: str = CONF
    pick: int = 0
    step: int = 0
    ticket: Any = None
    since: int = 0
    target: str = ""
    status: int | None = None
    content: bytes = b""


@dataclass
class _Server:
    """A faithful server: an op is done between its send and its answer, only when it succeeds (or, without an
    answer, when the draw says so)."""

    held: dict[str, dict[str, str]] = field(default_factory=lambda: {a: {} for a in ACCOUNTS})
    made: int = 0

    def do(self, op: _Op) -> None:
        applies = op.outcome in ("ok", "lost-done")
        if op.kind == "list":
            records = [{"id": i, "destination_conf": c} for i, c in self.held[op.account].items()]
            op.status, op.content = 200, body(records)
        elif op.kind == "add":
            self.made += 1
            new = f"{self.made:032x}"
            if applies:
                self.held[op.account][new] = op.conf
            op.status, op.content = 200, body({"id": new, "destination_conf": op.conf})
        else:
            present = op.target in self.held[op.account]
            if applies and present:
                del self.held[op.account][op.target]
            op.status = 204 if present else 404
        if op.outcome in ("refused", "throttled"):
            op.status, op.content = (429 if op.outcome == "throttled" else 400), body(None, 400)


OPS = st.builds(
    _Op,
    kind=st.sampled_from(["add", "delete", "list", "list"]),
    account=st.sampled_from(ACCOUNTS),
    outcome=st.sampled_from(["ok", "ok", "ok", "refused", "throttled", "lost-done", "lost-undone"]),
    conf=st.sampled_from([CONF, OTHER_CONF]),
    pick=st.integers(0, 20),
)


@pytest.mark.slow  # 300 interleavings, each judged against the model: about 6 s
@settings(max_examples=300, deadline=None)
@given(ops=st.lists(OPS, min_size=1, max_size=10), data=st.data())
def test_a_faithful_server_is_never_judged_wrong_in_any_interleaving(ops: list[_Op], data: st.DataObject) -> None:
    server, model = _Server(), AccountModel()
    server.held[ACCOUNTS[0]][BASELINE_ID] = OTHER_CONF  # there before the run
    judge = Judge(None, Ledger(api.OPERATIONS, []), LaneSettings(BASE), shared=Shared(model=model))
    for account in ACCOUNTS:  # the preflight: one list of each account before anything is written
        first = _Op("list", account, "ok")
        first.ticket = model.sending("GET", url(account))
        server.do(first)
        model.answered(first.ticket, first.status, first.content)
    pending = list(ops)
    while pending:
        op = data.draw(st.sampled_from(pending))
        if op.step == 0:  # sent
            op.since = model.clock()
            if op.kind == "add":
                op.ticket = model.sending("POST", url(op.account), json.dumps({"destination_conf": op.conf}))
            elif op.kind == "delete":
                everything = sorted({i for held in server.held.values() for i in held} | {ID})
                op.target = everything[op.pick % len(everything)]
                op.ticket = model.sending("DELETE", url(op.account, op.target))
            else:
                op.ticket = model.sending("GET", url(op.account))
        elif op.step == 1:  # done by the server
            server.do(op)
        else:  # answered (or not), then judged as the lifecycle judges it
            status = None if op.outcome.startswith("lost") else op.status
            model.answered(op.ticket, status, op.content if status is not None else b"")
            if op.kind == "list" and status == 200:
                listing = Exchange(api.LIST, "GET", url(op.account), status, op.content)
                judge.judge_shown(listing, op.account, op.since, trail=())
                must = model.expect_listed(op.account, op.since).must_show
                assert must <= listing.result_ids(), (must, listing.result_ids())
            pending.remove(op)
        op.step += 1
    assert judge.ledger.failures() == []


# --- what a defect does, the model names -----------------------------------------------------------------------


def _judged(model: AccountModel, listing: Exchange, since: int) -> set[str]:
    judge = Judge(None, Ledger(api.OPERATIONS, []), LaneSettings(BASE), shared=Shared(model=model))
    judge.judge_shown(listing, ACCOUNTS[0], since, trail=())
    return {failure.check for failure in judge.ledger.failures()}


def test_a_refused_add_that_stored_its_record_is_named_by_failed_write_changes_nothing() -> None:
    model = AccountModel()
    baseline(model)
    add(model, CONF, 429)
    since = model.clock()
    assert _judged(model, shown((ID, CONF)), since) == {"failed_write_changes_nothing"}


def test_a_record_injected_after_the_first_list_is_named_by_shown_ownership_was_created() -> None:
    model = AccountModel()
    baseline(model, BASELINE_ID)
    since = model.clock()
    assert _judged(model, shown((BASELINE_ID, OTHER_CONF)), since) == set()
    assert _judged(model, shown((BASELINE_ID, OTHER_CONF), ("demo", CONF)), since) == {"shown_ownership_was_created"}


def test_a_record_deleted_before_the_list_was_sent_is_named_by_deleted_ownership_is_not_listed() -> None:
    model = AccountModel()
    baseline(model)
    add(model, CONF, 200)
    delete(model, ID, 204)
    since = model.clock()
    assert _judged(model, shown((ID, CONF)), since) == {"deleted_ownership_is_not_listed"}
    assert _judged(model, shown((ID, CONF), operation=api.VALIDATE), since) == {"deleted_ownership_is_not_listed"}


def test_the_model_is_fed_from_many_threads_at_once() -> None:
    model = AccountModel()
    baseline(model)

    def worker(number: int) -> None:
        for step in range(50):
            add(model, CONF, 200, ownership_id=f"{number:016d}{step:016d}")

    threads = [threading.Thread(target=worker, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(model.judgement(ACCOUNTS[0], model.clock()).must_show) == 200
