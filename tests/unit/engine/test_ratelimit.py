"""The client-side rate limit, Retry-After parsing and the retry policy, on a fake clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from pcaps_contract.engine.ratelimit import RateLimiter, RetryPolicy, Waiter, parse_retry_after


class FakeWaiter(Waiter):
    """A clock that only moves when someone waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        super().__init__(clock=lambda: self.now)

    def wait(self, seconds: float, stop: threading.Event | None) -> bool:
        self.sleeps.append(round(seconds, 6))
        if stop is not None and stop.is_set():
            return False
        self.now += max(0.0, seconds)
        return True


def test_the_limiter_spaces_requests_evenly_at_the_rate() -> None:
    waiter = FakeWaiter()
    limiter = RateLimiter(4, waiter)
    for _ in range(5):
        assert limiter.acquire()
    assert waiter.now == pytest.approx(1.0)  # 5 requests at 4/s: the fifth goes out after one second
    assert waiter.sleeps == [0.0, 0.25, 0.25, 0.25, 0.25]


def test_the_limiter_does_not_let_an_idle_spell_turn_into_a_burst() -> None:
    waiter = FakeWaiter()
    limiter = RateLimiter(2, waiter)
    limiter.acquire()
    waiter.now += 10  # idle
    limiter.acquire()
    limiter.acquire()
    assert waiter.sleeps[-1] == pytest.approx(0.5)


def test_a_stopped_run_gets_no_slot_and_gives_its_slot_back() -> None:
    waiter = FakeWaiter()
    limiter = RateLimiter(1, waiter)
    limiter.acquire()
    stop = threading.Event()
    stop.set()
    assert not limiter.acquire(stop)
    stop.clear()
    assert limiter.acquire(stop)
    assert waiter.now == pytest.approx(1.0)


def test_retry_after_is_read_as_seconds() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0


def test_retry_after_is_read_as_an_http_date() -> None:
    now = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 26 Nov 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Thu, 26 Nov 2026 11:59:00 GMT", now) == 0.0  # a date in the past: retry now


@pytest.mark.parametrize("value", [None, "", "soon", "-3", "1.5e3"])
def test_an_absent_or_invalid_retry_after_is_none(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_the_backoff_doubles_and_stops_at_its_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=3.0)
    assert [policy.backoff(attempt) for attempt in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_a_429_waits_the_announced_retry_after_first_then_backs_off_further() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=30)
    assert policy.after_throttle("2", 1) == 2.0
    assert policy.after_throttle("2", 4) == 4.0  # 2 s was not enough three times: back off more
    assert policy.after_throttle(None, 1) == 0.5  # no Retry-After: exponential backoff


def test_a_429_is_given_up_after_the_retries_or_an_unreasonable_retry_after() -> None:
    policy = RetryPolicy(throttle_retries=2, max_retry_after=60)
    assert policy.after_throttle("1", 3) is None
    assert policy.after_throttle("3600", 1) is None
