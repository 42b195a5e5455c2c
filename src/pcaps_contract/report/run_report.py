"""What a gate run found, and how it is shown: the summary table, failures with curl, JUnit XML, JSON."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from pcaps_contract._credentials import Credentials
from pcaps_contract._files import write_whole
from pcaps_contract._text import json_text
from pcaps_contract.judge import FAILED, PASSED, SKIPPED, Cell, Failure, Ledger, judges

if TYPE_CHECKING:
    from pcaps_contract.engine import Leftover
    from pcaps_contract.report.responses import Covered

EXIT_CONFORMS = 0
EXIT_VIOLATIONS = 1
EXIT_COULD_NOT_JUDGE = 2
EXIT_LEFTOVERS = 3

NEVER_APPLIED = "no response of the run fell under it"
NOT_ON_THIS_OPERATION = "no response of this operation reached this check"
# How `GateReport.render`'s text is coloured on a terminal (`_terminal.Painter.highlight`: regex, rich style);
# anywhere else the text stays as it is, byte for byte.
TEXT_STYLES = (
    (r"\bFAIL \d+", "bold red"),
    (r"\bok \d+", "green"),
    (r"^\S+ on \S+$", "bold"),
    (r"^  (Expected|Received|Reproduce[^:]*):", "bold"),
    (r"^LEFT BEHIND: .*$", "bold red"),
    (r"^note: .*$", "yellow"),
    (r"contract violations found$", "bold red"),
    (r"could not judge: .*$", "bold yellow"),
    (r"ownership\(s\) left on the target .*$", "bold red"),
    (r"the implementation keeps the contract$", "bold green"),
)


def utc_now() -> str:
    """The time now as RFC 3339 UTC to the second, as every report writes a run's start."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def never_judged_lines(never_judged: Mapping[str, str], verbose: bool) -> list[str]:
    """The notes on the checks a run never judged: one per check when `verbose` or when there is only one, else one
    line counting them (every report file keeps each check with its reason)."""
    if verbose or len(never_judged) <= 1:
        return [f"note: never judged: {check}: {reason}" for check, reason in never_judged.items()]
    return [
        f"note: {len(never_judged)} checks were never judged this run; "
        "--verbose lists each with its reason, as the reports do"
    ]


@dataclass
class GateReport:
    """Everything a run found, ready to print or save."""

    target: str
    seed: int
    profile: str
    ledger: Ledger
    credentials: Credentials
    seconds: float = 0.0
    requests: int = 0
    notes: list[str] = field(default_factory=list)
    reproduce_origin: str | None = None
    error: str | None = None  # why the run could not judge, when it could not
    leftovers: list[Leftover] = field(default_factory=list)
    never_judged: dict[str, str] = field(default_factory=dict)  # check -> why it never applied
    started_at: str = ""  # when the run began, RFC 3339 UTC
    spec_sha256: str = ""  # of the spec file the run judged against
    # Each enumerated probe (a half-right credential form or a tenancy probe) x operation, and whether it was judged.
    probes: list[dict[str, str]] = field(default_factory=list)
    command: str = ""  # the whole command line, every secret as its $VARIABLE (`report.shown_command`)
    documented: dict[str, list[str]] = field(default_factory=dict)  # operation -> the response keys the spec declares
    answers: dict[str, dict[str, int]] = field(default_factory=dict)  # operation -> answers seen, by kind

    @property
    def metadata(self) -> dict[str, str]:
        """What a report says about the run itself: the tool, the contract, the target, the draw."""
        from pcaps_contract import __version__

        return {
            "tool": f"pcaps-contract {__version__}",
            "command": self.command,
            "spec_sha256": self.spec_sha256,
            "target": self.target,
            "profile": self.profile,
            "seed": str(self.seed),
            "started_at": self.started_at,
        }

    @property
    def conforms(self) -> bool:
        return not self.ledger.failures()

    @property
    def exit_code(self) -> int:
        """3 something left on the target, 2 could not judge, 1 violations, 0 conforms (the first that applies)."""
        if self.leftovers:
            return EXIT_LEFTOVERS
        if self.error:
            return EXIT_COULD_NOT_JUDGE
        return EXIT_CONFORMS if self.conforms else EXIT_VIOLATIONS

    @property
    def verdict(self) -> str:
        if self.leftovers:
            also = f"; could not judge: {self.error}" if self.error else ""
            return f"{len(self.leftovers)} ownership(s) left on the target (listed above){also}"
        if self.error:
            return f"could not judge: {self.error}"
        return "contract violations found" if not self.conforms else "the implementation keeps the contract"

    def redact(self, text: str) -> str:
        """The text with every secret replaced by the name of the variable that holds it (`Credentials.redact`)."""
        return self.credentials.redact(text)

    def redacted(self, failure: Failure) -> Failure:
        """The failure with each of its texts redacted on its own, before anything joins, quotes or escapes them."""
        return redacted_failure(failure, self.redact)

    def shown(self) -> GateReport:
        """The report with every text of the run itself (target, notes, error, leftovers, reasons) redacted: what
        each writer renders, the failures redacted one by one as they are shown (`redacted`)."""
        redact = self.redact
        return replace(
            self,
            target=redact(self.target),
            command=redact(self.command),
            notes=[redact(note) for note in self.notes],
            error=None if self.error is None else redact(self.error),
            leftovers=[
                replace(
                    left,
                    account=redact(left.account),
                    ownership_id=redact(left.ownership_id),
                    reason=redact(left.reason),
                    destination_conf=None if left.destination_conf is None else redact(left.destination_conf),
                )
                for left in self.leftovers
            ],
            never_judged={redact(check): redact(reason) for check, reason in self.never_judged.items()},
        )

    def reproduction(self, failure: Failure) -> list[str]:
        """The curl commands that show the failure, in order, built from its redacted steps: the secrets as
        `$CLOUDFLARE_...` variables."""
        return [step.curl(self.credentials, self.reproduce_origin) for step in self.redacted(failure).steps]

    def counts(self) -> dict[str, int]:
        """How many operation x check cells passed, failed and never applied (cells blank by design left out)."""
        counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for operation, check in self.ledger.judgeable():
            counts[self.ledger.status(operation, check)] += 1
        return counts

    def applied_on(self, check: str) -> list[str]:
        """The operations on which the check passed or failed at least once."""
        return [operation for operation in self.ledger.operations if self.ledger.status(operation, check) != SKIPPED]

    def judged_on(self, check: str) -> list[str]:
        """The operations the check can judge (`judge.checks` declares them), in column order."""
        return [operation for operation in self.ledger.operations if judges(check, operation)]

    def why_never_applied(self, operation: str, check: str) -> str:
        """Why the check never applied on the operation: that it applied on others only, or its run-wide reason."""
        if self.applied_on(check):
            return NOT_ON_THIS_OPERATION
        return self.never_judged.get(check, NEVER_APPLIED)

    def coverage(self) -> list[Covered]:
        """Each documented response of each operation, seen how often, then the undocumented statuses seen."""
        from pcaps_contract.report.responses import coverage

        return coverage(self.ledger.operations, self.documented, self.answers)

    def summary_table(self) -> str:
        """The operation x check table: `ok N` passed N times, `FAIL N` failed N times, `-` never applied."""
        ledger = self.ledger
        width = max(len(check) for check in ledger.checks) if ledger.checks else 5
        columns = [max(len(operation), 8) for operation in ledger.operations]
        lines = [
            "check".ljust(width)
            + "  "
            + "  ".join(op.ljust(w) for op, w in zip(ledger.operations, columns, strict=True))
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

    def render_failure(self, failure: Failure) -> str:
        shown = self.redacted(failure)
        lines = [
            f"{shown.check} on {shown.operation}",
            f"  Expected: {shown.expected}",
            f"  Received: {shown.received}",
        ]
        if failure.steps:
            lines.append("  Reproduce:" if len(failure.steps) == 1 else "  Reproduce (in order):")
            lines.extend(f"    {curl}" for curl in self.reproduction(failure))
        return "\n".join(lines)

    def render(self, verbose: bool = False) -> str:
        """The text a person reads at the end of a run (escaped for a terminal by whoever prints it), its verdict
        the last line; the checks never judged are one line (each with its reason when `verbose`, or only one)."""
        failures = self.ledger.failures()
        counts = self.counts()
        shown = self.shown()
        parts = [f"Target: {shown.target}", "", self.summary_table(), ""]
        if failures:
            parts.append(f"{len(failures)} contract violation(s):")
            parts.extend(["", *(self.render_failure(failure) + "\n" for failure in failures)])
        parts.extend(f"note: {note}" for note in shown.notes)
        parts.extend(never_judged_lines(shown.never_judged, verbose))
        parts.extend(f"LEFT BEHIND: {leftover.described}" for leftover in shown.leftovers)
        parts.append(
            f"{counts[FAILED]} failed, {counts[PASSED]} passed, {counts[SKIPPED]} skipped (operation x check); "
            f"{self.requests} requests; seed {self.seed} (profile {self.profile}); {self.seconds:.1f}s: "
            f"{shown.verdict}"
        )
        return "\n".join(parts)

    def as_json(self) -> dict[str, Any]:
        """Everything the report says as JSON data, every text redacted."""
        shown = self.shown()
        cells = []
        for operation, check in self.ledger.judgeable():
            cell = self.ledger.cells.get((operation, check)) or Cell()
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
                failure = self.redacted(cell.failure)
                entry["expected"] = failure.expected
                entry["received"] = failure.received
                entry["reproduce"] = self.reproduction(cell.failure)
            cells.append(entry)
        return {
            **shown.metadata,
            "seed": self.seed,
            "conforms": self.conforms,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "exit_code": self.exit_code,
            "error": shown.error,
            "leftovers": [dict(leftover.__dict__) for leftover in shown.leftovers],
            "notes": shown.notes,
            "never_judged": shown.never_judged,
            "results": cells,
            "probes": [{key: self.redact(value) for key, value in probe.items()} for probe in self.probes],
            "coverage": [row.as_json() for row in self.coverage()],
        }

    @staticmethod
    def _left_text(leftover: Leftover) -> str:
        return f"left behind: {leftover.described}"

    def write_json(self, path: Path) -> None:
        write_whole(path, json_text(self.as_json(), indent=2) + "\n")

    def not_applicable(self) -> dict[str, list[str]]:
        """Each check and the operations it never applied to (no pass, no failure), in report order."""
        ledger = self.ledger
        cells: dict[str, list[str]] = {}
        for check in ledger.checks:
            operations = [
                operation
                for operation in ledger.operations
                if ledger.status(operation, check) == SKIPPED and not ledger.by_design(operation, check)
            ]
            if operations:
                cells[check] = operations
        return cells

    def _not_applicable_text(self, cells: Mapping[str, list[str]]) -> str:
        """One line per check that never applied somewhere: where, and why (or which part of it) when the run knows."""
        every = set(self.ledger.operations)
        lines = []
        for check, operations in cells.items():
            where = "every operation" if set(operations) == every else ", ".join(operations)
            # A reason for a check judged elsewhere names the part never judged ("its success path: ...").
            reason = f": {self.never_judged[check]}" if check in self.never_judged else ""
            lines.append(f"{check} on {where}{reason}")
        return "\n".join(lines)

    def junit_xml(self) -> str:
        """JUnit XML as CI dashboards read it (Jenkins, GitLab, GitHub's test reporters).

        One testcase per operation x check that applied (passed or failed, `time` from `Cell.seconds`); an
        `<error>` testcase when the run could not judge (exit 2) and one per ownership left behind (exit 3), beside
        the failures of the findings. The cells that never applied are not tests: their number is the
        `not_applicable` property and the suite's `<system-out>` lists them, with the reasons the run knows. Every
        text is redacted before it goes in, and every character XML 1.0 cannot hold is written as its escape.
        """
        shown = self.shown()
        cases: list[ElementTree.Element] = []
        for operation in self.ledger.operations:
            for check in self.ledger.checks:
                cell = self.ledger.cells.get((operation, check))
                if cell is None or cell.status == SKIPPED:
                    continue
                case = ElementTree.Element(
                    "testcase", classname=xml_safe(operation), name=xml_safe(check), time=f"{cell.seconds:.3f}"
                )
                if cell.failure is not None:
                    failure = self.redacted(cell.failure)
                    node = ElementTree.SubElement(
                        case,
                        "failure",
                        message=xml_safe(f"Expected: {failure.expected} / Received: {failure.received}"),
                        type="contract violation",
                    )
                    node.text = xml_safe(self.render_failure(cell.failure))
                cases.append(case)
        problems = (
            [("pcaps-contract", "the run judges the target", "could not judge", shown.error)] if shown.error else []
        )
        problems += [
            (
                "pcaps-contract.cleanup",
                xml_safe(f"{left.what} is deleted"),
                "left behind",
                self._left_text(left),
            )
            for left in shown.leftovers
        ]
        for classname, name, kind, text in problems:
            case = ElementTree.Element("testcase", classname=classname, name=name, time="0.000")
            node = ElementTree.SubElement(case, "error", message=xml_safe(text), type=kind)
            node.text = xml_safe(text)
            cases.append(case)
        totals = {
            "tests": str(len(cases)),
            "failures": str(sum(1 for case in cases if case.find("failure") is not None)),
            "errors": str(len(problems)),
            "skipped": "0",
            "time": f"{self.seconds:.3f}",
        }
        root = ElementTree.Element("testsuites", {"name": "pcaps-contract", **totals})
        suite = ElementTree.SubElement(root, "testsuite", {"name": "pcaps-contract", **totals})
        properties = ElementTree.SubElement(suite, "properties")
        missing = self.not_applicable()
        values = {**shown.metadata, "not_applicable": str(sum(len(operations) for operations in missing.values()))}
        for name, value in values.items():
            if value:
                ElementTree.SubElement(properties, "property", name=name, value=xml_safe(value))
        suite.extend(cases)
        if missing:
            out = ElementTree.SubElement(suite, "system-out")
            out.text = xml_safe("not applicable (never judged):\n" + shown._not_applicable_text(missing))
        ElementTree.indent(root)
        return ElementTree.tostring(root, encoding="unicode") + "\n"

    def write_junit(self, path: Path) -> None:
        """The JUnit XML of `junit_xml` into `path`."""
        write_whole(path, self.junit_xml())


# What XML 1.0 cannot hold even escaped: most C0 controls, surrogates, U+FFFE and U+FFFF. Fuzzed bodies carry them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def redacted_failure(failure: Failure, redact: Callable[[str], str]) -> Failure:
    """The failure with each of its texts (its steps' too) redacted on its own."""
    steps = tuple(
        replace(
            step,
            url=redact(step.url),
            headers={redact(name): redact(value) for name, value in step.headers.items()},
            body=None if step.body is None else redact(step.body),
        )
        for step in failure.steps
    )
    return replace(failure, expected=redact(failure.expected), received=redact(failure.received), steps=steps)


def xml_safe(text: str) -> str:
    """The text with each character XML cannot carry written as its Python escape (`\\x00`), so JUnit parses."""
    return _NOT_XML.sub(lambda match: ascii(match.group())[1:-1], text)
