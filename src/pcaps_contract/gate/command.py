"""`pcaps-contract check`: the report files prepared, the options resolved, the gate run, its reports written.

Once a report file is known to be writable, a run refused after that (bad options, an unreachable target) still
writes it, saying why; until the run writes its own, each says the run did not finish.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcaps_contract._errors import PcapsContractError

if TYPE_CHECKING:
    from pcaps_contract.gate.options import GateOptions
    from pcaps_contract.report import RunReport


def run_check(
    flags: Mapping[str, Any],
    *,
    junit_xml: Path | None,
    json_report: Path | None,
    report_dir: Path | None,
    verbose: bool,
    argv: tuple[str, ...],
) -> int:
    """Run the gate with the parsed `GATE_ARGUMENTS` (`flags`, by dest) and print its end; returns the exit code."""
    from pcaps_contract._terminal import painted
    from pcaps_contract.engine import stop_on_signals
    from pcaps_contract.gate.options import options_from
    from pcaps_contract.gate.progress import ProgressLine, segments
    from pcaps_contract.gate.run import run_gate
    from pcaps_contract.report import (
        EVENTS_FILE,
        TEXT_STYLES,
        UNFINISHED,
        Progress,
        RunEvents,
        RunFinished,
        fan_out,
        prepare_report_dir,
        prepare_report_file,
        shown_command,
        utc_now,
        write_reports,
    )

    junit: Path | None = None
    json_path: Path | None = None
    folder: Path | None = None
    try:
        junit = prepare_report_file(junit_xml, "--junit-xml")
        json_path = prepare_report_file(json_report, "--report")
        folder = prepare_report_dir(report_dir, files=(EVENTS_FILE,))
        options = options_from(flags.__getitem__, os.environ)
    except PcapsContractError as exc:  # refused once a file was prepared: that file says why, not stays empty
        write_reports(_refused_report(flags, exc), junit, json_path, folder, "check", argv)
        raise
    outputs = (junit, json_path)
    # Until the run writes its own, the reports say it did not finish: what a killed run leaves behind.
    write_reports(_refused_report(flags, UNFINISHED, options), *outputs, folder, "check", argv)
    redact = options.credentials.redact
    events = RunEvents(folder / EVENTS_FILE if folder else None, redact, shown_command(argv, redact))
    started_at = utc_now()
    interrupt = threading.Event()
    # On a terminal a live line (in colour); in CI a plain line every half minute, so a long run shows it is alive.
    progress = ProgressLine(Progress(sys.stderr, segments, interval=30.0))
    listener = fan_out(progress, events)
    if options.rate is not None and not options.target.in_process:  # said up front: how long the limit makes it
        print(_rate_note(options.rate, options.expected_requests(), options.max_time), file=sys.stderr)
    try:
        with stop_on_signals(interrupt):
            report = run_gate(options, interrupt, listener)
    except PcapsContractError as exc:
        # Nothing was judged; the files a CI step publishes still exist, saying why.
        report = _refused_report(flags, exc, options)
        report.started_at = started_at
        write_reports(report, *outputs, folder, "check", argv)
        listener(RunFinished(report))
        raise
    print(painted(report.render(verbose), TEXT_STYLES))
    write_reports(report, *outputs, folder, "check", argv)
    listener(RunFinished(report))
    return report.exit_code


def _rate_note(rate: float, expected: int, max_time: float) -> str:
    """The note a rate-limited run starts with: about how many requests, and how long the limit makes them."""
    from pcaps_contract.report import format_seconds

    seconds = expected / rate
    note = f"note: at most {rate:g} requests/s: about {expected} requests, {format_seconds(seconds)} or more"
    if seconds > max_time:
        note += f"; --max-time {max_time:g}s ends it before (raise it to judge everything)"
    return note + "."


def _refused_report(
    flags: Mapping[str, Any], exc: PcapsContractError | str, options: GateOptions | None = None
) -> RunReport:
    """The report of a run that judged nothing (refused options, an unreachable target): the reason as its error."""
    from pcaps_contract._credentials import redacting_placeholder
    from pcaps_contract.judge import Ledger
    from pcaps_contract.report import RunReport, utc_now

    if options is not None:
        target, seed, profile, credentials = (
            options.target.description,
            options.seed or 0,
            options.profile or "quick",
            options.credentials,
        )
    else:  # the options were refused, so the credentials may not be whole: their values are only redacted
        credentials = redacting_placeholder(flags["token"], flags["email"], flags["api_key"], os.environ)
        target = flags["base_url"] or (f"--app {flags['app']}" if flags["app"] else "the bundled mock")
        seed, profile = flags["seed"] or 0, flags["profile"] or "quick"
    return RunReport(target, seed, profile, Ledger([], []), credentials, error=str(exc), started_at=utc_now())
