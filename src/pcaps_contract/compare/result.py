"""What a comparison found: each difference with its case and both requests, the sides, the verdict. Plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pcaps_contract.compare.divergence import Difference
from pcaps_contract.report import run_ending

DIVERGENCE = "divergence"
ALLOWED = "allowed"
NOISE = "noise"
EXIT_SAME = 0
EXIT_DIVERGED = 1
MAX_KEPT = 5000  # differences kept for the reports; beyond it they are counted only


@dataclass(frozen=True)
class Found:
    """One difference at one case: its class (`DIVERGENCE`, `ALLOWED`, `NOISE`), the side breaking the contract
    there (if one does), and each side's request as curl."""

    case: int
    operation: str
    label: str
    difference: Difference
    verdict: str
    requests: tuple[tuple[str, str], ...] = ()
    breaks: str | None = None

    def as_json(self) -> dict[str, Any]:
        difference = self.difference
        return {
            "case": self.case,
            "operation": self.operation,
            "label": self.label,
            "path": difference.path,
            "field": difference.field,
            "kind": difference.kind,
            "a": difference.a,
            "b": difference.b,
            "class": self.verdict,
            "allowed_because": difference.allowed,
            "breaks_the_contract": self.breaks,
            "requests": dict(self.requests),
        }


@dataclass
class SideSummary:
    """One side as the report names it."""

    name: str
    target: str
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    broken: dict[str, int] = field(default_factory=dict)  # check -> times the side broke it

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "requests": self.requests,
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "broken_checks": dict(sorted(self.broken.items())),
        }


@dataclass
class Outcome:
    """A whole comparison (`mode`: `compare` of two sides, `replay` of a recording against one)."""

    mode: str
    seed: int | None
    sides: list[SideSummary] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)
    cases: int = 0
    skipped: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    stopped: str | None = None  # why the run sent no more before its last case (its budget, an interrupt)
    seconds: float = 0.0
    dropped: int = 0  # divergences beyond MAX_KEPT, counted only
    command: str = ""

    def add(self, found: Found) -> None:
        """Keep the difference for the reports; beyond `MAX_KEPT`, count it (a divergence still decides the exit)."""
        if len(self.found) < MAX_KEPT:
            self.found.append(found)
        elif found.verdict == DIVERGENCE:
            self.dropped += 1

    def of(self, verdict: str) -> list[Found]:
        return [found for found in self.found if found.verdict == verdict]

    @property
    def divergences(self) -> list[Found]:
        return self.of(DIVERGENCE)

    @property
    def exit_code(self) -> int:
        ending = run_ending(len(self.leftovers), self.error, "behind")
        if ending is not None:
            return ending[0]
        return EXIT_DIVERGED if self.divergences or self.dropped else EXIT_SAME

    @property
    def verdict(self) -> str:
        ending = run_ending(len(self.leftovers), self.error, "behind")
        if ending is not None:
            return ending[1]
        names = "the recording and the target" if self.mode == "replay" else "A and B"
        count = len(self.divergences) + self.dropped
        if count:
            return f"{count} divergence(s) between {names} over {self.cases} case(s)"
        return f"no divergence between {names} over {self.cases} case(s)"

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "seed": self.seed,
            "cases": self.cases,
            "seconds": round(self.seconds, 3),
            "command": self.command,
            "sides": [side.as_json() for side in self.sides],
            "divergences": [found.as_json() for found in self.divergences],
            "allowed": [found.as_json() for found in self.of(ALLOWED)],
            "noise": [found.as_json() for found in self.of(NOISE)],
            "not_kept": self.dropped,
            "skipped": self.skipped,
            "leftovers": self.leftovers,
            "notes": self.notes,
            "error": self.error,
        }
