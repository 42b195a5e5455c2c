"""Politeness towards the target: a client-side rate limit, Retry-After parsing and a bounded backoff policy."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pcaps_contract._errors import UsageError

Clock = Callable[[], float]
_RATE = re.compile(r"(?P<count>\d+(?:\.\d+)?)\s*/\s*(?P<unit>s|sec|second|m|min|minute|h|hour)")
_UNIT_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
MAX_RATE = 1000.0


@dataclass(frozen=True)
class Rate:
    """At most `count` requests every `per` seconds."""

    count: float
    per: float
    text: str

    @property
    def per_second(self) -> float:
        return self.count / self.per


def parse_rate(text: str) -> Rate:
    """A rate such as `20/s`, `300/min` or `1000/h`."""
    match = _RATE.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(f"--rate-limit {text!r} is not a rate; write e.g. 20/s, 300/min or 1000/h.")
    count, per = float(match["count"]), float(_UNIT_SECONDS[match["unit"]])
    if not 0 < count / per <= MAX_RATE:
        raise UsageError(f"--rate-limit {text!r} must be more than 0 and at most {MAX_RATE:g} requests per second.")
    return Rate(count, per, text.strip())


class Waiter:
    """Sleeps that a stop event can cut short; tests swap in a fake clock."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock

    def wait(self, seconds: float, stop: threading.Event | None) -> bool:
        """Sleep; False when `stop` was set before the time was up."""
        if seconds <= 0:
            return not (stop is not None and stop.is_set())
        if stop is None:
            time.sleep(seconds)
            return True
        return not stop.wait(seconds)


class RateLimiter:
    """Spaces requests evenly: at most `per_second` of them, with no bursts, across every thread of a run."""

    def __init__(self, per_second: float, waiter: Waiter | None = None) -> None:
        self.interval = 1.0 / per_second
        self.waiter = waiter or Waiter()
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for this request's slot; False when `stop` was set first (the slot is then given back)."""
        with self._lock:
            now = self.waiter.clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if self.waiter.wait(slot - now, stop):
            return True
        with self._lock:
            self._next = max(self._next - self.interval, self.waiter.clock())
        return False


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or an HTTP-date), None when absent or invalid."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry.

    Args:
        throttle_retries: resends after a 429 before the 429 is kept (counted, never a finding).
        transport_retries: resends after a timeout or a connection error before it is recorded.
        backoff_base: the first backoff in seconds; it doubles with each retry.
        backoff_cap: the longest backoff in seconds.
        max_retry_after: the longest `Retry-After` honoured; a longer one ends the retries of that request.
        timeout: seconds to wait for one response.
    """

    throttle_retries: int = 6
    transport_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 300.0
    timeout: float = 30.0

    def backoff(self, attempt: int) -> float:
        """The exponential backoff before retry number `attempt` (1, 2, ...), capped."""
        return float(min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))

    def after_throttle(self, retry_after: str | None, attempt: int, now: datetime | None = None) -> float | None:
        """Seconds to wait after the `attempt`-th 429 in a row; None means give up on this request."""
        if attempt > self.throttle_retries:
            return None
        announced = parse_retry_after(retry_after, now)
        if announced is None:
            return self.backoff(attempt)
        if announced > self.max_retry_after:
            return None
        # The server's delay is a minimum; after repeated 429s back off further, as its delay was not enough.
        return max(announced, self.backoff(attempt) if attempt > 1 else 0.0)
