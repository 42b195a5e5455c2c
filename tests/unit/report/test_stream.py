"""One stream of a run's events, one shape of listener: every output is a listener, each fed every event in order."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract.engine.targets import MOCK_ACCOUNTS
from pcaps_contract.gate.options import resolve_options
from pcaps_contract.gate.progress import GateSnapshot, ProgressLine, render
from pcaps_contract.gate.run import run_gate
from pcaps_contract.judge.ledger import Failure, Ledger
from pcaps_contract.mock import DEV_TOKEN
from pcaps_contract.report.eventlog import EventLog
from pcaps_contract.report.folder import RunEvents
from pcaps_contract.report.progress import Progress
from pcaps_contract.report.run_report import RunReport
from pcaps_contract.report.stream import (
    Event,
    FailureFound,
    Noted,
    Progressed,
    RunFinished,
    RunStarted,
    fan_out,
)

CREDENTIALS = Credentials(token="stream-token-0123456789")


def _report() -> RunReport:
    return RunReport("http://127.0.0.1:9/client/v4", 1, "quick", Ledger(["add_bucket"], ["x_y"]), CREDENTIALS)


def _snapshot(elapsed: float) -> GateSnapshot:
    return GateSnapshot(elapsed=elapsed, requests=3, in_flight=1, rate=1.0, failed=0, throttled=0)


_FAILURE = Failure("add_bucket", "x_y", "short", "long")
_EVENTS = st.one_of(
    st.builds(RunStarted, st.just(_report())),
    st.builds(FailureFound, st.just(_FAILURE)),
    st.builds(Progressed, st.floats(0, 1e6).map(_snapshot), st.booleans()),
    st.builds(Noted, st.sampled_from(["case", "created"]), st.just({"status": 200})),
    st.builds(RunFinished, st.just(_report())),
)


class _Kept:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)


@settings(max_examples=60, deadline=None)
@given(events=st.lists(_EVENTS, max_size=30), gaps=st.lists(st.booleans(), min_size=1, max_size=4))
def test_each_listener_is_told_every_event_in_the_order_it_happened(events: list[Event], gaps: list[bool]) -> None:
    kept = [_Kept() for _ in gaps]
    listener = fan_out(*(None if gap else keeper for gap, keeper in zip(gaps, kept, strict=True)))
    for event in events:
        listener(event)
    for gap, keeper in zip(gaps, kept, strict=True):
        assert keeper.events == ([] if gap else events)


class _Lines(EventLog):
    """An event log that keeps the names of the lines it would write."""

    def __init__(self) -> None:
        super().__init__(None, str)
        self.names: list[str] = []

    def emit(self, event: str, **data: object) -> None:
        self.names.append(event)


@settings(max_examples=60, deadline=None)
@given(events=st.lists(_EVENTS, max_size=30))
def test_each_output_takes_from_the_stream_only_the_events_it_shows(events: list[Event]) -> None:
    log, stream = _Lines(), io.StringIO()
    progress = Progress(stream, render, interval=0.0, tty=False)
    for event in events:
        log(event)
        progress(event)
    assert log.names == [event.name for event in events if isinstance(event, Noted)]
    assert len(stream.getvalue().splitlines()) == sum(isinstance(event, Progressed) for event in events)


def test_the_event_file_holds_the_start_the_failures_and_the_end_and_ignores_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    report = _report()
    events = RunEvents(path, CREDENTIALS.redact)
    for event in (
        RunStarted(report),
        Progressed(_snapshot(1.0)),
        Noted("case", {"status": 200}),
        FailureFound(_FAILURE),
        RunFinished(report),
    ):
        events(event)
    names = [json.loads(line)["event"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert names == ["run_started", "failure", "run_finished"]


def test_off_a_terminal_the_progress_line_waits_a_whole_interval_and_leaves_the_end_to_the_report() -> None:
    stream = io.StringIO()
    line = ProgressLine(Progress(stream, render, interval=30.0, tty=False))
    line(Progressed(_snapshot(29.0)))
    line(Progressed(_snapshot(29.5), last=True))
    assert stream.getvalue() == ""
    line(Progressed(_snapshot(31.0)))
    line(Progressed(_snapshot(40.0), last=True))
    assert stream.getvalue() == render(_snapshot(31.0)) + "\n"


def test_on_a_terminal_the_last_count_ends_the_line() -> None:
    stream = io.StringIO()
    line = ProgressLine(Progress(stream, render, tty=True))
    line(Progressed(_snapshot(0.1)))
    line(Progressed(_snapshot(0.2), last=True))
    text = stream.getvalue()
    assert text.startswith("\r") and text.endswith("\n") and text.count("check 0m00s") == 2


def test_a_gate_run_tells_one_listener_its_start_each_failure_and_its_counts() -> None:
    options = resolve_options(
        app="tests.gallery.broken:success_false_on_200",
        token=DEV_TOKEN,
        accounts=list(MOCK_ACCOUNTS),
        seed=1,
        max_examples=2,
        environ={},
    )
    kept = _Kept()
    report = run_gate(replace(options, lifecycle=False), listener=kept)
    assert kept.events[0] == RunStarted(report)
    found = [event.failure for event in kept.events if isinstance(event, FailureFound)]
    assert found and len(found) == sum(cell.failed for cell in report.ledger.cells.values())
    assert all(failure in found for failure in report.ledger.failures())
    progressed = [event for event in kept.events if isinstance(event, Progressed)]
    assert progressed and progressed[-1].last and not any(event.last for event in progressed[:-1])
    assert not any(isinstance(event, RunFinished) for event in kept.events)  # the door tells the end
