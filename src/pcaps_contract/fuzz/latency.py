"""Response times in bounded memory: a fixed histogram of log-spaced buckets, exact maximum, mergeable."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# Bucket i holds times up to FLOOR_MS * RATIO**i: 5 % wide, 1 ms to 10 minutes in 282 buckets at most.
FLOOR_MS = 1.0
RATIO = 1.05
_TOP = math.ceil(math.log(600_000 / FLOOR_MS, RATIO))
PERCENTILES = (50, 90, 99)


def bucket_of(milliseconds: float) -> int:
    """The bucket a time falls in (anything at or under 1 ms in the first, anything over 10 minutes in the last)."""
    if milliseconds <= FLOOR_MS:
        return 0
    return min(_TOP, math.ceil(math.log(milliseconds / FLOOR_MS, RATIO) - 1e-9))


def upper_bound(bucket: int) -> float:
    """The longest time bucket `bucket` holds, in milliseconds."""
    return FLOOR_MS * RATIO**bucket


@dataclass
class Latency:
    """How long answers took: counts per bucket and the longest one; percentiles within 5 %, never below."""

    buckets: dict[int, int] = field(default_factory=dict)
    max_ms: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.buckets.values())

    def record(self, seconds: float) -> None:
        milliseconds = seconds * 1000
        bucket = bucket_of(milliseconds)
        self.buckets[bucket] = self.buckets.get(bucket, 0) + 1
        self.max_ms = max(self.max_ms, milliseconds)

    def add(self, other: Latency) -> None:
        for bucket, count in other.buckets.items():
            self.buckets[bucket] = self.buckets.get(bucket, 0) + count
        self.max_ms = max(self.max_ms, other.max_ms)

    def percentile(self, percent: float) -> float | None:
        """The time under which `percent` % of the answers came (a bucket's upper bound, capped at the maximum)."""
        total = self.count
        if total == 0:
            return None
        rank = math.ceil(total * percent / 100)
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= rank:
                return min(upper_bound(bucket), self.max_ms)
        return self.max_ms

    def summary(self) -> dict[str, float | int | None]:
        """p50, p90, p99 and max in milliseconds (None without answers), and how many answers they describe."""
        shown: dict[str, float | int | None] = {"count": self.count}
        for percent in PERCENTILES:
            value = self.percentile(percent)
            shown[f"p{percent}"] = None if value is None else round(value, 1)
        shown["max"] = round(self.max_ms, 1) if self.count else None
        return shown

    def as_json(self) -> dict[str, Any]:
        return {**self.summary(), "buckets": {str(bucket): count for bucket, count in sorted(self.buckets.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Latency:
        data = data or {}
        buckets = {int(bucket): int(count) for bucket, count in (data.get("buckets") or {}).items()}
        return cls(buckets, float(data.get("max") or 0.0))
