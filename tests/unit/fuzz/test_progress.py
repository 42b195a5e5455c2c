"""The progress line: rewritten in place on a terminal, plain lines every few seconds otherwise; and the event log."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pcaps_contract.fuzz.progress import Snapshot, render
from pcaps_contract.report.eventlog import EventLog
from pcaps_contract.report.progress import Progress
from tests.clock import Clock

SNAPSHOT = Snapshot(cases=120, findings=3, new_findings=1, requests=130, throttled=4, elapsed=65.0, left=535.0)


def test_on_a_terminal_the_line_is_rewritten_in_place_and_ends_with_a_newline() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, render, tty=True, clock=clock)
    progress.update(SNAPSHOT)
    clock.now += 1
    progress.update(SNAPSHOT)
    progress.finish(SNAPSHOT)
    text = stream.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1
    assert "cases 120" in text and "findings 3 (1 new)" in text and "2.0 req/s" in text and "8m55s left" in text


def test_without_a_terminal_plain_lines_come_at_most_every_interval() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, render, interval=10, clock=clock)
    assert not progress.tty
    for _ in range(5):
        progress.update(SNAPSHOT)
        clock.now += 3
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()  # at 0 s and at 12 s


def test_a_budget_of_examples_shows_no_time_left() -> None:
    stream = io.StringIO()
    Progress(stream, render).finish(Snapshot(1, 0, 0, 1, 0, 1.0, None))
    assert "budget: examples" in stream.getvalue()


def test_events_are_one_json_object_a_line_with_secrets_replaced(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    log = EventLog(path, lambda text: text.replace("s3cret", "$CLOUDFLARE_API_TOKEN"), clock=Clock())
    log.emit("case", operation="add_bucket", status=200)
    log.emit("finding", received="echoed s3cret")
    log.close()
    log.emit("late", dropped=True)  # after close: ignored, never a crash
    events = [json.loads(line) for line in path.read_text().splitlines()]
    assert [event["event"] for event in events] == ["case", "finding"]
    assert events[1]["received"] == "echoed $CLOUDFLARE_API_TOKEN" and events[0]["t"] == 0
