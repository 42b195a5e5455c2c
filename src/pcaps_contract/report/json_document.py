"""A run's report as one JSON document (`--report`, the report folder's result.json): its metadata, verdict and
exit code, each operation x check cell, the probes and the documented responses seen, every text redacted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcaps_contract._files import write_whole
from pcaps_contract._text import json_text
from pcaps_contract.judge import SKIPPED, Cell

if TYPE_CHECKING:
    from pcaps_contract.report.run_report import RunReport


def json_document(report: RunReport) -> dict[str, Any]:
    """Everything the report says as JSON data, every text redacted."""
    shown = report.shown()
    cells = []
    for operation, check in report.ledger.judgeable():
        cell = report.ledger.cells.get((operation, check)) or Cell()
        entry: dict[str, Any] = {
            "operation": operation,
            "check": check,
            "status": cell.status,
            "passed": cell.passed,
            "failed": cell.failed,
        }
        if cell.status == SKIPPED:
            entry["reason"] = shown.why_never_applied(operation, check)
        if cell.failure is not None:
            failure = report.redacted(cell.failure)
            entry["expected"] = failure.expected
            entry["received"] = failure.received
            entry["reproduce"] = report.reproduction(cell.failure)
        cells.append(entry)
    return {
        **shown.metadata,
        "seed": report.seed,
        "conforms": report.conforms,
        "seconds": round(report.seconds, 3),
        "requests": report.requests,
        "exit_code": report.exit_code,
        "error": shown.error,
        "leftovers": [dict(leftover.__dict__) for leftover in shown.leftovers],
        "notes": shown.notes,
        "never_judged": shown.never_judged,
        "results": cells,
        "probes": [{key: report.redact(value) for key, value in probe.items()} for probe in report.probes],
        "coverage": [row.as_json() for row in report.coverage()],
    }


def write_json(report: RunReport, path: Path) -> None:
    """The report's JSON document into `path`, indented."""
    write_whole(path, json_text(json_document(report), indent=2) + "\n")
