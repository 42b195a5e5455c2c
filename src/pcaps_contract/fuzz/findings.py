"""Findings of a fuzz run, deduplicated by (operation, check, cause), with what a person needs to reproduce each."""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from pcaps_contract._credentials import redact_bytes, redact_data
from pcaps_contract.judge import Step

# Parts of a message that vary from case to case without changing what it says: ids, timestamps, counts.
_COUNTED = r"(?= ?(?:bytes?|times|items?|entries|entry|records?|ownerships?|m?s|seconds?)\b)"
_INCIDENTAL = (
    (re.compile(r"\d{4}-\d{2}-\d{2}[Tt ][\d:.]+(?:[Zz]|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\b[0-9a-f]{16,}\b"), "<id>"),
    (re.compile(r"\b\d+(?:\.\d+)?" + _COUNTED), "N"),
)
# What the dedupe key blanks besides: quoted values and every other number (`RFC 3339`, a status), so that one
# broken rule is one finding however many values and statuses show it.
_VARYING = (*_INCIDENTAL, (re.compile(r'"[^"]*"'), '"…"'), (re.compile(r"\d+(?:\.\d+)?"), "N"))
TRANSPORT_CHECK = "request_completes"
Redact = Callable[[str], str]
_SHOWN_LENGTH = 240


def _first_line(text: str, redact: Redact | None) -> str:
    text = redact(text) if redact is not None else text
    return text.strip().splitlines()[0] if text.strip() else ""


def _blank(text: str, patterns: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    for pattern, placeholder in patterns:
        text = pattern.sub(placeholder, text)
    return text


def normalise_cause(text: str, redact: Redact | None = None) -> str:
    """A message reduced to what stays the same for every case with the same cause (redacted before it is cut).

    This is what a finding's key is made of; people read `readable_cause` instead.
    """
    return _blank(_first_line(text, redact), _VARYING)[:160]


def readable_cause(text: str, redact: Redact | None = None) -> str:
    """A message as a person reads it in a report: only ids, times and counts blanked, other numbers kept."""
    return _blank(_first_line(text, redact), _INCIDENTAL)[:_SHOWN_LENGTH]


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
    # The body's exact bytes (`body` is only their readable text, undecodable bytes replaced): what a replay sends.
    body_base64: str | None = None

    @property
    def step(self) -> Step:
        return Step(self.method, self.url, self.headers, self.body, self.authenticated)

    @property
    def size(self) -> int:
        return len(self.url) + len(self.body or "")

    @property
    def content(self) -> bytes | None:
        """The body as it was sent: its exact bytes when recorded, else its text in UTF-8."""
        if self.body_base64 is not None:
            return base64.b64decode(self.body_base64)
        return self.body.encode("utf-8", "surrogateescape") if self.body is not None else None

    def redacted(self, redact: Redact) -> Exemplar:
        """The same request with every secret in its URL, parameters, headers and body replaced."""
        raw = None if self.body_base64 is None else base64.b64decode(self.body_base64)
        return replace(
            self,
            url=redact(self.url),
            path_parameters=redact_data(self.path_parameters, redact),
            query=redact_data(self.query, redact),
            headers={redact(name): redact(value) for name, value in self.headers.items()},
            body=None if self.body is None else redact(self.body),
            body_base64=None if raw is None else base64.b64encode(redact_bytes(raw, redact)).decode("ascii"),
        )


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
    # The cause as people read it (numbers such as `RFC 3339` kept); `cause` is the dedupe signature behind the key.
    # Empty in results written before it existed: reports then show `cause`.
    readable: str = ""

    @property
    def key(self) -> str:
        return finding_key(self.operation, self.check, self.cause)

    @property
    def shown_cause(self) -> str:
        return self.readable or self.cause

    def redacted(self, redact: Redact) -> Finding:
        """The same finding with every secret in its texts and its exemplar replaced by its variable's name."""
        return replace(
            self,
            cause=redact(self.cause),
            readable=redact(self.readable),
            expected=redact(self.expected),
            received=redact(self.received),
            exemplar=self.exemplar.redacted(redact),
        )

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Finding:
        fields = {name: value for name, value in data.items() if name != "key"}
        return cls(**{**fields, "exemplar": Exemplar(**fields["exemplar"])})


class FindingSet:
    """Findings by key; the first sighting decides the order, the smallest exemplar is kept. Thread-safe."""

    def __init__(self, known_keys: frozenset[str] = frozenset(), redact: Redact | None = None) -> None:
        self.known_keys = known_keys
        self.redact = redact
        self._lock = threading.Lock()
        self._findings: dict[str, Finding] = {}

    def add(self, finding: Finding) -> bool:
        """Record a sighting (redacted first); True when this (operation, check, cause) was not seen before."""
        if self.redact is not None:
            finding = finding.redacted(self.redact)
        finding = replace(finding, known=finding.key in self.known_keys)
        with self._lock:
            seen = self._findings.get(finding.key)
            self._findings[finding.key] = finding if seen is None else combine(seen, finding)
            return seen is None

    def all(self) -> list[Finding]:
        with self._lock:
            return list(self._findings.values())


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
