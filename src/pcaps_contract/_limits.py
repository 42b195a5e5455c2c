"""The bounds every run keeps, whatever the server does: one source for the sender, the cleanup and the flags."""

from __future__ import annotations

import time
from collections.abc import Callable

# The largest answer body judged, after decompression; and the least a user may set (every envelope fits).
DEFAULT_MAX_RESPONSE_BYTES = 1 << 20
MIN_RESPONSE_BYTES = 1024
# Seconds one whole answer (connect, headers and body) may take.
DEFAULT_TIMEOUT = 30.0
# Seconds a gate run may send for, before its cleanup.
DEFAULT_MAX_TIME = 900.0
# Seconds the cleanup has of its own, after the run's budget, a crash, Ctrl-C or SIGTERM.
CLEANUP_TIME_LIMIT = 120.0


class Budget:
    """What is left of a run's time, for a wait to be weighed against before it starts.

    `name` says which bound it is in a sentence (`--max-time 60s`, `--duration 15s`, `the cleanup's 120s`);
    `seconds` is the whole of it; `left()` is the seconds still to spend, never below 0.
    """

    def __init__(self, name: str, seconds: float, left: Callable[[], float]) -> None:
        self.name = name
        self.seconds = seconds
        self._left = left

    @classmethod
    def until(cls, name: str, seconds: float, clock: Callable[[], float] = time.monotonic) -> Budget:
        """A budget of `seconds` from now on `clock`."""
        end = clock() + seconds
        return cls(name, seconds, lambda: end - clock())

    def left(self) -> float:
        return max(0.0, self._left())

    def cannot_afford(self, wait: float) -> bool:
        """Whether a wait of `wait` seconds would outlast the budget while much of it is left.

        In the budget's last twentieth (at least its last second) a run is ending by its budget anyway: a wait then
        is cut short by the end, as it always was, and the run ends as spent, not as throttled.
        """
        left = self.left()
        return wait > left and left >= max(1.0, self.seconds / 20)


def cleanup_budget(seconds: float = CLEANUP_TIME_LIMIT) -> Budget:
    """The cleanup's own time, from now: what a Retry-After during the cleanup is weighed against."""
    return Budget.until(f"the cleanup's {seconds:g}s", seconds)
