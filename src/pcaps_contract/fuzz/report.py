"""A fuzz run's reports: text for the terminal, and in `--report-dir` JSON, JUnit XML, HTML and replay files.

Every text of the result is redacted on its own before anything joins, cuts or renders it (`Credentials.redact`),
so a secret that a server echoed never reaches a report, whole or in pieces; each file is then only its format's
encoding of that data (JSON, JUnit XML, escaped HTML, Python literals), nothing replaced in it afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pcaps_contract._credentials import API_KEY_ENV, EMAIL_ENV, TOKEN_ENV, Credentials, redact_data
from pcaps_contract._files import write_whole
from pcaps_contract._text import json_text
from pcaps_contract.fuzz.baseline import baseline_document
from pcaps_contract.fuzz.chart import clock_label
from pcaps_contract.fuzz.replay import replay_filename, write_replay
from pcaps_contract.fuzz.result import FuzzResult
from pcaps_contract.judge import Failure, Ledger
from pcaps_contract.openapi import in_report_order
from pcaps_contract.report import CTRF_FILE, EVENTS_FILE, HTML_FILE, JUNIT_FILE, RESULT_FILE, RunReport, write_ctrf

BASELINE_FILE = "baseline.json"
REPLAY_DIR = "replay"
# What the report directory holds besides the page, as the page links it.
REPORT_FILES = (
    (RESULT_FILE, "everything, machine-readable"),
    (EVENTS_FILE, "one event a line, as it happened"),
    (JUNIT_FILE, "one testcase per operation x check"),
    (CTRF_FILE, "one test per operation x check, in the Common Test Report Format"),
    (BASELINE_FILE, "accepts every finding of this run (--baseline)"),
)


def placeholder_credentials(key_pair: bool) -> Credentials:
    """Credentials that are the variable names themselves: curl commands come out right, nothing to redact."""
    if key_pair:
        return Credentials(email=f"${EMAIL_ENV}", api_key=f"${API_KEY_ENV}")
    return Credentials(token=f"${TOKEN_ENV}")


@dataclass
class Reporter:
    """Renders one result; `credentials` give the curl header style and the secrets to redact."""

    result: FuzzResult
    credentials: Credentials

    def __post_init__(self) -> None:
        # Each value on its own: a value cut short by the run still ends where the secret was cut.
        self.result = FuzzResult.from_json(redact_data(self.result.as_json(), self.credentials.redact))

    def run_report(self, with_known: bool = False) -> RunReport:
        """The run's report (`RunReport`) over the same results, for its JUnit XML, its matrix and its redaction.

        A known finding (in the baseline) fails its cell only `with_known`: JUnit fails on new findings alone, while
        the HTML matrix shows every check that broke.
        """
        ledger = Ledger(self.result.operations, fuzzed_checks())
        for label, count in sorted(self.result.passes.items()):
            operation, _, check = label.partition(" ")
            ledger.cell(operation, check).passed += count
        for finding in self.result.findings if with_known else self.result.new_findings:
            step = finding.exemplar.step
            ledger.failed(Failure(finding.operation, finding.check, finding.expected, finding.received, (step,)))
            ledger.cells[(finding.operation, finding.check)].failed += finding.count - 1  # every sighting
        return RunReport(
            target=self.result.target,
            seed=cast(int, self.result.seed),
            profile=f"fuzz ({self.result.budget})",
            ledger=ledger,
            credentials=self.credentials,
            seconds=self.result.seconds,
            requests=int(self.result.sender.get("requests", 0)),
            error=self.result.stop_reason if self.result.crashed or self.result.interrupted else None,
            leftovers=list(self.result.leftovers),
            started_at=self.result.started_at,
            spec_sha256=self.result.spec_sha256,
            command=self.result.command,
            documented=self.result.documented,
            answers={name: dict(stats.answers) for name, stats in self.result.per_operation.items()},
        )

    @property
    def redact(self) -> Callable[[str], str]:
        return self.credentials.redact

    def curl(self, index: int) -> str:
        return self.result.findings[index].exemplar.step.curl(self.credentials)

    def render_text(self, report_dir: Path | None = None) -> str:
        """What the terminal shows at the end of a run."""
        result = self.result
        lines = [f"Target: {result.target}", ""]
        distinct = Counter(finding.operation for finding in result.findings)
        lines.append(
            f"{'operation':<16} {'cases':>6} {'2xx':>5} {'4xx':>5} {'5xx':>5} {'429':>5} {'errors':>6} {'findings':>8} "
            "failed checks"
        )
        for name in in_report_order(result.per_operation):
            stats = result.per_operation[name]
            s = stats.statuses
            lines.append(
                f"{name:<16} {stats.cases:>6} {s.get('2xx', 0):>5} {s.get('4xx', 0):>5} {s.get('5xx', 0):>5} "
                f"{stats.throttled:>5} {stats.transport_errors:>6} {distinct[name]:>8} {stats.findings:>13}"
            )
        for index, finding in enumerate(result.findings):
            tag = "known" if finding.known else "NEW"
            lines += [
                "",
                f"[{tag}] {finding.check} on {finding.operation} ({finding.count}x, {finding.key})",
                f"  Expected: {finding.expected}",
                f"  Received: {finding.received}",
                f"  Reproduce: {self.curl(index)}",
            ]
            if report_dir is not None:
                lines.append(f"  Replay: pytest {report_dir / REPLAY_DIR / replay_filename(finding)}")
        lines += [f"LEFT BEHIND: {leftover.described}" for leftover in result.leftovers]
        for error in result.errors:
            lines.append(f"error: {error}")
        sender = result.sender
        lines += [
            "",
            f"{result.cases} cases, {int(sender.get('requests', 0))} requests "
            f"({int(sender.get('throttled', 0))} answered 429, {_retried(sender)} of them retried), "
            f"{result.created} created ({result.deleted_while_fuzzing} deleted by fuzzed deletes, "
            f"{result.deleted} by the cleanup, {len(result.leftovers)} left); seed {result.seed}; "
            f"{result.seconds:.1f}s; stopped: {result.stop_reason}",
            f"{result.verdict()} (exit {result.exit_code()})",
        ]
        return "\n".join(lines)

    def write(self, directory: Path) -> None:
        """Write result.json, junit.xml, report.html, baseline.json and one replay file per finding."""
        directory.mkdir(parents=True, exist_ok=True)
        _write(directory / RESULT_FILE, json_text(self.result.as_json(), indent=2))
        self.run_report().write_junit(directory / JUNIT_FILE)
        write_ctrf(self.run_report(), directory / CTRF_FILE)
        _write(directory / BASELINE_FILE, json_text(baseline_document(self.result.findings), indent=2))
        for finding in self.result.findings:
            write_replay(finding, directory / REPLAY_DIR, self._base_url(), self.redact)
        _write(directory / HTML_FILE, self.render_html(directory))

    def _base_url(self) -> str:
        return self.result.target.split(", ")[0]

    def render_html(self, directory: Path) -> str:
        """The page: verdict, run, timeline, operation x check matrix, per-operation answers, findings, files.

        Every link is relative to `directory`, so the page works wherever the folder is downloaded to.
        """
        from markupsafe import Markup

        from pcaps_contract.fuzz.chart import timeline_svg
        from pcaps_contract.report import environment, verdict_class

        result = self.result
        findings: list[dict[str, Any]] = []
        anchored: set[tuple[str, str]] = set()
        for index, finding in enumerate(result.findings):
            cell = (finding.operation, finding.check)
            findings.append(
                {
                    "finding": finding,
                    "curl": [self.curl(index)],
                    "replay": f"{REPLAY_DIR}/{replay_filename(finding)}",
                    "cell_anchor": cell not in anchored,  # the matrix's link lands on the cell's first finding
                    "tags": [
                        "known (baseline)" if finding.known else "new",
                        f"seen {finding.count}x",
                        f"first at {clock_label(finding.first_seen)}",
                        finding.key,
                    ],
                }
            )
            anchored.add(cell)
        first_seen = [
            (finding.first_seen, f"{finding.check} on {finding.operation}, first seen at {finding.first_seen:g} s")
            for finding in result.findings
        ]
        codes = sorted({code for stats in result.per_operation.values() for code in stats.codes}, key=_status_order)
        report = self.run_report(with_known=True)
        return (
            environment(("pcaps_contract.fuzz", "templates"))
            .get_template("report.html.j2")
            .render(
                result=result,
                report=report,
                metadata=report.metadata,
                sender=result.sender,
                findings=findings,
                distinct=Counter(finding.operation for finding in result.findings),
                codes=codes,
                per_operation=[(name, result.per_operation[name]) for name in in_report_order(result.per_operation)],
                coverage_rows=report.coverage(),
                timeline=Markup(timeline_svg(result.timeline, first_seen)) if result.timeline.buckets else None,
                files=[(name, what) for name, what in REPORT_FILES if (directory / name).is_file()],
                verdict_class=verdict_class(result.exit_code()),
            )
        )


def fuzzed_checks() -> list[str]:
    """The checks a fuzz run judges, in the gate's report order: the built-ins it keeps, then the response checks."""
    from pcaps_contract.fuzz.run import EXCLUDED_BUILTINS
    from pcaps_contract.judge import BUILTIN_CHECKS, RESPONSE_CHECKS

    return [name for name in BUILTIN_CHECKS if name not in EXCLUDED_BUILTINS] + list(RESPONSE_CHECKS)


def _status_order(code: str) -> tuple[int, str]:
    return (int(code), code) if code.isdigit() else (1000, code)


def _write(path: Path, text: str) -> None:
    write_whole(path, text + "\n")


def _retried(sender: dict[str, float]) -> int:
    """How many 429s were waited out and sent again: every 429 but those given up on (never retried)."""
    return int(sender.get("throttled", 0)) - int(sender.get("throttle_gave_up", 0))
