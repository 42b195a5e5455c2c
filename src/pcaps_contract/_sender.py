"""The one way a run sends requests over a network: a `requests` session whose adapter keeps every rule of the road.

Every request of `check` and `fuzz` (schemathesis's phases, the lifecycle, the preflight, the cleanup) goes
through `PoliteAdapter`: only to the target's origin, never following a redirect, at the client-side rate,
within a deadline that covers the whole answer (connect, headers and body), with at most `max_response_bytes`
of body after decompression and JSON nested at most `max_json_depth` deep; a 429 is waited out by its
`Retry-After` within the run's budget, timeouts and connection errors are retried a bounded number of times.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from pcaps_contract._json import too_deep
from pcaps_contract._limits import DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_RESPONSE_BYTES
from pcaps_contract._ratelimit import RateLimiter, RetryPolicy
from pcaps_contract._urls import parse_target

EventSink = Callable[..., None]
_CHUNK = 16 * 1024
# Only what the standard library decompresses in bounded steps: no brotli or zstd surprises.
_ACCEPT_ENCODING = "gzip, deflate"


class Cancelled(Exception):
    """The run stopped (budget spent, Ctrl-C or SIGTERM) while a request waited for its turn."""


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
    """Several stop events seen as one: set when any of them is (e.g. the budget's end or a SIGTERM)."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(event.is_set() for event in self.events)

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
    """Counts of what the sender did, safe to update from every worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.waited = 0.0

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[name] += amount

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.waited += seconds

    def __getitem__(self, name: str) -> int:
        return self.counts[name]


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


def last_answer_seconds() -> float | None:
    """How long the last answer this thread's current request got took (None before it got one)."""
    return getattr(_ANSWERED, "seconds", None)


class _DeadlineSocket:
    """A socket whose reads end at the current request's deadline; everything else is the socket itself."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def _arm(self) -> None:
        left = _time_left()
        if left is not None:
            self._sock.settimeout(left)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes, flags)

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._arm()
        return self._sock.recv(bufsize, flags)

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
    """

    def __init__(
        self,
        limiter: RateLimiter,
        policy: RetryPolicy,
        stats: SendStats,
        stop: threading.Event | AnyOf | None = None,
        on_event: EventSink | None = None,
        *,
        origin: str | None = None,
        limits: ResponseLimits | None = None,
    ) -> None:
        super().__init__(pool_connections=4, pool_maxsize=32, max_retries=0)
        self.limiter = limiter
        self.policy = policy
        self.stats = stats
        self.stop = stop
        self.on_event = on_event or (lambda kind, **data: None)
        # Read by the parser the refusals used: the host they judged is the only host requests may go to.
        self.origin = parse_target(origin, allow_production=True) if origin else None
        self.limits = limits or ResponseLimits()
        # Set when a request gave up on the transport and cleared by the next answer: a target that is gone gets
        # one try per request, not the full retries each time, so a run against it ends in bounded time.
        self.target_down = False

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
        if self.origin is not None and not self.origin.same_origin(str(request.url)):
            self.stats.add("cross_origin_refused")
            raise CrossOriginRefused(f"refused to send a request outside the target: {request.method} {request.url}")
        request.headers["Accept-Encoding"] = _ACCEPT_ENCODING
        _ANSWERED.seconds = None
        throttled = failed = 0
        while True:
            if not self.limiter.acquire(self.stop):  # type: ignore[arg-type]
                raise Cancelled("the run stopped before this request was sent")
            self.stats.add("requests")
            try:
                response = self._send_once(request, verify, cert)
            except (requests.ConnectionError, requests.Timeout) as exc:
                failed += 1
                self.stats.add("transport_errors")
                kind = type(exc).__name__
                if failed > (0 if self.target_down else self.policy.transport_retries):
                    self.target_down = True
                    self.stats.add("transport_gave_up")
                    self.on_event("transport_gave_up", method=request.method, url=request.url, error=kind)
                    raise
                delay = self.policy.backoff(failed)
                self.on_event("retry", method=request.method, url=request.url, error=kind, wait=delay)
                self._pause(delay)
                continue
            self.target_down = False
            if response.status_code != 429:
                return response
            throttled += 1
            self.stats.add("throttled")
            header = response.headers.get("Retry-After")
            delay_or_none = self.policy.after_throttle(header, throttled)
            if delay_or_none is None:
                self.stats.add("throttle_gave_up")
                self.on_event("throttle_gave_up", method=request.method, url=request.url, retry_after=header)
                raise Throttled(
                    f"still 429 after {throttled} tries (Retry-After: {header or 'none'})", response=response
                )
            self.on_event("throttled", method=request.method, url=request.url, retry_after=header, wait=delay_or_none)
            self._pause(delay_or_none)

    def _send_once(self, request: requests.PreparedRequest, verify: bool | str, cert: Any) -> requests.Response:
        """One attempt: the whole answer, read within the deadline and the limits, or an exception."""
        timeout = self.policy.timeout
        _DEADLINE.at = time.monotonic() + timeout
        self.stats.add("in_flight")
        sent = time.monotonic()
        try:
            response = super().send(request, True, (min(5.0, timeout), timeout), verify, cert, None)
            if response.raw is not None and not response._content_consumed:
                response._content = self._read_body(response, request)
                response._content_consumed = True
                response.raw.release_conn()
        except TimeoutError as exc:  # the deadline, raised where neither urllib3 nor requests wrapped it
            raise requests.ReadTimeout(str(exc), request=request) from None
        finally:
            _DEADLINE.at = None
            self.stats.add("in_flight", -1)
        _ANSWERED.seconds = time.monotonic() - sent
        if too_deep(response.content, self.limits.max_json_depth):
            raise ResponseRefused(
                f"the answer to {request.method} {request.url} nests JSON more than "
                f"{self.limits.max_json_depth} levels deep",
                request=request,
            )
        return response

    def _read_body(self, response: requests.Response, request: requests.PreparedRequest) -> bytes:
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
            raise requests.ReadTimeout(str(exc), request=request) from None
        except (urllib3_errors.ProtocolError, urllib3_errors.SSLError, OSError) as exc:
            raise requests.ConnectionError(str(exc), request=request) from None
        except urllib3_errors.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(str(exc), request=request) from None
        return b"".join(chunks)

    def _pause(self, seconds: float) -> None:
        self.stats.add_wait(seconds)
        if not self.limiter.waiter.wait(seconds, self.stop):  # type: ignore[arg-type]
            raise Cancelled("the run stopped while a request waited to be retried")


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
