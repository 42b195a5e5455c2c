"""The one sender of a fuzz run: rate limit, 429 with Retry-After, bounded retries of transport errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from pcaps_contract._ratelimit import RateLimiter, RetryPolicy
from pcaps_contract._sender import Cancelled, PoliteAdapter, SendStats, Throttled, polite_session
from tests.unit.test_ratelimit import FakeWaiter

URL = "http://127.0.0.1:9/client/v4/accounts/a/pcaps/ownership"


def answer(status: int, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    response._content = b"{}"
    response._content_consumed = True
    return response


class Script:
    """Stands in for the network: hands out the scripted answers (or raises the scripted errors) in order."""

    def __init__(self, *steps: requests.Response | Exception) -> None:
        self.steps: Iterator[requests.Response | Exception] = iter(steps)
        self.calls = 0

    def __call__(self, adapter: Any, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        step = next(self.steps)
        if isinstance(step, Exception):
            raise step
        step.request = request
        return step


def session_with(
    monkeypatch: pytest.MonkeyPatch, script: Script, policy: RetryPolicy | None = None, rate: float = 10
) -> tuple[requests.Session, FakeWaiter, SendStats, list[tuple[str, dict[str, Any]]]]:
    monkeypatch.setattr(HTTPAdapter, "send", script)
    waiter = FakeWaiter()
    stats = SendStats()
    events: list[tuple[str, dict[str, Any]]] = []
    adapter = PoliteAdapter(
        RateLimiter(rate, waiter),
        policy or RetryPolicy(),
        stats,
        on_event=lambda kind, **data: events.append((kind, data)),
    )
    return polite_session(adapter, {"Authorization": "Bearer t"}), waiter, stats, events


def test_a_429_is_retried_after_its_retry_after_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(answer(429, **{"Retry-After": "3"}), answer(200))
    session, waiter, stats, events = session_with(monkeypatch, script)
    assert session.get(URL).status_code == 200
    assert script.calls == 2 and stats["throttled"] == 1
    assert 3.0 in waiter.sleeps and waiter.now >= 3.0
    assert events[0][0] == "throttled" and events[0][1]["retry_after"] == "3"


def test_a_429_with_an_http_date_waits_until_that_date(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    script = Script(answer(429, **{"Retry-After": when}), answer(204))
    session, waiter, _, _ = session_with(monkeypatch, script)
    assert session.delete(URL).status_code == 204
    assert any(18 <= sleep <= 21 for sleep in waiter.sleeps)


def test_a_429_without_retry_after_backs_off_exponentially(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(answer(429), answer(429), answer(429), answer(200))
    session, waiter, stats, _ = session_with(monkeypatch, script, RetryPolicy(backoff_base=1, backoff_cap=3))
    assert session.get(URL).status_code == 200
    assert [sleep for sleep in waiter.sleeps if sleep >= 1] == [1.0, 2.0, 3.0]
    assert stats["throttled"] == 3


def test_a_429_that_outlasts_the_retries_is_raised_as_throttled_never_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(*(answer(429, **{"Retry-After": "1"}) for _ in range(3)))
    session, _, stats, events = session_with(monkeypatch, script, RetryPolicy(throttle_retries=2))
    with pytest.raises(Throttled) as raised:
        session.get(URL)
    assert raised.value.response is not None and raised.value.response.status_code == 429
    assert script.calls == 3 and stats["throttle_gave_up"] == 1
    assert events[-1][0] == "throttle_gave_up"


def test_a_timeout_is_retried_and_a_later_answer_is_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(requests.ReadTimeout("slow"), requests.ConnectionError("reset"), answer(200))
    session, waiter, stats, _ = session_with(monkeypatch, script, RetryPolicy(backoff_base=0.5))
    assert session.get(URL).status_code == 200
    assert stats["transport_errors"] == 2 and 0.5 in waiter.sleeps and 1.0 in waiter.sleeps


def test_transport_errors_are_raised_after_a_bounded_number_of_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(*(requests.ConnectTimeout("down") for _ in range(3)), answer(200))
    session, _, stats, events = session_with(monkeypatch, script, RetryPolicy(transport_retries=2))
    with pytest.raises(requests.ConnectTimeout):
        session.get(URL)
    assert script.calls == 3 and stats["transport_gave_up"] == 1
    assert events[-1][0] == "transport_gave_up"


def test_every_request_and_retry_waits_for_the_rate_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(answer(429, **{"Retry-After": "0"}), answer(200), answer(200))
    session, waiter, stats, _ = session_with(monkeypatch, script, rate=2)
    session.get(URL)
    session.get(URL)
    assert stats["requests"] == 3
    assert waiter.now == pytest.approx(1.0)  # three sends at 2/s: 0, 0.5 and 1.0 s


def test_a_stopped_run_sends_nothing_more(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script()
    monkeypatch.setattr(HTTPAdapter, "send", script)
    stop = threading.Event()
    stop.set()
    adapter = PoliteAdapter(RateLimiter(10, FakeWaiter()), RetryPolicy(), SendStats(), stop)
    with pytest.raises(Cancelled):
        polite_session(adapter).get(URL)
    assert script.calls == 0


def test_the_session_ignores_proxies_and_credentials_from_the_environment() -> None:
    session = polite_session(PoliteAdapter(RateLimiter(1), RetryPolicy(), SendStats()))
    assert session.trust_env is False


def test_the_runs_timeout_applies_whatever_timeout_the_caller_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def record(adapter: Any, request: Any, stream: Any, timeout: Any, *args: Any) -> requests.Response:
        seen.append(timeout)
        response = answer(200)
        response.request = request
        return response

    monkeypatch.setattr(HTTPAdapter, "send", record)
    adapter = PoliteAdapter(RateLimiter(10, FakeWaiter()), RetryPolicy(timeout=2.5), SendStats())
    polite_session(adapter).get(URL, timeout=60)
    assert seen == [(2.5, 2.5)]  # (connect, read); the whole answer must also arrive within 2.5 s


def test_the_time_an_answer_took_is_its_own_attempt_without_the_waits_before_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from types import SimpleNamespace

    from pcaps_contract import _sender as sender
    from pcaps_contract._sender import last_answer_seconds

    now = [100.0]

    class Slow(Script):
        """Each answer takes its scripted seconds on the sender's clock."""

        def __init__(self, *steps: tuple[float, requests.Response]) -> None:
            super().__init__(*(step for _, step in steps))
            self.seconds = iter(seconds for seconds, _ in steps)

        def __call__(self, adapter: Any, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
            now[0] += next(self.seconds)
            return super().__call__(adapter, request, *args, **kwargs)

    monkeypatch.setattr(sender, "time", SimpleNamespace(monotonic=lambda: now[0]))
    script = Slow((2.0, answer(429, **{"Retry-After": "3"})), (0.25, answer(200)))
    session, waiter, _, _ = session_with(monkeypatch, script)
    assert session.get(URL).status_code == 200
    assert last_answer_seconds() == 0.25 and 3.0 in waiter.sleeps  # not the 429's 2 s, not the 3 s wait
    failing = Script(requests.ConnectionError("refused"), requests.ConnectionError("refused"))
    session, _, _, _ = session_with(monkeypatch, failing, RetryPolicy(transport_retries=1))
    with pytest.raises(requests.ConnectionError):
        session.get(URL)
    assert last_answer_seconds() is None  # a request that got no answer has no time
