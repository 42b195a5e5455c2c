"""What a gate run found, and how it is shown: the summary table, failures with curl, JUnit XML, JSON."""

from __future__ import annotations

import json
import re
import shlex
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit
from xml.etree import ElementTree

from pcaps_contract._credentials import Credentials

if TYPE_CHECKING:
    from pcaps_contract._ownerships import Leftover

EXIT_CONFORMS = 0
EXIT_VIOLATIONS = 1
EXIT_COULD_NOT_JUDGE = 2
EXIT_LEFTOVERS = 3

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
NEVER_APPLIED = "no response of the run fell under it"
NOT_ON_THIS_OPERATION = "no response of this operation reached this check"
# Headers never copied into a reproduction: the credentials come back as environment variables instead.
_SECRET_HEADERS = frozenset({"authorization", "x-auth-email", "x-auth-key", "cookie"})
_DROPPED_HEADERS = frozenset(
    {"content-length", "user-agent", "accept-encoding", "connection", "host", "accept", "x-schemathesis-testcaseid"}
)


def utc_now() -> str:
    """The time now as RFC 3339 UTC to the second, as every report writes a run's start."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Step:
    """One request of a reproduction: what to send, without the credentials."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    authenticated: bool = True

    def curl(self, credentials: Credentials, origin: str | None = None) -> str:
        """A runnable curl command; secrets are referred to as `$CLOUDFLARE_...` variables.

        `origin` (e.g. `http://127.0.0.1:8787`) replaces the URL's scheme and host: an in-process target
        has none a shell can reach, so its reproductions aim at the same app served on a port.
        """
        url = self.url
        if origin is not None:
            pieces = urlsplit(url)
            url = urlunsplit((*urlsplit(origin)[:2], pieces.path, pieces.query, pieces.fragment))
        parts = ["curl", "-X", self.method.upper(), shlex.quote(url)]
        if self.authenticated:
            parts.extend(credentials.curl_headers())
        for name, value in self.headers.items():
            if name.lower() not in _SECRET_HEADERS | _DROPPED_HEADERS:
                parts.extend(["-H", shlex.quote(f"{name}: {value}")])
        if self.body is not None:
            parts.extend(["--data-raw", shlex.quote(self.body)])
        return " ".join(parts)


@dataclass(frozen=True)
class Failure:
    """One broken rule, with the steps that show it."""

    operation: str
    check: str
    expected: str
    received: str
    steps: tuple[Step, ...] = ()


@dataclass
class Cell:
    """The results of one check on one operation."""

    passed: int = 0
    failed: int = 0
    failure: Failure | None = None

    @property
    def status(self) -> str:
        return FAILED if self.failed else PASSED if self.passed else SKIPPED


class Ledger:
    """Results per operation x check; the first (shortest) failure of each cell is kept as its example."""

    def __init__(
        self, operations: Iterable[str], checks: Iterable[str], on_failure: Callable[[Failure], None] | None = None
    ) -> None:
        self.operations = list(operations)
        self.checks = list(checks)
        self.cells: dict[tuple[str, str], Cell] = {}
        self.on_failure = on_failure  # told of each failure as it is recorded (the event log), from any thread
        self._lock = threading.Lock()  # the lifecycle's lanes record side by side

    def cell(self, operation: str, check: str) -> Cell:
        if operation not in self.operations:
            self.operations.append(operation)
        if check not in self.checks:
            self.checks.append(check)
        return self.cells.setdefault((operation, check), Cell())

    def passed(self, operation: str, check: str) -> None:
        with self._lock:
            self.cell(operation, check).passed += 1

    def failed(self, failure: Failure) -> None:
        with self._lock:
            cell = self.cell(failure.operation, failure.check)
            cell.failed += 1
            if (
                cell.failure is None
                or _size(failure) < _size(cell.failure)
                or (_size(failure) == _size(cell.failure) and _order(failure) < _order(cell.failure))
            ):
                cell.failure = failure
        if self.on_failure is not None:
            self.on_failure(failure)

    def status(self, operation: str, check: str) -> str:
        cell = self.cells.get((operation, check))
        return cell.status if cell is not None else SKIPPED

    def failures(self) -> list[Failure]:
        return [
            cell.failure
            for operation in self.operations
            for check in self.checks
            if (cell := self.cells.get((operation, check))) is not None and cell.failure is not None
        ]

    def judged(self, operation: str) -> bool:
        """Whether any check passed or failed on the operation."""
        return any(cell.passed or cell.failed for (name, _), cell in self.cells.items() if name == operation)


def _size(failure: Failure) -> int:
    return sum(len(step.url) + len(step.body or "") for step in failure.steps) + 1000 * len(failure.steps)


def _order(failure: Failure) -> tuple[str, ...]:
    """Between two examples of one size, the one kept whichever lane recorded first."""
    return (failure.expected, failure.received, *(f"{step.method} {step.url} {step.body}" for step in failure.steps))


class RunListener(Protocol):
    """Told of a gate run as it goes: once when it starts (its report's metadata known), then of each failure."""

    def started(self, report: GateReport) -> None: ...

    def failed(self, failure: Failure) -> None: ...


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

    @property
    def metadata(self) -> dict[str, str]:
        """What a report says about the run itself: the tool, the contract, the target, the draw."""
        from pcaps_contract import __version__

        return {
            "tool": f"pcaps-contract {__version__}",
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
            return f"{len(self.leftovers)} ownership(s) left on the target (listed above)"
        if self.error:
            return f"could not judge: {self.error}"
        return "contract violations found" if not self.conforms else "the implementation keeps the contract"

    def redact(self, text: str) -> str:
        """The text with every secret replaced by the name of the variable that holds it (`Credentials.redact`)."""
        return self.credentials.redact(text)

    def redacted(self, failure: Failure) -> Failure:
        """The failure with each of its texts redacted on its own, before anything joins, quotes or escapes them."""
        redact = self.redact
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

    def reproduction(self, failure: Failure) -> list[str]:
        """The curl commands that show the failure, in order, with the secrets as `$CLOUDFLARE_...` variables."""
        return [
            self.redact(step.curl(self.credentials, self.reproduce_origin)) for step in self.redacted(failure).steps
        ]

    def counts(self) -> dict[str, int]:
        """How many operation x check cells passed, failed and never applied."""
        counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for operation in self.ledger.operations:
            for check in self.ledger.checks:
                counts[self.ledger.status(operation, check)] += 1
        return counts

    def applied_on(self, check: str) -> list[str]:
        """The operations on which the check passed or failed at least once."""
        return [operation for operation in self.ledger.operations if self.ledger.status(operation, check) != SKIPPED]

    def why_never_applied(self, operation: str, check: str) -> str:
        """Why the check never applied on the operation: that it applied on others only, or its run-wide reason."""
        if self.applied_on(check):
            return NOT_ON_THIS_OPERATION
        return self.never_judged.get(check, NEVER_APPLIED)

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
        failure = self.redacted(failure)
        lines = [
            f"{failure.check} on {failure.operation}",
            f"  Expected: {failure.expected}",
            f"  Received: {failure.received}",
        ]
        if failure.steps:
            lines.append("  Reproduce:" if len(failure.steps) == 1 else "  Reproduce (in order):")
            lines.extend(f"    {step.curl(self.credentials, self.reproduce_origin)}" for step in failure.steps)
        return self.redact("\n".join(lines))

    def render(self) -> str:
        """The text a person reads at the end of a run."""
        failures = self.ledger.failures()
        counts = self.counts()
        parts = [f"Target: {self.target}", "", self.summary_table(), ""]
        if failures:
            parts.append(f"{len(failures)} contract violation(s):")
            parts.extend(["", *(self.render_failure(failure) + "\n" for failure in failures)])
        parts.extend(f"note: {note}" for note in self.notes)
        parts.extend(f"note: never judged: {check}: {reason}" for check, reason in self.never_judged.items())
        parts.extend(
            f"LEFT BEHIND: ownership {leftover.ownership_id} of account {leftover.account} ({leftover.reason})"
            for leftover in self.leftovers
        )
        parts.append(
            f"{counts[FAILED]} failed, {counts[PASSED]} passed, {counts[SKIPPED]} skipped (operation x check); "
            f"{self.requests} requests; seed {self.seed} (profile {self.profile}); {self.seconds:.1f}s: "
            f"{self.verdict}"
        )
        return self.redact("\n".join(parts))

    def as_json(self) -> dict[str, Any]:
        cells = []
        for operation in self.ledger.operations:
            for check in self.ledger.checks:
                cell = self.ledger.cells.get((operation, check)) or Cell()
                entry: dict[str, Any] = {
                    "operation": operation,
                    "check": check,
                    "status": cell.status,
                    "passed": cell.passed,
                    "failed": cell.failed,
                }
                if cell.status == SKIPPED:
                    entry["reason"] = self.why_never_applied(operation, check)
                if cell.failure is not None:
                    failure = self.redacted(cell.failure)
                    entry["expected"] = failure.expected
                    entry["received"] = failure.received
                    entry["reproduce"] = [step.curl(self.credentials, self.reproduce_origin) for step in failure.steps]
                cells.append(entry)
        return {
            **self.metadata,
            "seed": self.seed,
            "conforms": self.conforms,
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "exit_code": self.exit_code,
            "error": self.error,
            "leftovers": [leftover.__dict__ for leftover in self.leftovers],
            "notes": self.notes,
            "never_judged": self.never_judged,
            "results": cells,
        }

    @staticmethod
    def _left_text(leftover: Leftover) -> str:
        return f"left behind: ownership {leftover.ownership_id} of account {leftover.account} ({leftover.reason})"

    def write_json(self, path: Path) -> None:
        path.write_text(self.redact(json.dumps(self.as_json(), indent=2, ensure_ascii=False)) + "\n", encoding="utf-8")

    def write_junit(self, path: Path) -> None:
        """JUnit XML with one testcase per operation x check."""
        failures = sum(1 for cell in self.ledger.cells.values() if cell.failed)
        problems = [text for text in (self.error, *(self._left_text(left) for left in self.leftovers)) if text]
        total = len(self.ledger.operations) * len(self.ledger.checks) + len(problems)
        skipped = sum(
            1 for op in self.ledger.operations for c in self.ledger.checks if self.ledger.status(op, c) == SKIPPED
        )
        suite = ElementTree.Element(
            "testsuite",
            name="pcaps-contract",
            tests=str(total),
            failures=str(failures),
            skipped=str(skipped),
            errors=str(len(problems)),
            time=f"{self.seconds:.3f}",
        )
        properties = ElementTree.SubElement(suite, "properties")
        for name, value in (("seed", self.seed), ("profile", self.profile), ("target", self.target)):
            ElementTree.SubElement(properties, "property", name=name, value=xml_safe(str(value)))
        for operation in self.ledger.operations:
            for check in self.ledger.checks:
                case = ElementTree.SubElement(suite, "testcase", classname=operation, name=check)
                cell = self.ledger.cells.get((operation, check))
                if cell is None or cell.status == SKIPPED:
                    reason = self.never_judged.get(check, "no response this check applies to")
                    ElementTree.SubElement(case, "skipped", message=xml_safe(reason))
                elif cell.failure is not None:
                    node = ElementTree.SubElement(
                        case,
                        "failure",
                        message=xml_safe(
                            self.redact(
                                f"Expected: {self.redact(cell.failure.expected)} / "
                                f"Received: {self.redact(cell.failure.received)}"
                            )
                        ),
                    )
                    node.text = xml_safe(self.render_failure(cell.failure))
        for text in problems:
            case = ElementTree.SubElement(suite, "testcase", classname="pcaps-contract", name="run")
            ElementTree.SubElement(case, "error", message=xml_safe(self.redact(text)))
        root = ElementTree.Element("testsuites")
        root.append(suite)
        ElementTree.indent(root)
        path.write_text(self.redact(ElementTree.tostring(root, encoding="unicode")) + "\n", encoding="utf-8")


# What XML 1.0 cannot hold even escaped: most C0 controls, surrogates, U+FFFE and U+FFFF. Fuzzed bodies carry them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """The text with each character XML cannot carry written as its Python escape (`\\x00`), so JUnit parses."""
    return _NOT_XML.sub(lambda match: ascii(match.group())[1:-1], text)
