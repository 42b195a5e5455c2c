"""What a run judged, as every door records it: the verdicts of each operation x check (`Ledger`), each failure
with the steps that show it (`Failure`, `Step`); the reports render it, the engine and the judges fill it."""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from pcaps_contract._credentials import SECRET_HEADERS, Credentials
from pcaps_contract.judge.checks import judges
from pcaps_contract.openapi import in_report_order

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
_DROPPED_HEADERS = frozenset(
    {"content-length", "user-agent", "accept-encoding", "connection", "host", "accept", "x-schemathesis-testcaseid"}
)


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
            if name.lower() not in SECRET_HEADERS | _DROPPED_HEADERS:
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
    """The results of one check on one operation.

    `seconds` is the time the target took to answer the exchanges the check judged here (each response's own
    elapsed time, added once per verdict): what the cell cost on the wire, not the run's wall clock, since
    engines and lanes judge side by side and the checks themselves take microseconds.
    """

    passed: int = 0
    failed: int = 0
    failure: Failure | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return FAILED if self.failed else PASSED if self.passed else SKIPPED


class Ledger:
    """Results per operation x check; the first (shortest) failure of each cell is kept as its example."""

    def __init__(
        self, operations: Iterable[str], checks: Iterable[str], on_failure: Callable[[Failure], None] | None = None
    ) -> None:
        self.operations = in_report_order(operations)  # one column order in every report, whoever ran first
        self.checks = list(checks)
        self.cells: dict[tuple[str, str], Cell] = {}
        self.on_failure = on_failure  # told of each failure as it is recorded (the event log), from any thread
        self.latest = ""  # the operation of the last verdict: what a progress display calls "current"
        self._lock = threading.Lock()  # the lifecycle's lanes record side by side

    def cell(self, operation: str, check: str) -> Cell:
        if operation not in self.operations:
            self.operations = in_report_order([*self.operations, operation])
        if check not in self.checks:
            self.checks.append(check)
        return self.cells.setdefault((operation, check), Cell())

    def passed(self, operation: str, check: str, seconds: float = 0.0) -> None:
        """One pass; `seconds` is how long the target took to answer the exchange the check judged."""
        with self._lock:
            cell = self.cell(operation, check)
            cell.passed += 1
            cell.seconds += seconds
            self.latest = operation

    def failed(self, failure: Failure, seconds: float = 0.0) -> None:
        """One failure; `seconds` as for `passed`."""
        with self._lock:
            cell = self.cell(failure.operation, failure.check)
            cell.failed += 1
            cell.seconds += seconds
            self.latest = failure.operation
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

    def by_design(self, operation: str, check: str) -> bool:
        """Whether the cell stays blank: the check never judges the operation (`judge.checks` says which it judges)."""
        return not judges(check, operation) and (operation, check) not in self.cells

    def judgeable(self) -> list[tuple[str, str]]:
        """Every operation x check cell a report shows (those blank by design left out), operations first."""
        return [
            (operation, check)
            for operation in self.operations
            for check in self.checks
            if not self.by_design(operation, check)
        ]

    def judged(self, operation: str) -> bool:
        """Whether any check passed or failed on the operation."""
        return any(cell.passed or cell.failed for (name, _), cell in self.cells.items() if name == operation)


def _size(failure: Failure) -> int:
    return sum(len(step.url) + len(step.body or "") for step in failure.steps) + 1000 * len(failure.steps)


def _order(failure: Failure) -> tuple[str, ...]:
    """Between two examples of one size, the one kept whichever lane recorded first."""
    return (failure.expected, failure.received, *(f"{step.method} {step.url} {step.body}" for step in failure.steps))
