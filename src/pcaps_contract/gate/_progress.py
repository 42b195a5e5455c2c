"""What `check`'s progress line shows while it runs: requests sent, in flight, the current rate, cells failed."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from pcaps_contract._progress import Progress, format_seconds

# The current rate is the rate over the last few seconds, not since the start.
RATE_WINDOW = 5.0


@dataclass(frozen=True)
class GateSnapshot:
    elapsed: float
    requests: int
    in_flight: int | None  # None in-process: nothing waits on a network there
    rate: float
    failed: int
    throttled: int


def render(snapshot: GateSnapshot) -> str:
    in_flight = f"  {snapshot.in_flight} in flight" if snapshot.in_flight is not None else ""
    return (
        f"check {format_seconds(snapshot.elapsed)}  {snapshot.requests} requests{in_flight}  "
        f"{snapshot.rate:.1f} req/s  {snapshot.failed} failed  {snapshot.throttled} throttled"
    )


class Ticker:
    """Shows a snapshot on `progress` every `every` seconds, from a thread of its own, until stopped."""

    def __init__(
        self,
        progress: Progress[GateSnapshot],
        counts: Callable[[], tuple[int, int | None, int, int]],
        every: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.progress = progress
        self.counts = counts  # (requests, in flight, cells failed, throttled)
        self.every = every
        self.clock = clock
        self.started = clock()
        self._samples: deque[tuple[float, int]] = deque()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def snapshot(self) -> GateSnapshot:
        now = self.clock()
        requests, in_flight, failed, throttled = self.counts()
        self._samples.append((now, requests))
        while len(self._samples) > 1 and now - self._samples[0][0] > RATE_WINDOW:
            self._samples.popleft()
        since, before = self._samples[0]
        rate = (requests - before) / (now - since) if now > since else 0.0
        return GateSnapshot(now - self.started, requests, in_flight, rate, failed, throttled)

    def _run(self) -> None:
        while not self._done.wait(self.every):
            if not self.progress.tty and self.clock() - self.started < self.progress.interval:
                continue  # off a terminal the first line waits a whole interval: short runs print none
            self.progress.update(self.snapshot())

    def __enter__(self) -> Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(5)
        if self.progress.tty:  # the last state, and the line ended; off a terminal the report says it all
            self.progress.finish(self.snapshot())
