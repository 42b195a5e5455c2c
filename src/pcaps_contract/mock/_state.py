"""The mock's memory: each account's ownership records, safe to use from many threads at once."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

Status = Literal["pending", "success", "failed"]
# What a record costs besides its text: the object, its dict entries and the strings' headers, about.
RECORD_OVERHEAD = 512
MIB = 1 << 20


_last_second: list[Any] = [None, ""]


def now_rfc3339() -> str:
    """The current time as an RFC 3339 UTC timestamp, e.g. `2026-11-26T11:05:00Z` (formatted once a second)."""
    second = int(time.time())
    cached = _last_second
    if cached[0] != second:
        cached[1] = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        cached[0] = second
    return str(cached[1])


@dataclass(frozen=True)
class Ownership:
    """One bucket added to an account, with the challenge content Cloudflare would write into it."""

    id: str
    destination_conf: str
    filename: str
    status: Status
    submitted: str
    validated: str
    challenge: str

    @classmethod
    def new(cls, destination_conf: str) -> Ownership:
        """A pending record with a fresh 32-hex id and challenge content."""
        ownership_id = uuid.uuid4().hex
        return cls(
            id=ownership_id,
            destination_conf=destination_conf,
            filename=f"ownership-challenge-{ownership_id}.txt",
            status="pending",
            submitted=now_rfc3339(),
            # The real API answers a bucket not yet validated with an empty string here.
            validated="",
            challenge=secrets.token_hex(32),
        )

    @property
    def stored_bytes(self) -> int:
        """What holding the record costs, about: its text as UTF-8 plus a fixed overhead (status and times, whose
        size a validation changes, are in the overhead, so that a record costs the same from add to delete)."""
        texts = (self.id, self.destination_conf, self.filename, self.challenge)
        return RECORD_OVERHEAD + sum(len(text.encode("utf-8", "surrogatepass")) for text in texts)

    def to_json(self) -> dict[str, Any]:
        """The record as the API shows it (the challenge content is only ever in the bucket)."""
        return {
            "id": self.id,
            "destination_conf": self.destination_conf,
            "filename": self.filename,
            "status": self.status,
            "submitted": self.submitted,
            "validated": self.validated,
        }


class Store:
    """Ownership records per account, in the order they were added; every method holds one lock.

    Bounded three ways, whatever clients send: records across accounts (`capacity`), their bytes across accounts
    (`max_bytes`) and one account's bytes (`max_account_bytes`), so that one client cannot take all of it.
    """

    def __init__(self, capacity: int, max_bytes: int = 256 * MIB, max_account_bytes: int = 64 * MIB) -> None:
        self.capacity = capacity
        self.max_bytes = max_bytes
        self.max_account_bytes = max_account_bytes
        self._lock = threading.Lock()
        self._accounts: dict[str, dict[str, Ownership]] = {}
        self._count = 0
        self._bytes = 0
        self._account_bytes: dict[str, int] = {}

    @property
    def stored_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def add(self, account_id: str, record: Ownership) -> str | None:
        """Keep a record; None when kept, else the sentence saying which bound it would cross."""
        cost = record.stored_bytes + len(account_id)
        with self._lock:
            if self._count >= self.capacity:
                return f"the mock holds at most {self.capacity} buckets across accounts; delete some or restart it."
            if self._bytes + cost > self.max_bytes:
                return (
                    f"the mock holds at most {_mib(self.max_bytes)} of buckets across accounts; "
                    "delete some or restart it."
                )
            if self._account_bytes.get(account_id, 0) + cost > self.max_account_bytes:
                return f"the mock holds at most {_mib(self.max_account_bytes)} of buckets per account; delete some."
            self._accounts.setdefault(account_id, {})[record.id] = record
            self._count += 1
            self._bytes += cost
            self._account_bytes[account_id] = self._account_bytes.get(account_id, 0) + cost
            return None

    def list(self, account_id: str) -> list[Ownership]:
        with self._lock:
            return list(self._accounts.get(account_id, {}).values())

    def get(self, account_id: str, ownership_id: str) -> Ownership | None:
        with self._lock:
            return self._accounts.get(account_id, {}).get(ownership_id)

    def delete(self, account_id: str, ownership_id: str) -> bool:
        """Remove a record; False when the account has no record with that id."""
        with self._lock:
            records = self._accounts.get(account_id)
            gone = records.pop(ownership_id, None) if records is not None else None
            if records is None or gone is None:
                return False
            cost = gone.stored_bytes + len(account_id)
            self._count -= 1
            self._bytes -= cost
            self._account_bytes[account_id] -= cost
            if not records:
                del self._accounts[account_id]
                del self._account_bytes[account_id]
            return True

    def validate(self, account_id: str, destination_conf: str, challenge: str) -> Ownership | None:
        """Check a challenge against the account's records for a bucket; None when the bucket was never added.

        The record whose challenge content matches becomes `success`; when none matches, the newest record
        for the bucket becomes `failed`.
        """
        with self._lock:
            records = self._accounts.get(account_id, {})
            candidates = [r for r in reversed(records.values()) if r.destination_conf == destination_conf]
            if not candidates:
                return None
            sent = challenge.encode("utf-8", "surrogatepass")
            matching = next((r for r in candidates if secrets.compare_digest(r.challenge.encode(), sent)), None)
            if matching is not None:
                updated = replace(matching, status="success", validated=now_rfc3339())
            else:
                updated = replace(candidates[0], status="failed")
            records[updated.id] = updated
            return updated

    def challenge(self, account_id: str, ownership_id: str) -> str | None:
        """The challenge content of a record (test support)."""
        record = self.get(account_id, ownership_id)
        return record.challenge if record is not None else None


def _mib(size: int) -> str:
    return f"{size / MIB:g} MiB"
