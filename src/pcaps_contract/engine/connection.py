"""How one run talks to its target: the polite session of a served target (rate limit, halt, budget, the writes'
hold, the account model fed with every request) or an in-process app's client, and the cleanup on the same terms.
`check` has one; `compare` one per side."""

from __future__ import annotations

import threading
from typing import Any, Protocol

import httpx
import requests

from pcaps_contract._credentials import Credentials
from pcaps_contract._limits import Budget, cleanup_budget
from pcaps_contract.engine.challenges import ChallengeSource, MockRouteSource
from pcaps_contract.engine.ownerships import CleanupRegistry, CleanupResult, clean_up_in_time
from pcaps_contract.engine.quiet import Quiet
from pcaps_contract.engine.ratelimit import RateLimiter, RetryPolicy
from pcaps_contract.engine.sender import (
    INTERRUPTED,
    AnyOf,
    Cancelled,
    Halt,
    PoliteAdapter,
    ResponseLimits,
    SendStats,
    polite_session,
)
from pcaps_contract.engine.targets import Target
from pcaps_contract.judge import AccountModel

# Where the reproductions of an in-process run send their requests: `pcaps-contract mock`'s default address.
SERVED_ORIGIN = "http://127.0.0.1:8787"
_UNLIMITED = 1e9


class RunSettings(Protocol):
    """What a connection reads of a run's resolved options."""

    @property
    def credentials(self) -> Credentials: ...

    @property
    def timeout(self) -> float: ...

    @property
    def max_time(self) -> float: ...

    @property
    def rate(self) -> float | None: ...

    @property
    def max_response_bytes(self) -> int: ...

    def resolved_workers(self) -> int: ...


class Connection:
    """How one run talks to its target: the polite session of a served target, or the app's in-process client."""

    def __init__(self, options: RunSettings, target: Target, interrupt: threading.Event | None) -> None:
        self.options = options
        self.target = target
        self.stats = SendStats()
        self.time_up = threading.Event()
        self.interrupt = interrupt or threading.Event()
        # Whether the target stopped answering or asked for a wait the budget cannot afford: every worker at once.
        self.halt = Halt(options.timeout)
        # Every write of the run holds it; the lifecycle reads a listing's pages with it held alone. An in-process
        # app's phases write past the sender, so pages read there are never judged together.
        self.quiet = Quiet(holds_every_write=not self.target.in_process)
        self.stop = AnyOf(
            self.interrupt,
            self.time_up,
            self.halt.event,
            reasons=(INTERRUPTED, f"--max-time {options.max_time:g}s was spent"),
        )
        self.budget = Budget.until(f"--max-time {options.max_time:g}s", options.max_time)
        self.timer = threading.Timer(options.max_time, self.time_up.set)
        self.timer.daemon = True
        self.limiter = RateLimiter(options.rate or _UNLIMITED)
        self.policy = RetryPolicy(timeout=options.timeout)
        self.limits = ResponseLimits(max_response_bytes=options.max_response_bytes)
        # What each account holds, fed by every request the run's adapter sends (the phases', the lanes', the
        # preflight's). An in-process app's phases go round it: the model then knows it does not see every write.
        self.model = AccountModel(sighted=not self.target.in_process)
        self.adapter: PoliteAdapter | None = None
        self._sessions: list[Any] = []
        if not self.target.in_process:
            self.adapter = self._adapter(self.stop, self.halt, self.budget, watched=True)
            self.client: Any = polite_session(self.adapter, options.credentials.headers())
            self.errors: tuple[type[Exception], ...] = (requests.RequestException, Cancelled)
        else:
            self.client = self.target.client(options.credentials.headers())
            self.errors = (httpx.HTTPError,)

    def _adapter(self, stop: AnyOf, halt: Halt, budget: Budget, *, watched: bool = False) -> PoliteAdapter:
        return PoliteAdapter(
            self.limiter,
            self.policy,
            self.stats,
            stop,
            origin=self.target.url or self.target.base_url,
            limits=self.limits,
            halt=halt,
            budget=budget,
            around_writes=self.quiet.writing,
            watch=self.model.watch if watched else None,
        )

    def lane_client(self, headers: dict[str, str] | None = None) -> Any:
        """A client for one lane of the lifecycle: a session of its own on the run's adapter (in-process: the run's
        client), sending `headers` (one style of the run's credentials; the first style's when None)."""
        if headers is None or headers == self.options.credentials.headers():
            if self.adapter is None:
                return self.client
            headers = self.options.credentials.headers()
        session = polite_session(self.adapter, headers) if self.adapter is not None else self.target.client(headers)
        self._sessions.append(session)
        return session

    def served_mock_source(self, advertised: bool) -> ChallengeSource | None:
        """The challenge route of a served mock that advertised it, read by a session without credentials (the
        route needs none): a target that did not advertise it gets no request there."""
        if not advertised or self.adapter is None:
            return None
        session = polite_session(self.adapter)
        self._sessions.append(session)
        return MockRouteSource(session, self.target.base_url)

    def __enter__(self) -> Connection:
        self.timer.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.timer.cancel()
        for session in self._sessions:
            session.close()
        self.client.close()

    def clean_up(self, registry: CleanupRegistry) -> CleanupResult:
        """Delete what the run created, within the cleanup's own time limit."""
        headers = self.options.credentials.headers()
        return clean_up_in_time(
            lambda stop: polite_session(self._adapter(stop, self.halt.for_cleanup(), cleanup_budget()), headers),
            self.target.base_url,
            registry,
            workers=self.options.resolved_workers(),
        )
