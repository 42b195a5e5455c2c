"""What a run found (of `check`, `verify`, `proxy` or `fuzz`) and its verdict: the data every writer renders
(`text`, `json_document`, `junit`, `html`, `ctrf`), its exit code, and the redacted view each writer starts from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcaps_contract._credentials import Credentials
from pcaps_contract.judge import FAILED, PASSED, SKIPPED, Failure, Ledger, judges

if TYPE_CHECKING:
    from pcaps_contract.engine import Leftover
    from pcaps_contract.report.responses import Covered

EXIT_CONFORMS = 0
EXIT_VIOLATIONS = 1
EXIT_COULD_NOT_JUDGE = 2
EXIT_LEFTOVERS = 3

NEVER_APPLIED = "no response of the run fell under it"
NOT_ON_THIS_OPERATION = "no response of this operation reached this check"


def run_ending(leftovers: int, error: str | None, where: str = "on the target") -> tuple[int, str] | None:
    """How a run ends before its findings count, or None: records left behind (3), then could not judge (2)."""
    if leftovers:
        also = f"; could not judge: {error}" if error else ""
        return EXIT_LEFTOVERS, f"{leftovers} ownership(s) left {where} (listed above){also}"
    if error:
        return EXIT_COULD_NOT_JUDGE, f"could not judge: {error}"
    return None


def utc_now() -> str:
    """The time now as RFC 3339 UTC to the second, as every report writes a run's start."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RunReport:
    """Everything a run found, ready to print or save: `check`'s, `verify`'s, `proxy`'s and `fuzz`'s alike."""

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
        ending = run_ending(len(self.leftovers), self.error)
        if ending is not None:
            return ending[0]
        return EXIT_CONFORMS if self.conforms else EXIT_VIOLATIONS

    @property
    def verdict(self) -> str:
        ending = run_ending(len(self.leftovers), self.error)
        if ending is not None:
            return ending[1]
        return "contract violations found" if not self.conforms else "the implementation keeps the contract"

    def redact(self, text: str) -> str:
        """The text with every secret replaced by the name of the variable that holds it (`Credentials.redact`)."""
        return self.credentials.redact(text)

    def redacted(self, failure: Failure) -> Failure:
        """The failure with each of its texts redacted on its own, before anything joins, quotes or escapes them."""
        return redacted_failure(failure, self.redact)

    def shown(self) -> RunReport:
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
        return reproduction(failure, self.credentials, self.reproduce_origin)

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

    def render(self, verbose: bool = False) -> str:
        """The text a person reads at the end of a run (`text.render_text`)."""
        from pcaps_contract.report.text import render_text

        return render_text(self, verbose)

    def render_failure(self, failure: Failure) -> str:
        """One failure as text, with its curl reproduction (`text.failure_text`)."""
        from pcaps_contract.report.text import failure_text

        return failure_text(failure, self.credentials, self.reproduce_origin)

    def as_json(self) -> dict[str, Any]:
        """Everything the report says as JSON data, every text redacted (`json_document.json_document`)."""
        from pcaps_contract.report.json_document import json_document

        return json_document(self)

    def write_json(self, path: Path) -> None:
        from pcaps_contract.report.json_document import write_json

        write_json(self, path)

    def junit_xml(self) -> str:
        """JUnit XML as CI dashboards read it (`junit.junit_xml`)."""
        from pcaps_contract.report.junit import junit_xml

        return junit_xml(self)

    def write_junit(self, path: Path) -> None:
        from pcaps_contract.report.junit import write_junit

        write_junit(self, path)


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


def reproduction(failure: Failure, credentials: Credentials, origin: str | None = None) -> list[str]:
    """The curl commands that show the failure, in order, built from its redacted steps: the secrets as
    `$CLOUDFLARE_...` variables, the requests sent to `origin` when the run's own cannot be reached."""
    return [step.curl(credentials, origin) for step in redacted_failure(failure, credentials.redact).steps]
