"""What `check`'s progress line shows while it runs: the phase, the operation judged last, cases, requests sent,
in flight, the current rate, cells failed."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass

from pcaps_contract._terminal import Segment, plain, spaced
from pcaps_contract.report import Event, Listener, Progress, Progressed, format_seconds

# The current rate is the rate over the last few seconds, not since the start.
RATE_WINDOW = 5.0


@dataclass(frozen=True)
class GateCounts:
    """What the run has counted so far, as `Ticker` reads it."""

    requests: int
    in_flight: int | None  # None in-process: nothing waits on a network there
    failed: int  # cells failed
    throttled: int
    cases: int = 0
    phase: str = ""  # the schemathesis phase of the latest scenario ("" before the first)
    operation: str = ""  # the operation of the latest verdict


@dataclass(frozen=True)
class GateSnapshot:
    elapsed: float
    requests: int
    in_flight: int | None  # None in-process: nothing waits on a network there
    rate: float
    failed: int
    throttled: int
    cases: int = 0
    phase: str = ""
    operation: str = ""


def segments(snapshot: GateSnapshot) -> list[Segment]:
    """The line's pieces, each with its style on a colour terminal: failures red, throttling yellow."""
    pieces: list[Segment] = [(f"check {format_seconds(snapshot.elapsed)}", "bold")]
    if snapshot.phase:
        pieces.append((snapshot.phase, "cyan"))
    if snapshot.operation:
        pieces.append((snapshot.operation, "magenta"))
    if snapshot.cases:
        pieces.append((f"{snapshot.cases} cases", ""))
    pieces.append((f"{snapshot.requests} requests", ""))
    if snapshot.in_flight is not None:
        pieces.append((f"{snapshot.in_flight} in flight", "dim"))
    pieces += [
        (f"{snapshot.rate:.1f} req/s", "blue"),
        (f"{snapshot.failed} failed", "bold red" if snapshot.failed else "green"),
        (f"{snapshot.throttled} throttled", "yellow" if snapshot.throttled else "dim"),
    ]
    return spaced(pieces)


def render(snapshot: GateSnapshot) -> str:
    """The line as plain text (CI logs, a pipe)."""
    return plain(segments(snapshot))


class ProgressLine:
    """`check`'s progress line, a listener of the run's stream: on a terminal each snapshot, and the last one to end
    the line; off a terminal none before a whole interval of the run (a short run prints none), and no last line
    (the report says it all)."""

    def __init__(self, progress: Progress[GateSnapshot]) -> None:
        self.progress = progress

    def __call__(self, event: Event) -> None:
        if not isinstance(event, Progressed) or not isinstance(event.snapshot, GateSnapshot):
            return
        if self.progress.tty:
            self.progress(event)
        elif not event.last and event.snapshot.elapsed >= self.progress.interval:
            self.progress.update(event.snapshot)


class Ticker:
    """Tells `listener` what the run has counted every `every` seconds, from a thread of its own, until stopped;
    the last count when it stops."""

    def __init__(
        self,
        listener: Listener,
        counts: Callable[[], GateCounts],
        every: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.listener = listener
        self.counts = counts
        self.every = every
        self.clock = clock
        self.started = clock()
        self._samples: deque[tuple[float, int]] = deque()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def snapshot(self) -> GateSnapshot:
        now = self.clock()
        counts = self.counts()
        self._samples.append((now, counts.requests))
        while len(self._samples) > 1 and now - self._samples[0][0] > RATE_WINDOW:
            self._samples.popleft()
        since, before = self._samples[0]
        rate = (counts.requests - before) / (now - since) if now > since else 0.0
        return GateSnapshot(elapsed=now - self.started, rate=rate, **asdict(counts))

    def _run(self) -> None:
        while not self._done.wait(self.every):
            self.tick()

    def tick(self) -> None:
        """One beat of the thread: the current counts told to the listener."""
        self._tell()

    def _tell(self, last: bool = False) -> None:
        try:
            snapshot = self.snapshot()
        except Exception:  # counts read while the run changes them: the display skips a beat, the run goes on
            return
        self.listener(Progressed(snapshot, last=last))

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(5)
        self._tell(last=True)
