"""The text a person reads at the end of a run: the operation x check table, each failure with its curl
reproduction, the notes, and the verdict as the last line; and how that text is coloured on a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pcaps_contract.judge import FAILED, PASSED, SKIPPED, Failure, Ledger
from pcaps_contract.report.run_report import redacted_failure, reproduction

if TYPE_CHECKING:
    from pcaps_contract._credentials import Credentials
    from pcaps_contract.report.run_report import RunReport

# How a run's text is coloured on a terminal (`_terminal.Painter.highlight`: regex, rich style), whichever command
# wrote it (`RunReport.render`, fuzz's report); anywhere else the text stays as it is, byte for byte.
TEXT_STYLES = (
    (r"\bFAIL \d+", "bold red"),
    (r"\bok \d+", "green"),
    (r"^\S+ on \S+$", "bold"),
    (r"^\[NEW\] .*$", "bold red"),
    (r"^\[known\] .*$", "yellow"),
    (r"^  (Expected|Received|Reproduce[^:]*|Replay):", "bold"),
    (r"^LEFT BEHIND: .*$", "bold red"),
    (r"^note: .*$", "yellow"),
    (r"^error: .*$", "red"),
    (r"contract violations found$", "bold red"),
    (r"could not judge: .*$", "bold yellow"),
    (r"ownership\(s\) left on the target .*$", "bold red"),
    (r"the implementation keeps the contract$", "bold green"),
    (r"^.*\(exit [123]\)$", "bold red"),
    (r"^.*\(exit 130\)$", "bold yellow"),
    (r"^.*\(exit 0\)$", "bold green"),
)


def render_text(report: RunReport, verbose: bool = False) -> str:
    """The text a person reads at the end of a run (escaped for a terminal by whoever prints it), its verdict
    the last line; the checks never judged are one line (each with its reason when `verbose`, or only one)."""
    failures = report.ledger.failures()
    counts = report.counts()
    shown = report.shown()
    parts = [f"Target: {shown.target}", "", summary_table(report.ledger), ""]
    if failures:
        parts.append(f"{len(failures)} contract violation(s):")
        parts.extend(["", *(report.render_failure(failure) + "\n" for failure in failures)])
    parts.extend(f"note: {note}" for note in shown.notes)
    parts.extend(never_judged_lines(shown.never_judged, verbose))
    parts.extend(f"LEFT BEHIND: {leftover.described}" for leftover in shown.leftovers)
    parts.append(
        f"{counts[FAILED]} failed, {counts[PASSED]} passed, {counts[SKIPPED]} skipped (operation x check); "
        f"{report.requests} requests; seed {report.seed} (profile {report.profile}); {report.seconds:.1f}s: "
        f"{shown.verdict}"
    )
    return "\n".join(parts)


def summary_table(ledger: Ledger) -> str:
    """The operation x check table: `ok N` passed N times, `FAIL N` failed N times, `-` never applied."""
    width = max(len(check) for check in ledger.checks) if ledger.checks else 5
    columns = [max(len(operation), 8) for operation in ledger.operations]
    lines = [
        "check".ljust(width) + "  " + "  ".join(op.ljust(w) for op, w in zip(ledger.operations, columns, strict=True))
    ]
    for check in ledger.checks:
        row = []
        for operation, column in zip(ledger.operations, columns, strict=True):
            cell = ledger.cells.get((operation, check))
            text = "-" if cell is None or cell.status == SKIPPED else f"ok {cell.passed}"
            if cell is not None and cell.failed:
                text = f"FAIL {cell.failed}"
            row.append(text.ljust(column))
        lines.append(check.ljust(width) + "  " + "  ".join(row).rstrip())
    return "\n".join(lines)


def failure_text(failure: Failure, credentials: Credentials, origin: str | None = None) -> str:
    """One failure as text: check on operation, Expected / Received, and the curl commands that reproduce it,
    every text redacted with `credentials` (the secrets as `$CLOUDFLARE_...` variables)."""
    shown = redacted_failure(failure, credentials.redact)
    lines = [
        f"{shown.check} on {shown.operation}",
        f"  Expected: {shown.expected}",
        f"  Received: {shown.received}",
    ]
    if failure.steps:
        lines.append("  Reproduce:" if len(failure.steps) == 1 else "  Reproduce (in order):")
        lines.extend(f"    {curl}" for curl in reproduction(failure, credentials, origin))
    return "\n".join(lines)


def never_judged_lines(never_judged: Mapping[str, str], verbose: bool) -> list[str]:
    """The notes on the checks a run never judged: one per check when `verbose` or when there is only one, else one
    line counting them (every report file keeps each check with its reason)."""
    if verbose or len(never_judged) <= 1:
        return [f"note: never judged: {check}: {reason}" for check, reason in never_judged.items()]
    return [
        f"note: {len(never_judged)} checks were never judged this run; "
        "--verbose lists each with its reason, as the reports do"
    ]
