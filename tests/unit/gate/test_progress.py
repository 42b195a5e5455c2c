"""`check`'s progress line: requests, requests in flight and the rate over the last seconds, not since the start."""

from __future__ import annotations

import io
import threading

from pcaps_contract.gate.progress import GateCounts, GateSnapshot, ProgressLine, Ticker, render
from pcaps_contract.report.progress import Progress
from tests.clock import Clock


def test_the_line_shows_requests_in_flight_and_the_rate() -> None:
    line = render(GateSnapshot(elapsed=75, requests=412, in_flight=6, rate=31.24, failed=2, throttled=3))
    assert line == "check 1m15s  412 requests  6 in flight  31.2 req/s  2 failed  3 throttled"
    assert "in flight" not in render(GateSnapshot(1, 5, None, 0.0, 0, 0))  # in-process: nothing in flight


def test_the_rate_is_the_rate_of_the_last_seconds() -> None:
    clock = Clock()
    sent = [0]
    ticker = Ticker(ProgressLine(Progress(io.StringIO(), render)), lambda: GateCounts(sent[0], 0, 0, 0), clock=clock)
    for _ in range(10):  # 10 requests/s for 10 s
        clock.now += 1
        sent[0] += 10
        ticker.snapshot()
    for _ in range(10):  # then 1 request/s for 10 s
        clock.now += 1
        sent[0] += 1
        last = ticker.snapshot()
    assert abs(last.rate - 1.0) < 1e-9  # since the start it would be 5.5/s
    assert last.elapsed == 20 and last.requests == 110


def test_a_terminal_gets_a_live_line_and_a_clean_end() -> None:
    stream = io.StringIO()
    progress = Progress(stream, render, tty=True)
    with Ticker(ProgressLine(progress), lambda: GateCounts(7, 2, 0, 0), every=3600) as ticker:
        ticker.tick()
        assert stream.getvalue().startswith("\rcheck") and "\n" not in stream.getvalue()  # live: one line, redrawn
    assert stream.getvalue().startswith("\r") and stream.getvalue().endswith("\n")
    assert "7 requests  2 in flight" in stream.getvalue()


def test_off_a_terminal_the_first_line_waits_a_whole_interval() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(stream, render, interval=30.0, tty=False, clock=clock)
    ticker = Ticker(ProgressLine(progress), lambda: GateCounts(7, 2, 0, 0), clock=clock)
    clock.now += 29.9
    ticker.tick()
    assert stream.getvalue() == ""  # a short run prints nothing
    clock.now += 1.1
    ticker.tick()
    assert stream.getvalue() == "check 0m31s  7 requests  2 in flight  0.0 req/s  0 failed  0 throttled\n"


def test_the_thread_ticks_while_the_run_goes_on() -> None:
    read = threading.Event()

    def counts() -> GateCounts:
        read.set()
        return GateCounts(7, 2, 0, 0)

    progress = Progress(io.StringIO(), render, tty=True)
    with Ticker(ProgressLine(progress), counts, every=0.01):
        # An event, not a sleep: however loaded the machine, the test waits for the first beat and no longer.
        assert read.wait(60)
