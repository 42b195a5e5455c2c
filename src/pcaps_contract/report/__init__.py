"""Reports of a run: the run's report and its text, JSON and JUnit (`run_report`), HTML (`html`), the report folder
(`folder`), the event log (`eventlog`), the progress line (`progress`), the command line a report shows
(`command_line`), the documented responses a run saw (`responses`) and CTRF (`ctrf`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.report.command_line import shown_command
    from pcaps_contract.report.ctrf import ctrf_document, write_ctrf
    from pcaps_contract.report.eventlog import EventLog
    from pcaps_contract.report.folder import (
        CTRF_FILE,
        EVENTS_FILE,
        HTML_FILE,
        JUNIT_FILE,
        RESULT_FILE,
        UNFINISHED,
        RunEvents,
        prepare_report_dir,
        prepare_report_file,
        write_report_dir,
        write_reports,
        write_unfinished,
    )
    from pcaps_contract.report.html import environment, verdict_class
    from pcaps_contract.report.progress import Progress, format_seconds
    from pcaps_contract.report.responses import Covered, coverage
    from pcaps_contract.report.run_report import TEXT_STYLES, GateReport, RunListener, redacted_failure, utc_now

__all__ = [
    "CTRF_FILE",
    "EVENTS_FILE",
    "HTML_FILE",
    "JUNIT_FILE",
    "RESULT_FILE",
    "TEXT_STYLES",
    "UNFINISHED",
    "Covered",
    "EventLog",
    "GateReport",
    "Progress",
    "RunEvents",
    "RunListener",
    "coverage",
    "ctrf_document",
    "environment",
    "format_seconds",
    "prepare_report_dir",
    "prepare_report_file",
    "redacted_failure",
    "shown_command",
    "utc_now",
    "verdict_class",
    "write_ctrf",
    "write_report_dir",
    "write_reports",
    "write_unfinished",
]


def __getattr__(name: str) -> Any:
    return _face.served(__name__, name)
