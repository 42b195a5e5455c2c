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
# Levels of JSON arrays and objects a body or a recorded exchange may nest (no parser recursion beyond this).
DEFAULT_MAX_JSON_DEPTH = 64
# Recorded exchanges `verify` holds to put them in the order they started, and at most in flight at once.
ORDER_WINDOW = 4096
ORDER_WINDOW_BYTES = 64 << 20  # and the bytes of their bodies
# The most text one recorded exchange (a HAR entry, a line of a proxy recording) may take, and the longest it may last.
MAX_RECORDED_EXCHANGE_BYTES = 16 << 20
MAX_EXCHANGE_SECONDS = 86_400.0
# The largest request body `proxy` forwards (streamed, never held whole; a larger one is answered 413).
MAX_PROXIED_REQUEST_BYTES = 16 << 20
# What may wait for the proxy's judge: events, and bytes of bodies; beyond either, an exchange is not judged.
JUDGE_QUEUE_EVENTS = 4096
JUDGE_QUEUE_BYTES = 64 << 20
# Ownership ids the passive judge remembers per API; beyond, the ones shown least recently are forgotten.
MAX_TRACKED_IDS = 50_000
# APIs (origin and base path) it keeps a model of; beyond, the one seen first is forgotten.
MAX_TRACKED_SCOPES = 64
# A spec document (a file, or a file at a git revision): its bytes, how deep it nests, and how many nodes it
# holds once every YAML alias is expanded (the bundled spec: 20 KB, 13 deep, about 1,000 nodes).
MAX_SPEC_BYTES = 2 << 20
MAX_SPEC_DEPTH = 64
MAX_SPEC_NODES = 200_000

# What one client may hold of a server of ours (`mock`, `proxy`): seconds to send a request's head (request line
# and headers) once it connects or its last answer ends, and its body after that; the bytes of that head (more:
# 431); the connections open at once (at most half the process's open-file limit, so that sockets never run out).
HEAD_SECONDS = 10.0
BODY_SECONDS = 60.0
MAX_HEAD_BYTES = 64 * 1024
MAX_CONNECTIONS = 1000
MIN_CONNECTIONS = 16
# Seconds after an add within which its challenge file must appear in `--bucket` (a run waits this once at most).
DEFAULT_CHALLENGE_WAIT = 60.0
# Seconds a validation with the delivered challenge may stay `pending` (the real API may take minutes to verify)
# before its outcome is named not judged (a run waits this once at most).
DEFAULT_VALIDATION_WAIT = 60.0


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
