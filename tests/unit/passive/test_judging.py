"""The proxy's judge off the request path: events judged in order on its own thread; a full queue drops, says so
once and forgets the model; a failure on one event neither stops the thread nor the events after it."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest

from pcaps_contract.openapi.spec import Spec
from pcaps_contract.passive.judging import PassiveJudge
from pcaps_contract.passive.off_path import OffPathJudge
from pcaps_contract.passive.traffic import Recorded

URL = "https://api.example.com/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/pcaps/ownership"
LISTED = b'{"success": true, "errors": [], "messages": [], "result": []}'
JSON = (("Content-Type", "application/json"),)


def listing(number: int) -> Recorded:
    return Recorded("GET", URL, (), b"", 200, JSON, LISTED, 1_780_000_000.0 + number, 1_780_000_000.1 + number)


def test_events_are_judged_in_order_and_all_before_close_returns(spec: Spec) -> None:
    judge = PassiveJudge(spec)
    judging = OffPathJudge(judge, log=io.StringIO())
    for number in range(200):
        judging.begin("GET", URL)
        judging.feed(listing(number))
    judging.close()
    assert judge.tally.exchanges == 200 and judge.tally.judged == 200 and judge.tally.dropped == 0


def test_a_judge_behind_the_traffic_drops_says_so_once_and_forgets(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    judge, log, held = PassiveJudge(spec), io.StringIO(), threading.Event()
    original, forgotten = PassiveJudge.feed, []

    def slow(self: PassiveJudge, recorded: Recorded) -> None:
        held.wait(30)
        original(self, recorded)

    monkeypatch.setattr(PassiveJudge, "feed", slow)
    monkeypatch.setattr(PassiveJudge, "forget", lambda self: forgotten.append(True))
    judging = OffPathJudge(judge, log=log, max_events=4)
    for number in range(50):  # the request path never waits, however slow the judge
        judging.feed(listing(number))
    held.set()
    judging.close()
    assert judge.tally.exchanges + judge.tally.dropped == 50 and judge.tally.dropped >= 40
    assert log.getvalue().count("fell behind") == 1 and forgotten
    assert any("not judged: the judge was behind" in note for note in judge.report("t", "proxy").notes)


def test_a_queue_is_bounded_by_the_bytes_it_holds_too(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    judge, held = PassiveJudge(spec), threading.Event()
    original = PassiveJudge.feed
    monkeypatch.setattr(PassiveJudge, "feed", lambda self, recorded: (held.wait(30), original(self, recorded)))
    judging = OffPathJudge(judge, log=io.StringIO(), max_bytes=10 * len(LISTED))
    for number in range(30):
        judging.feed(listing(number))
    held.set()
    judging.close()
    assert judge.tally.dropped >= 15


def test_a_failure_on_one_event_is_counted_and_the_next_ones_judged(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    judge, log = PassiveJudge(spec), io.StringIO()
    original: Any = PassiveJudge._listed
    calls = []

    def fails_first(self: PassiveJudge, scope: Any, seen: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded")
        original(self, scope, seen)

    monkeypatch.setattr(PassiveJudge, "_listed", fails_first)
    judging = OffPathJudge(judge, log=log)
    for number in range(3):
        judging.feed(listing(number))
    judging.close()
    assert (judge.tally.unjudged, judge.tally.judged) == (1, 2)
    assert "could not be judged" in " ".join(judge.report("t", "proxy").notes)


def test_a_recording_that_cannot_be_written_leaves_the_judge_running(spec: Spec) -> None:
    class Full:
        def write(self, recorded: Recorded) -> None:
            raise OSError(28, "No space left on device")

    judge, log = PassiveJudge(spec), io.StringIO()
    judging = OffPathJudge(judge, Full(), log=log)  # type: ignore[arg-type]
    for number in range(3):
        judging.feed(listing(number))
    judging.close()
    assert judge.tally.judged == 3 and log.getvalue().count("could not judge or record an exchange (OSError)") == 3
