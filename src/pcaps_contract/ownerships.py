"""Nothing left behind: every ownership a run creates is tracked at once and deleted before the run exits."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any
from urllib.parse import quote

import requests

from pcaps_contract.fuzz.sender import Cancelled

# The statuses that mean an ownership is gone: deleted now, or already deleted (e.g. by a fuzzed delete).
_GONE = frozenset({200, 204, 404})


@dataclass(frozen=True)
class Created:
    """One ownership this run created."""

    account: str
    ownership_id: str
    destination_conf: str | None = None


@dataclass(frozen=True)
class Leftover:
    """An ownership the cleanup could not delete, and why."""

    account: str
    ownership_id: str
    reason: str


class CleanupRegistry:
    """The ownerships a run created and has not yet seen deleted; safe to use from every worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], Created] = {}
        self.created = 0

    def track(self, account: str, ownership_id: str, destination_conf: str | None = None) -> None:
        with self._lock:
            if (account, ownership_id) not in self._held:
                self.created += 1
            self._held[(account, ownership_id)] = Created(account, ownership_id, destination_conf)

    def forget(self, account: str, ownership_id: str) -> None:
        """The ownership is gone (the run deleted it while fuzzing)."""
        with self._lock:
            self._held.pop((account, ownership_id), None)

    def held(self) -> list[Created]:
        with self._lock:
            return list(self._held.values())

    def ids(self, account: str) -> list[str]:
        """The held ownership ids of one account, oldest first."""
        with self._lock:
            return [created.ownership_id for (acc, _), created in self._held.items() if acc == account]

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


@dataclass
class CleanupResult:
    """What the cleanup deleted and what it had to leave."""

    deleted: list[Created] = field(default_factory=list)
    leftovers: list[Leftover] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.leftovers


def clean_up(
    session: requests.Session,
    base_url: str,
    registry: CleanupRegistry,
    *,
    time_limit: float = 120.0,
    attempts: int = 6,
    pause: Callable[[float], None] = time.sleep,
) -> CleanupResult:
    """Delete every held ownership (each request through the run's polite sender); list what stayed, with ids.

    A 5xx is retried (`attempts` tries in all, pausing 0.5 s, 1 s, 2 s, ...: 15.5 s for 6 tries): a flaky server
    must not make the run leave garbage behind. 429 and transport errors are already retried by the sender.
    """
    started = time.monotonic()
    result = CleanupResult()
    for created in registry.held():
        account, ownership_id = quote(created.account, safe=""), quote(created.ownership_id, safe="")
        url = f"{base_url}/accounts/{account}/pcaps/ownership/{ownership_id}"
        reason = _delete(session, url, attempts, pause, deadline=started + time_limit)
        if reason is None:
            registry.forget(created.account, created.ownership_id)
            result.deleted.append(created)
        else:
            result.leftovers.append(Leftover(created.account, created.ownership_id, reason))
    result.seconds = time.monotonic() - started
    return result


def _delete(
    session: requests.Session, url: str, attempts: int, pause: Callable[[float], None], deadline: float
) -> str | None:
    """Delete one ownership; None when it is gone, else why it is not."""
    reason = "cleanup time limit reached"
    for attempt in range(attempts):
        if time.monotonic() > deadline:
            return "cleanup time limit reached"
        if attempt:
            pause(0.5 * 2 ** (attempt - 1))
        try:
            status = session.delete(url).status_code
        except (requests.RequestException, Cancelled) as exc:
            return type(exc).__name__
        if status in _GONE:
            return None
        reason = f"status {status}"
        if status < 500:
            return reason
    return reason


@contextmanager
def stop_on_signals(
    stop: threading.Event, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)
) -> Iterator[None]:
    """While inside, Ctrl-C (or SIGTERM) sets `stop` instead of raising, so the run can wind down and clean up.

    A second Ctrl-C raises KeyboardInterrupt as usual. Only the main thread can install handlers; elsewhere this
    does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous: dict[int, Any] = {}
    for number in signals:
        previous[number] = signal.signal(number, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)
