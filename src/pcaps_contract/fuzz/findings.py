"""Findings of a fuzz run, deduplicated by (operation, check, cause), with what a person needs to reproduce each."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pcaps_contract.report import Step

# Parts of a message that vary from case to case without changing the cause: ids, timestamps, numbers, quotes.
_VARYING = (
    (re.compile(r"\d{4}-\d{2}-\d{2}[Tt ][\d:.]+(?:[Zz]|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b[0-9a-f]{16,}\b"), "<id>"),
    (re.compile(r'"[^"]*"'), '"…"'),
    (re.compile(r"\d+(?:\.\d+)?"), "N"),
)
TRANSPORT_CHECK = "request_completes"


def normalise_cause(text: str) -> str:
    """A message reduced to what stays the same for every case with the same cause."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    for pattern, placeholder in _VARYING:
        first = pattern.sub(placeholder, first)
    return first[:160]


def finding_key(operation: str, check: str, cause: str) -> str:
    """A short stable id for (operation, check, cause): the same finding has the same id on every run."""
    return hashlib.sha256(f"{operation}\0{check}\0{cause}".encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Exemplar:
    """The request that showed a finding, as it was sent (credentials left out), and what came back."""

    operation: str
    method: str
    url: str
    path_parameters: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    status: int | None = None
    authenticated: bool = True

    @property
    def step(self) -> Step:
        return Step(self.method, self.url, self.headers, self.body, self.authenticated)

    @property
    def size(self) -> int:
        return len(self.url) + len(self.body or "")


@dataclass(frozen=True)
class Finding:
    """One distinct broken rule: seen `count` times, shown by its smallest exemplar."""

    operation: str
    check: str
    cause: str
    expected: str
    received: str
    exemplar: Exemplar
    count: int = 1
    first_seen: float = 0.0
    known: bool = False

    @property
    def key(self) -> str:
        return finding_key(self.operation, self.check, self.cause)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        fields = {name: value for name, value in data.items() if name != "key"}
        return cls(**{**fields, "exemplar": Exemplar(**fields["exemplar"])})


class FindingSet:
    """Findings by key; the first sighting decides the order, the smallest exemplar is kept. Thread-safe."""

    def __init__(self, known_keys: frozenset[str] = frozenset()) -> None:
        self.known_keys = known_keys
        self._lock = threading.Lock()
        self._findings: dict[str, Finding] = {}

    def add(self, finding: Finding) -> bool:
        """Record a sighting; True when this (operation, check, cause) was not seen before in this run."""
        finding = replace(finding, known=finding.key in self.known_keys)
        with self._lock:
            seen = self._findings.get(finding.key)
            self._findings[finding.key] = finding if seen is None else combine(seen, finding)
            return seen is None

    def all(self) -> list[Finding]:
        with self._lock:
            return list(self._findings.values())

    def new(self) -> list[Finding]:
        return [finding for finding in self.all() if not finding.known]


def combine(seen: Finding, other: Finding) -> Finding:
    """Two sightings of one finding as one: counts added, the smaller exemplar (and its message) kept."""
    example = other if other.exemplar.size < seen.exemplar.size else seen
    return replace(
        seen,
        expected=example.expected,
        received=example.received,
        exemplar=example.exemplar,
        count=seen.count + other.count,
        first_seen=min(seen.first_seen, other.first_seen),
        known=seen.known or other.known,
    )


def merge_findings(groups: list[list[Finding]]) -> list[Finding]:
    """Findings of several runs (e.g. CI machines) as one list, in order of first appearance."""
    merged: dict[str, Finding] = {}
    for group in groups:
        for finding in group:
            seen = merged.get(finding.key)
            merged[finding.key] = finding if seen is None else combine(seen, finding)
    return list(merged.values())
