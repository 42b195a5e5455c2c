"""The validation flow's parts: the bounded wait for a `pending` validation, the settled record in a list, and the
served mock's challenge route read only where the mock advertises it."""

from __future__ import annotations

import json
import math
import threading
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract.engine.challenges import advertises_challenges
from pcaps_contract.judge.checks import Exchange
from pcaps_contract.judge.validation import (
    FIRST_PAUSE,
    LONGEST_PAUSE,
    Settling,
    is_pending,
    narrowed,
    pauses,
    settled_record,
)
from pcaps_contract.mock._app import CHALLENGE_HEADER, CHALLENGE_ROUTE
from pcaps_contract.openapi import api

OWNERSHIP = "9883874ecac311ec8475433579a6bf5f"


def _record(ownership_id: str = OWNERSHIP, status: str = "pending") -> dict[str, Any]:
    return {"id": ownership_id, "destination_conf": "s3://pcaps-a", "status": status, "validated": ""}


def _answer(operation: str, result: Any, status: int = 200) -> Exchange:
    envelope = {"success": 200 <= status < 300, "errors": [], "messages": [], "result": result}
    return Exchange(operation, "GET", "http://127.0.0.1/x", status, json.dumps(envelope).encode())


@given(wait=st.floats(min_value=0, max_value=86_400, allow_nan=False, allow_infinity=False))
def test_the_wait_for_a_pending_validation_never_exceeds_its_bound(wait: float) -> None:
    """A server that keeps answering `pending` is looked at a bounded number of times within the wait."""
    steps = list(pauses(wait))
    assert math.fsum(steps) <= wait * (1 + 1e-9)
    assert all(0 < step <= LONGEST_PAUSE for step in steps)
    # 1, 2, 4, 8, then 10 s at a time: at most four looks plus one every 10 s, plus a last shorter one.
    assert len(steps) <= 5 + wait / LONGEST_PAUSE
    if wait > 0:
        assert steps[0] == min(FIRST_PAUSE, wait) and math.isclose(math.fsum(steps), wait, rel_tol=1e-9)


def test_the_pauses_double_up_to_ten_seconds() -> None:
    assert list(pauses(60)) == [1, 2, 4, 8, 10, 10, 10, 10, 5]
    assert list(pauses(0)) == []


def test_once_a_validation_settled_or_never_did_the_run_does_not_wait_again() -> None:
    settling = Settling(30.0)
    assert settling.waits and next(settling.pauses()) == FIRST_PAUSE and settling.unsettled is None
    settling.never_settled()
    assert not settling.waits
    assert settling.unsettled is not None and "30s (--validation-wait)" in settling.unsettled
    settled = Settling(30.0)
    settled.settled = True
    assert not settled.waits and settled.unsettled is None


def test_a_wait_ends_at_once_when_the_run_stops() -> None:
    stop = threading.Event()
    stop.set()
    assert Settling(60.0, stop.wait).pause(LONGEST_PAUSE) is True
    assert Settling(60.0, threading.Event().wait).pause(0.0) is False


def test_only_a_200_showing_pending_is_a_pending_validation() -> None:
    assert is_pending(_answer(api.VALIDATE, _record()))
    assert not is_pending(_answer(api.VALIDATE, _record(status="success")))
    assert not is_pending(_answer(api.VALIDATE, None, status=404))


def test_a_list_shows_the_record_settled_only_once_its_status_is_success_or_failed() -> None:
    other = "a" * 32
    listing = _answer(api.LIST, [_record(other, "success"), _record(status="pending")])
    assert settled_record(listing, OWNERSHIP) is None
    settled = _answer(api.LIST, [_record(other, "pending"), _record(status="failed")])
    assert settled_record(settled, OWNERSHIP) == _record(status="failed")
    assert settled_record(settled, "b" * 32) is None


def test_a_narrowed_list_keeps_its_envelope_and_only_the_records_kept() -> None:
    listing = _answer(api.LIST, [_record("a" * 32), _record(), "not a record"])
    view = narrowed(listing, lambda shown: shown.get("id") == OWNERSHIP)
    assert [shown["id"] for shown in view.ownerships()] == [OWNERSHIP]
    assert (
        view.status == 200
        and view.operation_id == api.LIST
        and view.envelope == {**(listing.envelope or {}), "result": [_record()]}
    )
    unreadable = Exchange(api.LIST, "GET", "u", 200, b"<html>")
    assert narrowed(unreadable, lambda shown: True) is unreadable


@given(value=st.text(max_size=120))
def test_only_the_mock_s_own_route_is_taken_for_its_advertisement(value: str) -> None:
    """Whatever a server writes in the header, the run reads challenges at the mock's route or nowhere."""
    assert advertises_challenges({CHALLENGE_HEADER: value}) is (value == CHALLENGE_ROUTE)
    assert advertises_challenges({"x-other": value}) is False


def test_the_mock_s_advertisement_is_read_in_the_headers_of_either_client() -> None:
    import httpx
    from requests.structures import CaseInsensitiveDict

    assert advertises_challenges(httpx.Headers({CHALLENGE_HEADER.upper(): CHALLENGE_ROUTE}))
    assert advertises_challenges(CaseInsensitiveDict({"X-Pcaps-Mock-Challenges": CHALLENGE_ROUTE}))
