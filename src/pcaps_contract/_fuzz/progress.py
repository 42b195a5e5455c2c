"""What the fuzz progress line shows (`_progress.Progress` writes it)."""

from __future__ import annotations

from dataclasses import dataclass

from pcaps_contract._progress import format_seconds


@dataclass(frozen=True)
class Snapshot:
    """What the progress line shows."""

    cases: int
    findings: int
    new_findings: int
    requests: int
    throttled: int
    elapsed: float
    left: float | None


def render(snapshot: Snapshot) -> str:
    rate = snapshot.requests / snapshot.elapsed if snapshot.elapsed > 0 else 0.0
    left = f"{format_seconds(snapshot.left)} left" if snapshot.left is not None else "budget: examples"
    return (
        f"fuzz {format_seconds(snapshot.elapsed)}  cases {snapshot.cases}  "
        f"findings {snapshot.findings} ({snapshot.new_findings} new)  {rate:.1f} req/s  "
        f"throttled {snapshot.throttled}  {left}"
    )
