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
    """Ownership records per account, in the order they were added; every method holds one lock."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._accounts: dict[str, dict[str, Ownership]] = {}
        self._count = 0

    def add(self, account_id: str, record: Ownership) -> bool:
        """Keep a record; False when the store already holds `capacity` records."""
        with self._lock:
            if self._count >= self.capacity:
                return False
            self._accounts.setdefault(account_id, {})[record.id] = record
            self._count += 1
            return True

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
            if records is None or records.pop(ownership_id, None) is None:
                return False
            self._count -= 1
            if not records:
                del self._accounts[account_id]
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
