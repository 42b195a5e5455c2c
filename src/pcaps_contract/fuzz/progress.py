"""What the fuzz progress line shows (`_progress.Progress` writes it)."""

from __future__ import annotations

from dataclasses import dataclass

from pcaps_contract._terminal import Segment, plain, spaced
from pcaps_contract.report import format_seconds


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


def segments(snapshot: Snapshot) -> list[Segment]:
    """The line's pieces, each with its style on a colour terminal: new findings red, 429s yellow."""
    rate = snapshot.requests / snapshot.elapsed if snapshot.elapsed > 0 else 0.0
    elapsed = format_seconds(snapshot.elapsed)
    if snapshot.left is not None:
        clock, left = (
            f"fuzz {elapsed}/{format_seconds(snapshot.elapsed + snapshot.left)}",
            f"{format_seconds(snapshot.left)} left",
        )
    else:
        clock, left = f"fuzz {elapsed}", "budget: examples"
    pieces: list[Segment] = [
        (clock, "bold"),
        (f"cases {snapshot.cases}", ""),
        (
            f"findings {snapshot.findings} ({snapshot.new_findings} new)",
            "bold red" if snapshot.new_findings else "yellow" if snapshot.findings else "green",
        ),
        (f"{rate:.1f} req/s", "blue"),
        (f"throttled {snapshot.throttled} (429)", "yellow" if snapshot.throttled else "dim"),
        (left, "cyan"),
    ]
    return spaced(pieces)


def render(snapshot: Snapshot) -> str:
    """The line as plain text (CI logs, a pipe)."""
    return plain(segments(snapshot))
