"""The `--report-dir` of `check`, `proxy` and `verify`: result.json, junit.xml, ctrf.json, report.html, and check's
event log.

One writer for the three commands; `check` adds events.ndjson (`RunEvents`), written line by line as the run goes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, overload

from pcaps_contract._errors import UsageError
from pcaps_contract._files import write_whole
from pcaps_contract.report.command_line import shown_command
from pcaps_contract.report.eventlog import EventLog
from pcaps_contract.report.stream import Event, FailureFound, RunFinished, RunStarted

if TYPE_CHECKING:
    from pcaps_contract.judge import Failure
    from pcaps_contract.report.run_report import RunReport

RESULT_FILE = "result.json"
JUNIT_FILE = "junit.xml"
CTRF_FILE = "ctrf.json"  # `report.ctrf`'s name for it
HTML_FILE = "report.html"
EVENTS_FILE = "events.ndjson"
# A run can fail millions of times (every case of a broken operation); the log keeps the first ones.
MAX_FAILURE_EVENTS = 1000


# What every report says from the moment its file is prepared until the run writes its own over it.
UNFINISHED = "the run did not finish: it was stopped (killed, or out of memory) before it wrote its report"


@overload
def prepare_report_dir(directory: Path, flag: str = ..., files: tuple[str, ...] = ...) -> Path: ...
@overload
def prepare_report_dir(directory: Path | None, flag: str = ..., files: tuple[str, ...] = ...) -> Path | None: ...
def prepare_report_dir(directory: Path | None, flag: str = "--report-dir", files: tuple[str, ...] = ()) -> Path | None:
    """The folder created, refused at once (not after the run) when it or one of its report files (`files` beside
    the four every command writes) cannot be written; None when no folder was asked for."""
    if directory is None:
        return None
    names = (RESULT_FILE, JUNIT_FILE, CTRF_FILE, HTML_FILE, *files)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{flag} {directory} is a file; give a folder, e.g. {directory.with_suffix('')}-report.")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in names:
            path = directory / name
            if path.is_dir():
                raise UsageError(f"{flag} {directory}: {path} is a folder; remove it or choose another folder.")
            with path.open("a", encoding="utf-8"):
                pass
    except OSError as exc:
        raise UsageError(f"{flag} {directory} cannot be written ({exc.strerror}); choose another folder.") from None
    return directory


def prepare_report_file(path: Path | None, flag: str) -> Path | None:
    """A report file's path (`--junit-xml`, `--report`), its folder created; refused at once (not after the run)
    when it cannot be written; None when none was asked for."""
    if path is None:
        return None
    if path.is_dir():
        example = path / (JUNIT_FILE if flag == "--junit-xml" else RESULT_FILE)
        raise UsageError(f"{flag} {path} is a folder; give a file name, e.g. {example}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {path} cannot be written ({exc.strerror}); choose another path.") from None
    return path


def write_reports(
    report: RunReport,
    junit: Path | None,
    json_path: Path | None,
    report_dir: Path | None,
    command: str,
    argv: tuple[str, ...] = (),
) -> None:
    """Every report file asked for; each names the command line it was given (`argv`, shown redacted)."""
    report.command = shown_command(argv, report.redact)
    if junit is not None:
        report.write_junit(junit)
    if json_path is not None:
        report.write_json(json_path)
    if report_dir is not None:
        write_report_dir(report, report_dir, command)


def write_report_dir(report: RunReport, directory: Path, command: str) -> None:
    """result.json, junit.xml, ctrf.json and report.html of the report into the folder (each from redacted data)."""
    from pcaps_contract.report.ctrf import write_ctrf
    from pcaps_contract.report.html import render_run_report

    directory.mkdir(parents=True, exist_ok=True)
    report.write_json(directory / RESULT_FILE)
    report.write_junit(directory / JUNIT_FILE)
    write_ctrf(report, directory / CTRF_FILE)
    write_whole(directory / HTML_FILE, render_run_report(report, command) + "\n")


def write_unfinished(directory: Path, target: str, command: str) -> None:
    """Reports that say the run did not finish: the run writes its own over them, a killed run leaves these."""
    from pcaps_contract._credentials import TOKEN_ENV, Credentials
    from pcaps_contract.judge import Ledger
    from pcaps_contract.report.run_report import RunReport, utc_now

    nothing = Credentials(token=f"${TOKEN_ENV}")  # the variable itself: no secret to redact, none to show
    unfinished = RunReport(target, 0, command, Ledger([], []), nothing, error=UNFINISHED, started_at=utc_now())
    write_report_dir(unfinished, directory, command)


class RunEvents:
    """events.ndjson of `check` and `proxy`, a listener of the run's stream (`report.stream`): the run started (its
    metadata), each failure as it is found, the end.

    Thread-safe (the engines and the lifecycle's lanes record side by side), each line flushed as it is written,
    every text redacted and cut (`EventLog`), at most `MAX_FAILURE_EVENTS` failures.
    """

    def __init__(self, path: Path | None, redact: Callable[[str], str], command: str = "") -> None:
        self._log = EventLog(path, redact)
        self.command = command  # the command line (secrets as $VARIABLES), for a report that does not hold it yet
        self._lock = threading.Lock()
        self._report: RunReport | None = None
        self._failures = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._started(event.report)
        elif isinstance(event, FailureFound):
            self._failed(event.failure)
        elif isinstance(event, RunFinished):
            self._finished(event.report)

    def _started(self, report: RunReport) -> None:
        with self._lock:
            if self._report is not None:
                return
            self._report = report
        self._log.emit("run_started", **{**report.metadata, "command": report.command or self.command})

    def _failed(self, failure: Failure) -> None:
        with self._lock:
            self._failures += 1
            report, count = self._report, self._failures
        if report is None or count > MAX_FAILURE_EVENTS:
            return
        redacted = report.redacted(failure)
        self._log.emit(
            "failure",
            operation=redacted.operation,
            check=redacted.check,
            expected=redacted.expected,
            received=redacted.received,
            reproduce=report.reproduction(failure),
        )

    def _finished(self, report: RunReport) -> None:
        """The last line: counts, verdict and exit code (after a run that could not start, its start first)."""
        self._started(report)
        counts = report.counts()
        self._log.emit(
            "run_finished",
            exit_code=report.exit_code,
            verdict=report.verdict,
            error=report.error,
            seconds=round(report.seconds, 3),
            requests=report.requests,
            passed=counts["passed"],
            failed=counts["failed"],
            never_applied=counts["skipped"],
            failures_recorded=self._failures,
            failure_events=min(self._failures, MAX_FAILURE_EVENTS),
            leftovers=len(report.leftovers),
        )
        self._log.close()
