"""The one way a fuzz run sends requests: a `requests` session whose adapter rate-limits, honours 429 and retries.

Schemathesis sends each case through a `requests.Session`; giving it this session puts every request of the run
(cases, the preflight and the cleanup) behind the same limiter and retry policy.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from pcaps_contract.fuzz.ratelimit import RateLimiter, RetryPolicy

EventSink = Callable[..., None]


class Cancelled(Exception):
    """The run stopped (budget spent or Ctrl-C) while a request waited for its turn."""


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


class PoliteAdapter(HTTPAdapter):
    """An HTTP adapter that waits for the rate limiter, retries 429 and transport errors, and reports each step."""

    def __init__(
        self,
        limiter: RateLimiter,
        policy: RetryPolicy,
        stats: SendStats,
        stop: threading.Event | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        super().__init__(pool_connections=4, pool_maxsize=32, max_retries=0)
        self.limiter = limiter
        self.policy = policy
        self.stats = stats
        self.stop = stop
        self.on_event = on_event or (lambda kind, **data: None)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        throttled = failed = 0
        while True:
            if not self.limiter.acquire(self.stop):
                raise Cancelled("the run stopped before this request was sent")
            self.stats.add("requests")
            try:
                # The run's --timeout, whatever the caller asked for: schemathesis passes its own default.
                response = super().send(request, stream, self.policy.timeout, verify, cert, proxies)
            except (requests.ConnectionError, requests.Timeout) as exc:
                failed += 1
                self.stats.add("transport_errors")
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
                return response
            throttled += 1
            self.stats.add("throttled")
            header = response.headers.get("Retry-After")
            delay_or_none = self.policy.after_throttle(header, throttled)
            if delay_or_none is None:
                self.stats.add("throttle_gave_up")
                self.on_event("throttle_gave_up", method=request.method, url=request.url, retry_after=header)
                return response
            response.close()
            self.on_event("throttled", method=request.method, url=request.url, retry_after=header, wait=delay_or_none)
            self._pause(delay_or_none)

    def _pause(self, seconds: float) -> None:
        self.stats.add_wait(seconds)
        if not self.limiter.waiter.wait(seconds, self.stop):
            raise Cancelled("the run stopped while a request waited to be retried")


def polite_session(adapter: PoliteAdapter, headers: Mapping[str, str] | None = None) -> requests.Session:
    """A session that sends every http(s) request through the adapter and never follows redirects elsewhere."""
    session = requests.Session()
    session.trust_env = False  # no proxy or netrc from the environment: the target is exactly the given URL
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(headers or {})
    return session
