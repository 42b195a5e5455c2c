"""Reports of a run: the run's report and its verdict (`run_report`), each format by its own writer (text `text`,
JSON `json_document`, JUnit `junit`, HTML `html`, CTRF `ctrf`), the report folder (`folder`), the one stream of a
run's events and its listeners' shape (`stream`), the event log (`eventlog`), the progress line (`progress`), the
command line a report shows (`command_line`) and the documented responses a run saw (`responses`)."""

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
    from pcaps_contract.report.junit import xml_safe
    from pcaps_contract.report.progress import Progress, format_seconds
    from pcaps_contract.report.responses import Covered, coverage
    from pcaps_contract.report.run_report import RunReport, redacted_failure, run_ending, utc_now
    from pcaps_contract.report.stream import (
        Event,
        FailureFound,
        Listener,
        Noted,
        Progressed,
        RunFinished,
        RunStarted,
        fan_out,
    )
    from pcaps_contract.report.text import TEXT_STYLES, failure_text

__all__ = [
    "CTRF_FILE",
    "EVENTS_FILE",
    "HTML_FILE",
    "JUNIT_FILE",
    "RESULT_FILE",
    "TEXT_STYLES",
    "UNFINISHED",
    "Covered",
    "Event",
    "EventLog",
    "FailureFound",
    "Listener",
    "Noted",
    "Progress",
    "Progressed",
    "RunEvents",
    "RunFinished",
    "RunReport",
    "RunStarted",
    "coverage",
    "ctrf_document",
    "environment",
    "failure_text",
    "fan_out",
    "format_seconds",
    "prepare_report_dir",
    "prepare_report_file",
    "redacted_failure",
    "run_ending",
    "shown_command",
    "utc_now",
    "verdict_class",
    "write_ctrf",
    "write_report_dir",
    "write_reports",
    "write_unfinished",
    "xml_safe",
]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
