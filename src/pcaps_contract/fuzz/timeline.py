"""What a run did over time, in bounded memory: requests, 429s and findings per fixed-width bucket.

Buckets start one second wide; when a run outlasts MAX_BUCKETS of them, neighbours merge in pairs (the width
doubles), so a run of any length keeps at most MAX_BUCKETS numbers a series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAX_BUCKETS = 600
SERIES = ("requests", "throttled", "findings")


@dataclass
class Timeline:
    """Counts per bucket of `width` seconds since the run started, one list a series."""

    width: float = 1.0
    requests: list[int] = field(default_factory=list)
    throttled: list[int] = field(default_factory=list)  # answers with status 429
    findings: list[int] = field(default_factory=list)  # failed checks (sightings, not distinct findings)

    def series(self, name: str) -> list[int]:
        return list(getattr(self, name))

    @property
    def buckets(self) -> int:
        return max(len(self.requests), len(self.throttled), len(self.findings))

    @property
    def seconds(self) -> float:
        return self.buckets * self.width

    def add(self, at: float, **counts: int) -> None:
        """Count `counts` (series name -> how many) at `at` seconds since the start."""
        index = max(0, math.floor(at / self.width))
        while index >= MAX_BUCKETS:
            self._halve()
            index = max(0, math.floor(at / self.width))
        for name, count in counts.items():
            if count:
                values: list[int] = getattr(self, name)
                values.extend([0] * (index + 1 - len(values)))
                values[index] += count

    def _halve(self) -> None:
        """Merge each pair of neighbouring buckets: half as many, twice as wide."""
        for name in SERIES:
            values: list[int] = getattr(self, name)
            setattr(self, name, [sum(values[i : i + 2]) for i in range(0, len(values), 2)])
        self.width *= 2

    def merge(self, other: Timeline, offset: float = 0.0) -> None:
        """Add another run's series, which started `offset` seconds after this one (as parallel CI jobs do)."""
        while self.width < other.width:  # no finer than the coarser of the two
            self._halve()
        for name in SERIES:
            for index, count in enumerate(other.series(name)):
                self.add(offset + (index + 0.5) * other.width, **{name: count})

    def as_json(self) -> dict[str, Any]:
        return {"bucket_seconds": self.width, **{name: self.series(name) for name in SERIES}}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Timeline:
        data = data or {}
        lists = {name: [int(value) for value in data.get(name) or []] for name in SERIES}
        return cls(float(data.get("bucket_seconds") or 1.0), **lists)
