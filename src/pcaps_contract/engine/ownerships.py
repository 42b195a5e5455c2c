"""Nothing left behind: every ownership a run creates is tracked at once and deleted before the run exits.

One registry and one cleanup serve `check` and `fuzz` alike. Accounts and ids are held decoded, as the server
spelled them; each URL is built from them with every path segment quoted exactly once. A create whose answer
could not be read (a timeout, a 5xx, a run halted while it waited) is remembered by its bucket: the cleanup lists
the account and deletes a record of that bucket, unless the record was there before the run began. When the account
cannot be listed (a dead target, the cleanup's time spent), each such create is listed as a possible leftover, by
its bucket: the cleanup always ends with every leftover listed.

Every id a server hands us passes `id_problem` as it enters the registry (`CleanupRegistry.track`), before any
request is built from it: one it refuses is never sent, and is listed as left behind, escaped.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from pcaps_contract._credentials import Redactor, r2_secrets
from pcaps_contract._errors import UsageError
from pcaps_contract._limits import CLEANUP_TIME_LIMIT
from pcaps_contract.engine.sender import AnyOf, Cancelled
from pcaps_contract.openapi import is_identifier, ownership_path, ownerships_path

# The statuses that mean an ownership is gone: deleted now, or already deleted (e.g. by a fuzzed delete).
_GONE = frozenset({200, 204, 404})
# Characters that servers and proxies split, decode or cut a path on before they route it (`%2F` read as `/`,
# `;` as a path parameter): once quoted, an id holding one could still reach another record, so it is never sent.
_PATH_SYNTAX = frozenset("/\\%?#;")
# How much of a refused id a leftover shows (escaped): enough to find it, never a whole hostile value.
_SHOWN_ID = 100
# How much of a bucket (destination_conf) a possible leftover shows, its R2 keys redacted first.
_SHOWN_CONF = 300
# Why a create whose fate is unknown (no answer, or a 5xx) is listed as a possible leftover.
MAY_EXIST = "its add got no usable answer (none, or a 5xx) and the account could not be listed afterwards: it may exist"


def text_problem(value: object, what: str, longest: int) -> str | None:
    """Why a text a server handed us cannot go into a request as it is (`what` names it), or None when it can:
    not a string, empty or over `longest` characters, or holding whitespace or a character that is not printable
    (control and format characters, and lone surrogates, which have no UTF-8 form)."""
    if not isinstance(value, str):
        return f"{what} is {'null' if value is None else type(value).__name__}, not a string"
    if not 1 <= len(value) <= longest:
        return f"{what} has {len(value)} characters, where 1 to {longest} may be sent"
    bad = next((char for char in value if char.isspace() or not char.isprintable()), None)
    if bad is not None:
        return f"{what} holds {bad!a}, which a request cannot carry as it is"
    return None


def id_problem(value: object) -> str | None:
    """Why a value a server handed us cannot be sent back as an ownership id, or None when it can.

    The spec's Identifier (a string of 1 to 32 characters), printable, without whitespace and without the
    characters paths are split or decoded on; `api_path` then quotes it exactly once.
    """
    problem = text_problem(value, "the id", 32)
    if problem is not None:
        return problem
    assert isinstance(value, str) and is_identifier(value)
    if value in (".", ".."):
        return "the id is a dot segment, which addresses another path"
    bad = next((char for char in value if char in _PATH_SYNTAX), None)
    if bad is not None:
        return f"the id holds {bad!a}, which a request path cannot carry as it is"
    return None


def shown_id(value: object) -> str:
    """A value as a leftover shows it: an id as it is when it can be sent, else its JSON text, ASCII only, cut."""
    if id_problem(value) is None:
        return str(value)
    text = _json_text(value)
    return text if len(text) <= _SHOWN_ID else text[: _SHOWN_ID - 3] + "..."


def shown_conf(value: object) -> str:
    """A bucket as a possible leftover shows it: its R2 keys replaced by their variables, then as `shown_id` shows
    a value (as it is when printable, else its JSON text), cut: redacted before it is escaped or cut."""
    text = value if isinstance(value, str) else _json_text(value)
    text = Redactor(r2_secrets(text))(text)
    if text_problem(text, "the bucket", _SHOWN_CONF) is not None:
        text = _json_text(text)
    return text if len(text) <= _SHOWN_CONF else text[: _SHOWN_CONF - 3] + "..."


def _json_text(value: object) -> str:
    try:
        return json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        return f"<{type(value).__name__}>"


@dataclass(frozen=True)
class Created:
    """One ownership this run created."""

    account: str
    ownership_id: str
    destination_conf: str | None = None


@dataclass(frozen=True)
class Leftover:
    """An ownership the cleanup could not delete, and why; or (`possible`) one a create whose fate is unknown may
    have made, known only by the bucket it named (`destination_conf`, shown redacted: `shown_conf`)."""

    account: str
    ownership_id: str
    reason: str
    destination_conf: str | None = None
    possible: bool = False

    @property
    def what(self) -> str:
        """The ownership as a report names it: by its id, or a possible one by its bucket."""
        if self.possible:
            return f"a possible ownership (id unknown) of bucket {self.destination_conf}"
        return f"ownership {self.ownership_id}"

    @property
    def id_shown(self) -> str:
        """The id as a report's table of leftovers shows it: for a possible one, that it is unknown, and its bucket."""
        return (
            f"unknown (a possible ownership of bucket {self.destination_conf})" if self.possible else self.ownership_id
        )

    @property
    def described(self) -> str:
        """The leftover as every report says it: the ownership (or the possible one), its account, and why."""
        return f"{self.what} of account {self.account} ({self.reason})"


class CleanupRegistry:
    """The ownerships a run created and has not yet seen deleted; safe to use from every worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[tuple[str, str], Created] = {}
        self._refused: dict[tuple[str, str], Leftover] = {}
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
        """The creates whose fate is still unknown (account, bucket)."""
        with self._lock:
            return sorted(self._expected)

    def resolved(self, account: str, destination_conf: str) -> None:
        """A listing of the account showed what the creates of this bucket made (or that they made nothing)."""
        with self._lock:
            self._expected.discard((account, destination_conf))

    def possible(self) -> list[Leftover]:
        """The creates whose fate is still unknown, each a possible leftover named by its bucket."""
        return [
            Leftover(account, "", MAY_EXIST, destination_conf=shown_conf(conf), possible=True)
            for account, conf in self.expected()
        ]

    def pre_existing(self, account: str) -> set[str]:
        with self._lock:
            return set(self._before.get(account, ()))

    def track(self, account: str, ownership_id: object, destination_conf: str | None = None) -> bool:
        """Hold an ownership the run created; False when its id cannot be sent back (`id_problem`).

        Such an ownership is never deleted: it is listed as left behind at once, under its escaped id.
        """
        problem = id_problem(ownership_id)
        with self._lock:
            if problem is not None:
                key = (account, _json_text(ownership_id))
                if key not in self._refused:
                    self.created += 1
                    self._refused[key] = Leftover(account, shown_id(ownership_id), f"not deleted: {problem}")
                return False
            assert isinstance(ownership_id, str)  # id_problem refuses every other type
            if (account, ownership_id) not in self._held:
                self.created += 1
            self._held[(account, ownership_id)] = Created(account, ownership_id, destination_conf)
            return True

    def refused(self) -> list[Leftover]:
        """The ownerships whose ids could not be sent back: left on the target, never addressed."""
        with self._lock:
            return list(self._refused.values())

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
    _find_expected(session, base_url, registry)
    result = CleanupResult(leftovers=registry.refused() + registry.possible())

    def delete(created: Created) -> str | None:
        try:
            url = base_url + ownership_path(created.account, created.ownership_id)
        except UsageError:
            return "an id no URL can address"
        try:
            return _delete(session, url, attempts, pause, deadline=started + time_limit)
        except Exception as exc:  # one record's failure must never stop the others' deletes
            return f"the delete failed ({type(exc).__name__})"

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
        left = [Leftover(held.account, held.ownership_id, reason) for held in registry.held()]
        return CleanupResult(leftovers=registry.refused() + registry.possible() + left)
    finally:
        timer.cancel()
        session.close()


def _find_expected(session: requests.Session, base_url: str, registry: CleanupRegistry) -> None:
    """Track the records that creates without a readable answer made after all (found by their bucket).

    An account whose listing fails (no answer, not a list answer, any error) leaves its creates unresolved:
    `CleanupRegistry.possible` lists them.
    """
    by_account: dict[str, set[str]] = {}
    for account, conf in registry.expected():
        by_account.setdefault(account, set()).add(conf)
    for account, confs in by_account.items():
        try:
            response = session.get(base_url + ownerships_path(account))
            records = _list_answer(response.content) if response.status_code == 200 else None
        except Exception:  # one account's listing failing must never stop the cleanup: its creates stay possible
            continue
        if records is None:
            continue
        before = registry.pre_existing(account)
        for record in records:
            ownership_id, listed_conf = record.get("id"), record.get("destination_conf")
            new = not isinstance(ownership_id, str) or ownership_id not in before
            if "id" in record and listed_conf in confs and new:
                registry.track(account, ownership_id, listed_conf)
        for conf in confs:
            registry.resolved(account, conf)


def listed(content: bytes) -> list[dict[str, Any]]:
    """The records of a list answer's `result` (nothing when the body is not such an answer)."""
    return _list_answer(content) or []


def _list_answer(content: bytes) -> list[dict[str, Any]] | None:
    """The records of a list answer's `result`, or None when the body is not such an answer."""
    try:
        result = json.loads(content).get("result")
    except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
        return None
    return [record for record in result if isinstance(record, dict)] if isinstance(result, list) else None


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


def created_by(method: str, url: str, status: int, content: bytes) -> tuple[str, object] | None:
    """(account, id) of the ownership a create made, the account decoded, the id as the answer holds it (any
    JSON value: `CleanupRegistry.track` judges it), or None when the answer is no create or names no id."""
    if method.upper() != "POST" or not 200 <= status < 300:
        return None
    segments = [unquote(segment) for segment in urlsplit(url).path.rstrip("/").split("/")]
    if len(segments) < 4 or segments[-2:] != ["pcaps", "ownership"] or segments[-4] != "accounts":
        return None
    try:
        result = json.loads(content).get("result")
    except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
        return None
    if isinstance(result, dict) and "id" in result:
        return segments[-3], result["id"]
    return None


def track_created(registry: CleanupRegistry, case: Any, response: Any) -> tuple[str, object] | None:
    """Hold the ownership an answer to a schemathesis case created, as soon as it arrives, before any check runs.

    The account is read from the URL that was sent (decoded once), so the cleanup deletes it where it is; the
    bucket from the case's body, for a later case to aim at (fuzz's validations of what the run created). Answers
    (account, id) as `created_by` does, or None when the answer created nothing it names.
    """
    request = response.request
    created = created_by(str(request.method), str(request.url), response.status_code, response.content)
    if created is not None:
        conf = case.body.get("destination_conf") if isinstance(case.body, dict) else None
        registry.track(*created, conf if isinstance(conf, str) else None)
    return created
