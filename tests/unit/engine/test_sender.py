"""The one sender of a run: rate limit, 429 with Retry-After, bounded retries of transport errors, the halt."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from requests.adapters import HTTPAdapter

from pcaps_contract._limits import Budget
from pcaps_contract.engine.ratelimit import RateLimiter, RetryPolicy
from pcaps_contract.engine.sender import (
    AnyOf,
    Cancelled,
    Halt,
    Halted,
    PoliteAdapter,
    SendStats,
    TargetStoppedAnswering,
    Throttled,
    ThrottledBeyondBudget,
    polite_session,
    went_unanswered,
    window_of,
)
from tests.unit.engine.test_ratelimit import FakeWaiter

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

    from pcaps_contract.engine import sender
    from pcaps_contract.engine.sender import last_answer_seconds

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


# --- the halt: a target that stopped answering, a Retry-After the budget cannot afford -------------------------


def test_two_requests_without_an_answer_over_two_timeouts_halt_the_run_with_one_sentence() -> None:
    clock = FakeWaiter()  # a clock the test moves by hand
    halt = Halt(timeout=2, clock=clock.clock)
    for _ in range(3):
        halt.answered()
    clock.now = 1.0
    halt.unanswered(sent=0.5)
    clock.now = 3.0
    halt.unanswered(sent=1.2)  # two in a row, 2.5 s of silence: less than 2 x 2 s
    assert halt.error is None and not halt.event.is_set()
    clock.now = 4.5
    halt.unanswered(sent=2.6)
    assert isinstance(halt.error, TargetStoppedAnswering) and halt.event.is_set()
    assert str(halt.error) == (
        "the target stopped answering after answering 3 request(s): 3 request(s) in a row got no answer in 4 s"
    )


def test_a_target_that_never_answered_is_said_to_have_never_answered() -> None:
    clock = FakeWaiter()
    halt = Halt(timeout=1, clock=clock.clock)
    for sent in (0.0, 1.5):
        clock.now = sent + 1
        halt.unanswered(sent=sent)
    assert str(halt.error) == "the target never answered: 2 request(s) in a row got no answer in 2 s"


def test_an_answer_from_any_worker_resets_the_silence() -> None:
    clock = FakeWaiter()
    halt = Halt(timeout=1, clock=clock.clock)
    clock.now = 1.0
    halt.unanswered(sent=0.0)
    clock.now = 1.9
    halt.answered()
    clock.now = 2.5
    halt.unanswered(sent=0.5)  # sent before the answer: the silence starts at the answer, not at its send
    assert halt.error is None
    clock.now = 3.95
    halt.unanswered(sent=2.6)  # 2.05 s since the answer, two in a row
    assert isinstance(halt.error, TargetStoppedAnswering)


Event = tuple[str, float]  # ("answer", at) or ("lost", sent): a request's outcome, in the order outcomes arrive


@st.composite
def timelines(draw: st.DrawFn) -> list[tuple[float, Event]]:
    """Outcomes at increasing instants; each lost request was sent at most one timeout (1 s) before it failed."""
    now, timeline = 0.0, []
    for _ in range(draw(st.integers(0, 30))):
        now += draw(st.floats(0, 1.5, allow_nan=False))
        if draw(st.booleans()):
            timeline.append((now, ("answer", now)))
        else:
            timeline.append((now, ("lost", now - draw(st.floats(0, 1, allow_nan=False)))))
    return timeline


@given(timelines())
def test_the_run_halts_exactly_when_a_model_of_the_rule_says_so(timeline: list[tuple[float, Event]]) -> None:
    """The rule, written out once more as plainly as it reads: since the last answer, at least two requests got no
    answer and 2 x timeout passed since the earliest of them was sent (never counted from before that answer)."""
    clock = FakeWaiter()
    halt = Halt(timeout=1, clock=clock.clock)
    expected_at = None
    last_answer, lost = float("-inf"), list[float]()
    for now, (kind, at) in timeline:
        clock.now = now
        if kind == "answer":
            halt.answered()
            last_answer, lost = now, []
            continue
        halt.unanswered(sent=at)
        lost.append(max(at, last_answer))
        if expected_at is None and len(lost) >= 2 and now - min(lost) >= 2:
            expected_at = now
        assert halt.event.is_set() == (expected_at is not None), (now, lost)


def test_a_request_against_a_target_that_stopped_answering_ends_after_two_timeouts_not_all_its_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Retries of a timed-out request never multiply the wait: the halt ends them at 2 x the timeout."""
    waiter = FakeWaiter()

    def hang(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> requests.Response:
        waiter.now += 2.0  # the whole-answer deadline of --timeout 2
        raise requests.ReadTimeout("no answer")

    monkeypatch.setattr(HTTPAdapter, "send", hang)
    adapter = PoliteAdapter(RateLimiter(10, waiter), RetryPolicy(timeout=2, transport_retries=3), SendStats())
    session = polite_session(adapter)
    with pytest.raises(TargetStoppedAnswering):
        session.get(URL)
    assert waiter.now <= 2 * 2 + 1.0, waiter.now  # two tries and one backoff, not four tries and three backoffs
    sent = waiter.now
    with pytest.raises(TargetStoppedAnswering, match="never answered"):
        session.get(URL)  # every later send fails at once, sending nothing
    assert waiter.now == sent and adapter.stats["requests"] == 2


def test_a_request_tells_whether_it_went_out_without_an_answer_whatever_ended_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An add that timed out and then met the halt may have created something; one the halt refused sent nothing."""
    waiter = FakeWaiter()
    script = Script(answer(200))

    def hang_posts(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            waiter.now += 2.0
            raise requests.ReadTimeout("no answer")
        return script(adapter, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", hang_posts)
    adapter = PoliteAdapter(RateLimiter(10, waiter), RetryPolicy(timeout=2, transport_retries=3), SendStats())
    session = polite_session(adapter)
    session.get(URL)
    assert not went_unanswered()
    with pytest.raises(TargetStoppedAnswering):
        session.post(URL, json={"destination_conf": "s3://b"})
    assert went_unanswered()  # it went out: what it did is unknown
    with pytest.raises(TargetStoppedAnswering):
        session.post(URL, json={"destination_conf": "s3://b"})
    assert not went_unanswered()  # refused before it was sent


@pytest.mark.sockets
def test_a_halt_ends_a_read_already_waiting_for_its_answer() -> None:
    """A worker blocked on a hanging socket is let go as soon as another worker's failure halts the run."""
    import socket
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/client/v4/accounts/a/pcaps/ownership"
    adapter = PoliteAdapter(RateLimiter(10), RetryPolicy(timeout=30, transport_retries=0), SendStats())
    threading.Timer(0.5, adapter.halt.event.set).start()
    started = time.monotonic()
    try:
        with pytest.raises(requests.RequestException):
            polite_session(adapter).get(url)
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
    assert time.monotonic() - started < 10  # not the 30 s deadline


def test_a_retry_after_longer_than_the_budget_left_halts_at_once_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(answer(429, **{"Retry-After": "300"}))
    monkeypatch.setattr(HTTPAdapter, "send", script)
    waiter = FakeWaiter()
    budget = Budget("--duration 15s", 15, lambda: 15.0 - waiter.now)
    adapter = PoliteAdapter(RateLimiter(10, waiter), RetryPolicy(), SendStats(), budget=budget)
    session = polite_session(adapter)
    with pytest.raises(ThrottledBeyondBudget) as raised:
        session.get(URL)
    assert str(raised.value) == (
        "throttled: the target answered 429 asking to wait 300 s (Retry-After), more than the 15 s left of "
        "--duration 15s"
    )
    assert not any(sleep >= 1 for sleep in waiter.sleeps)  # no wait at all, let alone 300 s
    with pytest.raises(ThrottledBeyondBudget):
        session.get(URL)  # the run is over: nothing more is sent
    assert script.calls == 1


def test_a_retry_after_the_budget_can_afford_is_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(answer(429, **{"Retry-After": "10"}), answer(200))
    monkeypatch.setattr(HTTPAdapter, "send", script)
    waiter = FakeWaiter()
    adapter = PoliteAdapter(
        RateLimiter(10, waiter),
        RetryPolicy(),
        SendStats(),
        budget=Budget("--max-time 60s", 60, lambda: 60 - waiter.now),
    )
    assert polite_session(adapter).get(URL).status_code == 200 and 10.0 in waiter.sleeps


@pytest.mark.parametrize(
    ("stop_first", "reason"), [(0, "interrupted (Ctrl-C or SIGTERM)"), (1, "--max-time 60s was spent")]
)
def test_a_stopped_run_says_why_it_stopped(monkeypatch: pytest.MonkeyPatch, stop_first: int, reason: str) -> None:
    monkeypatch.setattr(HTTPAdapter, "send", Script())
    events = [threading.Event(), threading.Event()]
    events[stop_first].set()
    stop = AnyOf(*events, reasons=("interrupted (Ctrl-C or SIGTERM)", "--max-time 60s was spent"))
    adapter = PoliteAdapter(RateLimiter(10, FakeWaiter()), RetryPolicy(), SendStats(), stop)
    with pytest.raises(Cancelled) as raised:
        polite_session(adapter).get(URL)
    assert str(raised.value) == reason and not isinstance(raised.value, Halted)


def test_the_time_waited_is_wall_time_while_some_request_waited_not_the_sum_of_the_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers waiting out the same 1 s Retry-After at once waited 1 s of the run's time, not 2."""
    import time

    answers = {"count": 0}
    lock = threading.Lock()
    both_throttled = threading.Barrier(2, timeout=10)

    def throttle_each_once(adapter: Any, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        with lock:
            answers["count"] += 1
            first = answers["count"] <= 2
        if first:
            both_throttled.wait()  # both get their 429 before either starts waiting
        response = answer(429, **{"Retry-After": "1"}) if first else answer(200)
        response.request = request
        return response

    monkeypatch.setattr(HTTPAdapter, "send", throttle_each_once)
    stats = SendStats()
    adapter = PoliteAdapter(RateLimiter(1000), RetryPolicy(), stats)
    statuses: list[int] = []
    workers = [
        threading.Thread(target=lambda: statuses.append(polite_session(adapter).get(URL).status_code)) for _ in range(2)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)
    wall = time.monotonic() - started
    assert statuses == [200, 200] and stats["throttled"] == 2
    # The waits overlap: one second of waiting, however late a loaded machine starts the second; the sum is 2.
    assert 1.0 <= stats.waited <= wall and stats.waited < 2.0, (stats.waited, wall)


@pytest.mark.parametrize(("left", "halts"), [(0.5, False), (2.9, False), (3.1, True), (30.0, True)])
def test_a_retry_after_in_the_last_twentieth_of_the_budget_ends_the_run_as_spent_not_throttled(
    monkeypatch: pytest.MonkeyPatch, left: float, halts: bool
) -> None:
    """A run of 60 s told to wait 100 s with 2.9 s left is ending by its budget: the wait is cut at the end."""
    script = Script(answer(429, **{"Retry-After": "100"}))
    monkeypatch.setattr(HTTPAdapter, "send", script)
    stop = threading.Event()
    waiter = FakeWaiter()
    budget = Budget("--max-time 60s", 60, lambda: left - waiter.now)
    adapter = PoliteAdapter(RateLimiter(10, waiter), RetryPolicy(), SendStats(), stop, budget=budget)
    original = waiter.wait

    def the_end_cuts_the_wait(seconds: float, event: Any) -> bool:
        if seconds >= 1:
            stop.set()  # the budget ends during the wait, as its timer would end it
        return original(seconds, event)

    waiter.wait = the_end_cuts_the_wait  # type: ignore[method-assign,assignment]
    with pytest.raises(Cancelled) as raised:
        polite_session(adapter).get(URL)
    assert isinstance(raised.value, ThrottledBeyondBudget) == halts, str(raised.value)


def test_every_write_and_only_a_write_holds_around_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries and waits of a write happen inside it (`engine.Quiet.writing`); reads never take it."""
    held: list[str] = []

    class Around:
        def __enter__(self) -> None:
            held.append("enter")

        def __exit__(self, *exc_info: Any) -> None:
            held.append("exit")

    script = Script(answer(200), answer(429, **{"Retry-After": "1"}), answer(204), answer(200))
    monkeypatch.setattr(HTTPAdapter, "send", script)
    adapter = PoliteAdapter(RateLimiter(10, FakeWaiter()), RetryPolicy(), SendStats(), around_writes=Around)
    session = polite_session(adapter, {"Authorization": "Bearer t"})
    assert session.get(URL).status_code == 200 and held == []
    assert session.delete(f"{URL}/x").status_code == 204 and held == ["enter", "exit"]
    assert session.post(URL, json={}).status_code == 200 and held == ["enter", "exit"] * 2
    assert script.calls == 4


def test_an_answer_carries_its_window_from_the_first_try_to_the_last_answer_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = Script(answer(429, **{"Retry-After": "3"}), answer(200))
    session, *_ = session_with(monkeypatch, script)
    request = session.prepare_request(requests.Request("GET", URL))
    before = datetime.now(UTC)
    session.send(request)
    after = datetime.now(UTC)
    sent_at, read_at = window_of(request)  # the request a judge holds (schemathesis: its response's `request`)
    assert sent_at is not None and read_at is not None
    assert before <= sent_at <= read_at <= after


def test_a_request_the_sender_never_answered_has_no_window(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(answer(429), answer(429))
    session, *_ = session_with(monkeypatch, script, RetryPolicy(throttle_retries=1))
    request = requests.Request("GET", URL).prepare()
    with pytest.raises(Throttled):
        session.send(request)
    assert window_of(request) == (None, None)
    assert window_of("not a request") == (None, None)
