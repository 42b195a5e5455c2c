"""The one way a run sends requests over a network: a `requests` session whose adapter keeps every rule of the road.

Every request of `check` and `fuzz` (schemathesis's phases, the lifecycle, the preflight, the cleanup) goes
through `PoliteAdapter`: only to the target's origin, never following a redirect, at the client-side rate,
within a deadline that covers the whole answer (connect, headers and body), with at most `max_response_bytes`
of body after decompression and JSON nested at most `max_json_depth` deep; a 429 is waited out by its
`Retry-After` within the run's budget, timeouts and connection errors are retried a bounded number of times.

One `Halt` per run decides, for every worker at once, that the target cannot be judged any further: it stopped
answering (no answer for 2 x the timeout while requests waited for one), or it asked for a wait (Retry-After)
the run's budget cannot afford. From then on every send fails at once with `Halted`, whose text is the verdict.
"""

from __future__ import annotations

import io
import socket
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pcaps_contract._json import too_deep
from pcaps_contract._limits import DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_RESPONSE_BYTES, Budget
from pcaps_contract._urls import TargetUrl, parse_target
from pcaps_contract.engine.ratelimit import Clock, RateLimiter, RetryPolicy, parse_retry_after

EventSink = Callable[..., None]
# Told of each request as it leaves (method, URL, body) and answering with what to call once it ended: its status
# (None: no answer), its body, whether a try before the last was throttled, whether one got no answer.
Watch = Callable[[str, str, Any], Callable[[int | None, bytes, bool, bool], None]]
_CHUNK = 16 * 1024
# Only what the standard library decompresses in bounded steps: no brotli or zstd surprises.
_ACCEPT_ENCODING = "gzip, deflate"
# Why a run stopped, when a signal stopped it: the words every message about it uses.
INTERRUPTED = "interrupted (Ctrl-C or SIGTERM)"
# How often a read waiting for its answer looks whether the run halted meanwhile.
_SLICE = 0.25


class Cancelled(requests.RequestException):
    """The run stopped (budget spent, Ctrl-C or SIGTERM, or a halt) before this request got its answer.

    Its text is why, in words a message can use as they are ("interrupted (Ctrl-C or SIGTERM)"). A request
    error, so that whoever sends through the adapter (schemathesis's probes too) takes it as a request that got
    no answer rather than as a crash; our own callers catch it before other request errors.
    """


class Halted(Cancelled):
    """The target cannot be judged any further, whatever the run sends: every later send fails at once with this.

    Its text is the run's verdict, one sentence (see `Halt`).
    """


class TargetStoppedAnswering(Halted):
    """No answer for 2 x the timeout, at least two requests in a row, across every worker of the run."""


class ThrottledBeyondBudget(Halted):
    """A 429 whose Retry-After asks for a longer wait than what is left of the run's budget."""


class Throttled(requests.RequestException):
    """The target still answered 429 after every wait the budget allowed: nothing to judge, never a violation."""


class ResponseRefused(requests.RequestException):
    """An answer too large or too deeply nested to judge safely; the run says so instead of running out of memory."""


class CrossOriginRefused(requests.RequestException):
    """A request aimed at another origin than the target's: credentials never travel to another host."""


@dataclass(frozen=True)
class ResponseLimits:
    """What one answer may cost: body bytes after decompression and JSON nesting."""

    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH


class AnyOf:
    """Several stop events seen as one: set when any of them is (e.g. the budget's end or a SIGTERM).

    `reasons[i]` says why the run stopped when `events[i]` is the first one set (see `reason`).
    """

    def __init__(self, *events: threading.Event | AnyOf, reasons: Sequence[str] = ()) -> None:
        self.events = events
        self.reasons = tuple(reasons)

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)

    def reason(self) -> str:
        """Why the run stopped: the reason of the first event set, in the order given."""
        for index, event in enumerate(self.events):
            if event.is_set() and index < len(self.reasons):
                return self.reasons[index]
        return "the run stopped"

    def wait(self, seconds: float) -> bool:
        """Wait until one is set or the time is up; True when one is set."""
        end = time.monotonic() + seconds
        while not self.is_set():
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.events[0].wait(min(left, 0.05))
        return True


class SendStats:
    """Counts of what the sender did, safe to update from every worker.

    `waited` is wall time during which at least one request was waiting out a 429 (the union of the waits, not
    their sum: six workers waiting the same 10 s waited 10 s).
    """

    def __init__(self, on_count: Callable[[str, int], None] | None = None) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self._on_count = on_count  # told of each count as it happens (the fuzz timeline's times)
        self._waiting = 0
        self._waiting_since = 0.0
        self._waited = 0.0
        self._clock: Clock = time.monotonic

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[name] += amount
        if self._on_count is not None:
            self._on_count(name, amount)

    @contextmanager
    def waiting(self, clock: Clock = time.monotonic) -> Iterator[None]:
        """While inside, this thread waits out a 429; the time counts once however many threads wait with it."""
        with self._lock:
            if not self._waiting:
                self._clock, self._waiting_since = clock, clock()
            self._waiting += 1
        try:
            yield
        finally:
            with self._lock:
                self._waiting -= 1
                if not self._waiting:
                    self._waited += self._clock() - self._waiting_since

    @property
    def waited(self) -> float:
        """Seconds during which at least one request waited out a 429, so far."""
        with self._lock:
            ongoing = self._clock() - self._waiting_since if self._waiting else 0.0
            return self._waited + ongoing

    def __getitem__(self, name: str) -> int:
        return self.counts[name]


class Halt:
    """The one decision, shared by every worker of a run, that its target cannot be judged any further.

    The target stopped answering: `in_a_row` requests in a row (across all workers, none answered in between) got
    no answer, and `silence` seconds passed since the first of them was sent (2 x the timeout: a request that
    times out once and then answers is a hiccup; two timeouts' worth of silence while requests wait is a dead
    target). Or it answered 429 asking for a wait the run's budget cannot afford. The first cause found stands;
    its sentence (`error`) is the run's verdict, and `event` is set for every wait to end at once.

    Args:
        timeout: the run's --timeout; the silence that halts is twice that.
        clock: the clock of the sends (tests pass a fake one).
        silence: seconds without an answer that halt (default 2 x timeout).
        in_a_row: requests without an answer that halt, at least (default 2).
    """

    def __init__(
        self, timeout: float, clock: Clock = time.monotonic, *, silence: float | None = None, in_a_row: int = 2
    ) -> None:
        self.timeout = timeout
        self.clock = clock
        self.silence = 2 * timeout if silence is None else silence
        self.in_a_row = in_a_row
        self.event = threading.Event()
        self.error: Halted | None = None
        self.answers = 0
        self._lock = threading.Lock()
        self._unanswered = 0
        self._silent_since: float | None = None
        self._last_answer = float("-inf")

    def answered(self) -> None:
        """The target answered (any status, or an answer refused for its size): it is alive."""
        with self._lock:
            self.answers += 1
            self._unanswered = 0
            self._silent_since = None
            self._last_answer = self.clock()

    def unanswered(self, sent: float) -> None:
        """A request sent at `sent` got no answer (a timeout, a refused or reset connection)."""
        with self._lock:
            self._unanswered += 1
            start = max(sent, self._last_answer)
            self._silent_since = start if self._silent_since is None else min(self._silent_since, start)
            silent = self.clock() - self._silent_since
            if self._unanswered >= self.in_a_row and silent >= self.silence:
                after = (
                    f"stopped answering after answering {self.answers} request(s)" if self.answers else "never answered"
                )
                self._halt(
                    TargetStoppedAnswering(
                        f"the target {after}: {self._unanswered} request(s) in a row got no answer in {silent:.0f} s"
                    )
                )

    def throttled_beyond(self, wait: float, budget: Budget) -> None:
        """A Retry-After of `wait` seconds that `budget` cannot afford."""
        with self._lock:
            self._halt(
                ThrottledBeyondBudget(
                    f"throttled: the target answered 429 asking to wait {wait:.0f} s (Retry-After), more than "
                    f"the {budget.left():.0f} s left of {budget.name}"
                )
            )

    def _halt(self, error: Halted) -> None:
        if self.error is None:
            self.error = error
            self.event.set()

    def raised(self) -> Halted | None:
        """A new exception saying why the run halted (each thread raises its own), or None while it has not."""
        error = self.error
        return type(error)(str(error)) if error is not None else None

    def for_cleanup(self) -> Halt:
        """The halt of the cleanup after this run: after a target that stopped answering, one try (the first
        request without an answer halts the cleanup), so that a dead target cannot hold it for long."""
        if isinstance(self.error, TargetStoppedAnswering):
            return Halt(self.timeout, self.clock, silence=0, in_a_row=1)
        return Halt(self.timeout, self.clock)


# --- a deadline for the whole answer ------------------------------------------------------------------------
# Socket timeouts apply to each read, so a server dripping a byte a second never times out. Each request sets
# the instant its answer must be complete; every read on its socket waits at most until then.

_DEADLINE = threading.local()


def _time_left() -> float | None:
    deadline: float | None = getattr(_DEADLINE, "at", None)
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the whole answer did not arrive within the request's deadline")
    return left


# How long this thread's last answer took, from sending its request to reading its last byte (waits excluded).
_ANSWERED = threading.local()


def went_unanswered() -> bool:
    """Whether this thread's current (or last) request went out at least once and got no answer (a timeout, a
    reset, a halt while it waited): what it did on the target is unknown, whatever ended it."""
    return bool(getattr(_ANSWERED, "unanswered", False))


def last_answer_seconds() -> float | None:
    """How long the last answer this thread's current request got took (None before it got one)."""
    return getattr(_ANSWERED, "seconds", None)


# Each answered request's time window on the UTC wall clock (its first try sent, its last answer read whole),
# kept as long as the request object lives: whoever judges the answer reads it back by the request it holds.
_WINDOWS: weakref.WeakKeyDictionary[requests.PreparedRequest, tuple[datetime, datetime]] = weakref.WeakKeyDictionary()
_WINDOWS_LOCK = threading.Lock()


def window_of(request: Any) -> tuple[datetime | None, datetime | None]:
    """When `request` was sent and when its answer was read, as the adapter measured them; (None, None) for a
    request it did not answer (or an object that is no request)."""
    try:
        with _WINDOWS_LOCK:
            window = _WINDOWS.get(request)
    except TypeError:  # not weakly referable, so never one of ours
        window = None
    return window if window is not None else (None, None)


class _DeadlineSocket:
    """A socket whose reads end at the current request's deadline; everything else is the socket itself."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def _read(self, read: Callable[[], Any]) -> Any:
        """One read, in slices of at most `_SLICE` s: it ends at the deadline, or as soon as the run halts."""
        while True:
            left = _time_left()
            if left is None:
                return read()
            self._sock.settimeout(min(left, _SLICE))
            try:
                return read()
            except TimeoutError:
                halted: threading.Event | None = getattr(_DEADLINE, "halted", None)
                if halted is not None and halted.is_set():
                    raise TimeoutError("the run halted while this answer was awaited") from None

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        return int(self._read(lambda: self._sock.recv_into(buffer, nbytes, flags)))

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        return bytes(self._read(lambda: self._sock.recv(bufsize, flags)))

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> io.BufferedReader:
        # What socket.makefile does for "rb", over this object, so that http.client's reads pass through `_arm`.
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:
        self._sock._decref_socketios()  # type: ignore[attr-defined]


class _DeadlineHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock)


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


# --- the adapter ----------------------------------------------------------------------------------------------


class PoliteAdapter(HTTPAdapter):
    """An HTTP adapter that keeps the rules of the road (see the module) and reports each step.

    Args:
        limiter: the run's rate limiter, shared by every worker.
        policy: timeouts and retries.
        stats: where the counts go.
        stop: set when the run must end; waits for a slot or a retry end at once.
        on_event: receives `(kind, **fields)` for retries, throttling and give-ups.
        origin: the target's base URL; a request to any other scheme, host or port is refused.
        limits: the most one answer may cost.
        halt: the run's halt, shared with every adapter of the run (default: one of this adapter's own).
        budget: what is left of the run's time; a Retry-After longer than that halts the run at once.
        around_writes: held around every request other than GET and HEAD, retries and waits included (the
            run's `engine.Quiet.writing`: a reader of a listing's pages holds writes back with it).
        watch: told of every request and how it ended, retries included (the model of the accounts).
    """

    def __init__(
        self,
        limiter: RateLimiter,
        policy: RetryPolicy,
        stats: SendStats,
        stop: threading.Event | AnyOf | None = None,
        on_event: EventSink | None = None,
        *,
        origin: str | TargetUrl | None = None,
        limits: ResponseLimits | None = None,
        halt: Halt | None = None,
        budget: Budget | None = None,
        around_writes: Callable[[], AbstractContextManager[None]] | None = None,
        watch: Watch | None = None,
    ) -> None:
        super().__init__(pool_connections=4, pool_maxsize=32, max_retries=0)
        self.around_writes = around_writes
        self.watch = watch
        self.limiter = limiter
        self.policy = policy
        self.stats = stats
        self.stop = stop
        self.on_event = on_event or (lambda kind, **data: None)
        # Read by the parser the refusals used (or already read by it: a run reads its target once): the host they
        # judged is the only host requests may go to.
        self.origin = (
            parse_target(origin, allow_production=True) if isinstance(origin, str) and origin else origin or None
        )
        self.limits = limits or ResponseLimits()
        self.halt = halt or Halt(policy.timeout, limiter.waiter.clock)
        self.budget = budget
        # Every wait (for a slot, a retry, a Retry-After) ends when the run stops or halts.
        self._waits_end = AnyOf(self.halt.event, stop) if stop is not None else AnyOf(self.halt.event)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        if self.watch is None:
            return self._send_politely(request, verify, cert)
        done = self.watch(str(request.method), str(request.url), request.body)
        try:
            response = self._send_politely(request, verify, cert)
        except Throttled:
            done(429, b"", True, went_unanswered())
            raise
        except BaseException:
            done(None, b"", False, True)
            raise
        done(response.status_code, response.content, bool(getattr(_ANSWERED, "throttled", False)), went_unanswered())
        return response

    def _send_politely(self, request: requests.PreparedRequest, verify: bool | str, cert: Any) -> requests.Response:
        if self.origin is not None and not self.origin.same_origin(str(request.url)):
            self.stats.add("cross_origin_refused")
            raise CrossOriginRefused(f"refused to send a request outside the target: {request.method} {request.url}")
        request.headers["Accept-Encoding"] = _ACCEPT_ENCODING
        _ANSWERED.seconds, _ANSWERED.unanswered, _ANSWERED.throttled = None, False, False
        if self.around_writes is None or request.method in ("GET", "HEAD"):
            return self._send_until_answered(request, verify, cert)
        with self.around_writes():
            return self._send_until_answered(request, verify, cert)

    def _send_until_answered(
        self, request: requests.PreparedRequest, verify: bool | str, cert: Any
    ) -> requests.Response:
        """Send, retried on lost answers and waited out on 429, within the policy's tries and the run's budget."""
        throttled = failed = 0
        sent_at = datetime.now(UTC)
        while True:
            if self.halt.error is not None or not self.limiter.acquire(self._waits_end):  # type: ignore[arg-type]
                raise self._cancelled()
            self.stats.add("requests")
            sent = self.halt.clock()
            try:
                response = self._send_once(request, verify, cert)
            except (requests.ConnectionError, requests.Timeout) as exc:
                failed += 1
                _ANSWERED.unanswered = True
                self.stats.add("transport_errors")
                self.halt.unanswered(sent)
                if self.halt.error is not None:
                    raise self._cancelled() from None
                kind = type(exc).__name__
                if failed > self.policy.transport_retries:
                    self.stats.add("transport_gave_up")
                    self.on_event("transport_gave_up", method=request.method, url=request.url, error=kind)
                    raise
                delay = self.policy.backoff(failed)
                self.on_event("retry", method=request.method, url=request.url, error=kind, wait=delay)
                self._pause(delay)
                continue
            if response.status_code != 429:
                with _WINDOWS_LOCK:
                    _WINDOWS[request] = (sent_at, datetime.now(UTC))
                return response
            throttled += 1
            _ANSWERED.throttled = True
            self.stats.add("throttled")
            header = response.headers.get("Retry-After")
            announced = parse_retry_after(header)
            if announced is not None and self.budget is not None and self.budget.cannot_afford(announced):
                self.stats.add("throttle_gave_up")
                self.halt.throttled_beyond(announced, self.budget)
                self.on_event("throttle_gave_up", method=request.method, url=request.url, retry_after=header)
                raise self._cancelled()
            delay_or_none = self.policy.after_throttle(header, throttled)
            if delay_or_none is None:
                self.stats.add("throttle_gave_up")
                self.on_event("throttle_gave_up", method=request.method, url=request.url, retry_after=header)
                raise Throttled(
                    f"still 429 after {throttled} tries (Retry-After: {header or 'none'})", response=response
                )
            self.on_event("throttled", method=request.method, url=request.url, retry_after=header, wait=delay_or_none)
            with self.stats.waiting(self.limiter.waiter.clock):
                self._pause(delay_or_none)

    def _cancelled(self) -> Cancelled:
        """Why this request cannot be sent: the run halted (its verdict), or it stopped (the stop's reason)."""
        halted = self.halt.raised()
        if halted is not None:
            return halted
        return Cancelled(self.stop.reason() if isinstance(self.stop, AnyOf) else "the run stopped")

    def _send_once(self, request: requests.PreparedRequest, verify: bool | str, cert: Any) -> requests.Response:
        """One attempt: the whole answer, read within the deadline and the limits, or an exception."""
        timeout = self.policy.timeout
        _DEADLINE.at = time.monotonic() + timeout
        _DEADLINE.halted = self.halt.event
        self.stats.add("in_flight")
        sent = time.monotonic()
        try:
            response = super().send(request, True, (min(5.0, timeout), timeout), verify, cert, None)
            if response.raw is not None and not response._content_consumed:
                response._content = self._read_body(response, request, timeout)
                response._content_consumed = True
                response.raw.release_conn()
        except ResponseRefused:
            self.halt.answered()  # too large to judge, but an answer: the target is alive
            raise
        except TimeoutError as exc:  # the deadline, raised where neither urllib3 nor requests wrapped it
            raise _timed_out(request, exc, timeout) from None
        finally:
            _DEADLINE.at = _DEADLINE.halted = None
            self.stats.add("in_flight", -1)
        _ANSWERED.seconds = time.monotonic() - sent
        self.halt.answered()
        if too_deep(response.content, self.limits.max_json_depth):
            raise ResponseRefused(
                f"the answer to {request.method} {request.url} nests JSON more than "
                f"{self.limits.max_json_depth} levels deep",
                request=request,
            )
        return response

    def _read_body(self, response: requests.Response, request: requests.PreparedRequest, timeout: float) -> bytes:
        cap = self.limits.max_response_bytes
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.raw.stream(_CHUNK, decode_content=True):
                size += len(chunk)
                if size > cap:
                    response.raw.close()
                    raise ResponseRefused(
                        f"the answer to {request.method} {request.url} is larger than {cap} bytes "
                        "(raise --max-response-bytes if that is legitimate)",
                        request=request,
                    )
                chunks.append(chunk)
        except ResponseRefused:
            raise
        except urllib3_errors.ReadTimeoutError as exc:
            raise _timed_out(request, exc, timeout) from None
        except (urllib3_errors.ProtocolError, urllib3_errors.SSLError, OSError) as exc:
            raise requests.ConnectionError(str(exc), request=request) from None
        except urllib3_errors.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(str(exc), request=request) from None
        return b"".join(chunks)

    def _pause(self, seconds: float) -> None:
        if not self.limiter.waiter.wait(seconds, self._waits_end):  # type: ignore[arg-type]
            raise self._cancelled()


def _timed_out(request: requests.PreparedRequest, cause: BaseException, seconds: float) -> requests.ReadTimeout:
    """A whole-answer deadline that ran out, in the shape requests gives a read timeout: a urllib3 error whose text
    ends in `(read timeout=N)`, which schemathesis reads to name the timeout (a plain text there broke its engine)."""
    return requests.ReadTimeout(urllib3_errors.TimeoutError(f"{cause} (read timeout={seconds:g})"), request=request)


class _NoRedirects(requests.Session):
    """A session that never follows a redirect: a 3xx is an answer to judge, and credentials stay at the target."""

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


def polite_session(adapter: PoliteAdapter, headers: Mapping[str, str] | None = None) -> requests.Session:
    """A session that sends every http(s) request through the adapter and never follows a redirect."""
    session = _NoRedirects()
    adopt(session, adapter)
    session.headers.update(headers or {})
    return session


def adopt(session: requests.Session, adapter: PoliteAdapter) -> requests.Session:
    """Put a session someone else made (e.g. schemathesis's) behind the adapter: no proxies, no netrc, no detours."""
    session.trust_env = False  # no proxy or netrc from the environment: the target is exactly the given URL
    session.proxies.clear()
    if session.get_adapter("http://") is not adapter:
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session
