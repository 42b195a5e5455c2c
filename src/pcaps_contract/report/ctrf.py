"""The run as a CTRF document (Common Test Report Format, `ctrf.json`), for the CI dashboards that read it.

One test per operation x check the report shows (cells blank by design are no test): `passed`, `failed` (its
Expected/Received as the message, the failure with its curl reproduction as the trace) or `skipped` (never applied
this run, the reason as the message); a run that could not judge and each ownership left behind are tests of
status `other`, as JUnit's `<error>`s are. Built from the report's redacted data, like every writer; times in
milliseconds since the epoch, as the format says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcaps_contract._files import write_whole
from pcaps_contract._text import json_text

if TYPE_CHECKING:
    from pcaps_contract.report.run_report import RunReport

SPEC_VERSION = "0.0.0"  # the version of the format's schema this document follows
STATUSES = ("passed", "failed", "skipped", "pending", "other")


def ctrf_document(report: RunReport) -> dict[str, Any]:
    """The CTRF document of a gate report (`check`, `proxy`, `verify` and `fuzz` alike)."""
    shown = report.shown()
    ledger = report.ledger
    tests: list[dict[str, Any]] = []
    for operation, check in ledger.judgeable():
        cell = ledger.cells.get((operation, check))
        status = cell.status if cell is not None else "skipped"
        test: dict[str, Any] = {
            "name": f"{check} on {operation}",
            "status": status,
            "duration": round((cell.seconds if cell is not None else 0.0) * 1000),
            "suite": [operation],
            "extra": {"operation": operation, "check": check, "passed": getattr(cell, "passed", 0)},
        }
        if cell is not None and cell.failure is not None:
            failure = report.redacted(cell.failure)
            test["message"] = f"Expected: {failure.expected}\nReceived: {failure.received}"
            test["trace"] = report.render_failure(cell.failure)
            test["extra"]["failed"] = cell.failed
        elif status == "skipped":
            test["message"] = f"never applied: {shown.why_never_applied(operation, check)}"
        tests.append(test)
    if shown.error:
        tests.append({"name": "the run judges the target", "status": "other", "duration": 0, "message": shown.error})
    tests += [
        {"name": f"{left.what} is deleted", "status": "other", "duration": 0, "message": left.described}
        for left in shown.leftovers
    ]
    start = _milliseconds(shown.started_at)
    summary: dict[str, Any] = {"tests": len(tests), **{status: 0 for status in STATUSES}}
    for test in tests:
        summary[test["status"]] += 1
    summary |= {"start": start, "stop": start + round(report.seconds * 1000)}
    metadata = shown.metadata
    return {
        "reportFormat": "CTRF",
        "specVersion": SPEC_VERSION,
        "generatedBy": metadata["tool"],
        "results": {
            "tool": {"name": "pcaps-contract", "version": metadata["tool"].rpartition(" ")[2]},
            "summary": summary,
            "tests": tests,
            "environment": {"testEnvironment": metadata["target"]},
            "extra": {
                "verdict": shown.verdict,
                "exit_code": report.exit_code,
                **{name: value for name, value in metadata.items() if name not in ("tool", "target")},
            },
        },
    }


def write_ctrf(report: RunReport, path: Path) -> None:
    """The CTRF document into `path`, whole or not at all."""
    write_whole(path, json_text(ctrf_document(report), indent=2) + "\n")


def _milliseconds(started_at: str) -> int:
    """An RFC 3339 start (`2026-12-06T15:10:39Z`) in milliseconds since the epoch; now when it is unknown."""
    try:
        instant = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    except ValueError:
        instant = datetime.now(UTC)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return round(instant.timestamp() * 1000)
