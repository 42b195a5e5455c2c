"""Nothing left behind: every ownership a run creates is tracked at once and deleted before the run exits.

One registry and one cleanup serve `check` and `fuzz` alike. Accounts and ids are held decoded, as the server
spelled them; each URL is built from them with every path segment quoted exactly once. A create whose answer
could not be read (a timeout, a 5xx) is remembered by its bucket: the cleanup lists the account and deletes
a record of that bucket, unless the record was there before the run began.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from pcaps_contract._api import ownership_path, ownerships_path
from pcaps_contract._errors import UsageError
from pcaps_contract._limits import CLEANUP_TIME_LIMIT
from pcaps_contract._sender import AnyOf, Cancelled

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
        self._expected: set[tuple[str, str]] = set()
        self._before: dict[str, set[str]] = {}
        self.created = 0

    def existed_before(self, account: str, ownership_ids: set[str]) -> None:
        """The ids an account held before the run: the cleanup never deletes them."""
        with self._lock:
            self._before.setdefault(account, set()).update(ownership_ids)

    def expect(self, account: str, destination_conf: str) -> None:
        """A create of this bucket got no readable answer: it may have created an ownership all the same."""
        with self._lock:
            self._expected.add((account, destination_conf))

    def expected(self) -> list[tuple[str, str]]:
        with self._lock:
            return sorted(self._expected)

    def pre_existing(self, account: str) -> set[str]:
        with self._lock:
            return set(self._before.get(account, ()))

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
    workers: int = 1,
) -> CleanupResult:
    """Delete every held ownership (each request through the run's polite sender); list what stayed, with ids.

    A 5xx is retried (`attempts` tries in all, pausing 0.5 s, 1 s, 2 s, ...: 15.5 s for 6 tries): a flaky server
    must not make the run leave garbage behind. 429 and transport errors are already retried by the sender.
    `workers` deletes go at once (the sender's rate limit holds for all of them).
    """
    started = time.monotonic()
    result = CleanupResult()
    _find_expected(session, base_url, registry)

    def delete(created: Created) -> str | None:
        try:
            url = base_url + ownership_path(created.account, created.ownership_id)
        except UsageError:
            return "an id no URL can address"
        return _delete(session, url, attempts, pause, deadline=started + time_limit)

    held = registry.held()
    if workers > 1 and len(held) > 1:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cleanup") as pool:
            reasons = list(pool.map(delete, held))
    else:
        reasons = [delete(created) for created in held]
    for created, reason in zip(held, reasons, strict=True):
        if reason is None:
            registry.forget(created.account, created.ownership_id)
            result.deleted.append(created)
        else:
            result.leftovers.append(Leftover(created.account, created.ownership_id, reason))
    result.seconds = time.monotonic() - started
    return result


def clean_up_in_time(
    make_session: Callable[[AnyOf], requests.Session],
    base_url: str,
    registry: CleanupRegistry,
    time_limit: float = CLEANUP_TIME_LIMIT,
    workers: int = 1,
) -> CleanupResult:
    """`clean_up` on a session of its own whose waits end at the time limit: a spent budget cannot skip it.

    `make_session(stop)` gives the session (the run's sender, with `stop` ending its waits). A second Ctrl-C
    during the cleanup lists everything still held as left behind.
    """
    done = threading.Event()
    timer = threading.Timer(time_limit, done.set)
    timer.daemon = True
    timer.start()
    session = make_session(AnyOf(done))
    try:
        return clean_up(session, base_url, registry, time_limit=time_limit, workers=workers)
    except KeyboardInterrupt:
        reason = "cleanup interrupted (Ctrl-C twice)"
        return CleanupResult(leftovers=[Leftover(held.account, held.ownership_id, reason) for held in registry.held()])
    finally:
        timer.cancel()
        session.close()


def _find_expected(session: requests.Session, base_url: str, registry: CleanupRegistry) -> None:
    """Track the records that creates without a readable answer made after all (found by their bucket)."""
    by_account: dict[str, set[str]] = {}
    for account, conf in registry.expected():
        by_account.setdefault(account, set()).add(conf)
    for account, confs in by_account.items():
        try:
            response = session.get(base_url + ownerships_path(account))
        except (requests.RequestException, Cancelled, UsageError):
            continue
        before = registry.pre_existing(account)
        for record in listed(response.content) if response.status_code == 200 else []:
            ownership_id, listed_conf = record.get("id"), record.get("destination_conf")
            if isinstance(ownership_id, str) and listed_conf in confs and ownership_id not in before:
                registry.track(account, ownership_id, listed_conf)


def listed(content: bytes) -> list[dict[str, Any]]:
    """The records of a list answer's `result` (nothing when the body is not such an answer)."""
    try:
        result = json.loads(content).get("result")
    except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
        return []
    return [record for record in result if isinstance(record, dict)] if isinstance(result, list) else []


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
        except Cancelled as stopped:  # its text says why: the cleanup's time, a dead target, a Retry-After too long
            return str(stopped)
        except requests.RequestException as exc:
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


def created_by(method: str, url: str, status: int, content: bytes) -> tuple[str, str] | None:
    """(account, id) of the ownership a create made, both decoded, or None when the answer is no create."""
    if method.upper() != "POST" or not 200 <= status < 300:
        return None
    segments = [unquote(segment) for segment in urlsplit(url).path.rstrip("/").split("/")]
    if len(segments) < 4 or segments[-2:] != ["pcaps", "ownership"] or segments[-4] != "accounts":
        return None
    try:
        result = json.loads(content).get("result")
    except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
        return None
    if isinstance(result, dict) and isinstance(result.get("id"), str) and result["id"]:
        return segments[-3], result["id"]
    return None
