"""What a fuzz run found, as plain data: saved as `result.json`, merged across machines, rendered as reports."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pcaps_contract.engine import Leftover
from pcaps_contract.fuzz.findings import Finding, merge_findings
from pcaps_contract.fuzz.latency import Latency
from pcaps_contract.fuzz.timeline import Timeline
from pcaps_contract.judge import COULD_NOT_JUDGE
from pcaps_contract.openapi import in_report_order
from pcaps_contract.report import Covered, coverage

EXIT_OK = 0
EXIT_FINDINGS = 1  # new findings (not in the baseline)
EXIT_COULD_NOT_JUDGE = 2  # refused, bad usage, unreachable, or a check crashed
EXIT_LEFTOVERS = 3  # the cleanup could not delete everything the run created: look at the target
EXIT_INTERRUPTED = 130  # Ctrl-C: report written and cleanup done


@dataclass
class OperationStats:
    """One operation's cases, how they were answered, and what they found."""

    cases: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # by class: "2xx", "4xx", "5xx"
    findings: int = 0
    throttled: int = 0
    transport_errors: int = 0
    codes: Counter[str] = field(default_factory=Counter)  # by exact status of each case's last answer: "200", "429"
    latency: Latency = field(default_factory=Latency)  # how long each case's answer took
    answers: Counter[str] = field(default_factory=Counter)  # the judged answers by kind (`judge.real_answers`)

    @property
    def judged(self) -> int:
        """Cases that got an answer the checks could judge (not throttled, not lost)."""
        return self.cases - self.throttled - self.transport_errors

    def add(self, other: OperationStats) -> None:
        self.cases += other.cases
        self.statuses.update(other.statuses)
        self.findings += other.findings
        self.throttled += other.throttled
        self.transport_errors += other.transport_errors
        self.codes.update(other.codes)
        self.latency.add(other.latency)
        self.answers.update(other.answers)

    def as_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "statuses": dict(self.statuses),
            "codes": dict(sorted(self.codes.items())),
            "findings": self.findings,
            "throttled": self.throttled,
            "transport_errors": self.transport_errors,
            "latency_ms": self.latency.as_json(),
            "answers": dict(sorted(self.answers.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OperationStats:
        """Stats as `as_json` wrote them; those of older results, without codes or times, read as none recorded."""
        return cls(
            cases=data.get("cases", 0),
            statuses=Counter(data.get("statuses", {})),
            findings=data.get("findings", 0),
            throttled=data.get("throttled", 0),
            transport_errors=data.get("transport_errors", 0),
            codes=Counter(data.get("codes", {})),
            latency=Latency.from_json(data.get("latency_ms")),
            answers=Counter(data.get("answers", {})),
        )


@dataclass
class FuzzResult:
    """Everything a run (or several merged runs) found."""

    target: str
    accounts: list[str]
    seed: int | str
    operations: list[str]
    budget: str
    rate: str
    workers: int
    started_at: str
    seconds: float
    stop_reason: str
    interrupted: bool = False
    crashed: bool = False
    sender: dict[str, float] = field(default_factory=dict)
    per_operation: dict[str, OperationStats] = field(default_factory=dict)
    passes: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    created: int = 0
    deleted: int = 0
    leftovers: list[Leftover] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    key_pair: bool = False  # the credentials were X-Auth-Email + X-Auth-Key: reproductions use those variables
    tool: str = ""  # "pcaps-contract VERSION" (empty in results written before it was recorded)
    spec_sha256: str = ""  # of the spec the run judged against
    timeline: Timeline = field(default_factory=Timeline)
    command: str = ""  # the whole command line, every secret as its $VARIABLE
    documented: dict[str, list[str]] = field(default_factory=dict)  # operation -> the response keys the spec declares

    @property
    def new_findings(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.known]

    @property
    def cases(self) -> int:
        return sum(stats.cases for stats in self.per_operation.values())

    @property
    def deleted_while_fuzzing(self) -> int:
        """Ownerships the run created and its own fuzzed deletes removed before the cleanup."""
        return max(0, self.created - self.deleted - len(self.leftovers))

    def exit_code(self) -> int:
        """3 leftovers, 2 crash, 130 interrupted, 1 new findings, 0 otherwise (the first that applies)."""
        if self.leftovers:
            return EXIT_LEFTOVERS
        if self.crashed:
            return EXIT_COULD_NOT_JUDGE
        if self.interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FINDINGS if self.new_findings else EXIT_OK

    def verdict(self) -> str:
        """Every outcome that applies, in the order a run meets them: a stop, new findings, ownerships left behind."""
        code = self.exit_code()
        parts = []
        if self.crashed:
            ended = self.stop_reason.startswith(COULD_NOT_JUDGE)  # said once the run was over, not a stop
            parts.append(self.stop_reason if ended else "the run stopped early: " + self.stop_reason)
        elif self.interrupted:
            parts.append("interrupted")
        if self.new_findings or code in (EXIT_OK, EXIT_FINDINGS, EXIT_INTERRUPTED):
            known = len(self.findings) - len(self.new_findings)
            accepted = f" ({known} known, in the baseline)" if known else ""
            parts.append(f"{len(self.new_findings)} new finding(s){accepted}")
        if self.leftovers:
            parts.append(f"{len(self.leftovers)} ownership(s) could not be deleted: remove them by hand (ids above)")
        return "; ".join(parts)

    def as_json(self) -> dict[str, Any]:
        data = {"tool": self.tool, "spec_sha256": self.spec_sha256, **asdict(self)}  # what made it, first
        data["findings"] = [finding.as_json() for finding in self.findings]
        data["per_operation"] = {name: stats.as_json() for name, stats in self.per_operation.items()}
        data["timeline"] = self.timeline.as_json()
        data["coverage"] = [row.as_json() for row in self.coverage()]
        data["exit_code"] = self.exit_code()
        return data

    def coverage(self) -> list[Covered]:
        """Each response the spec documents for each fuzzed operation, seen how often; then undocumented statuses."""
        answers = {name: dict(stats.answers) for name, stats in self.per_operation.items()}
        return coverage(in_report_order(self.operations), self.documented, answers)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FuzzResult:
        fields = {name: value for name, value in data.items() if name not in ("exit_code", "coverage")}
        fields["findings"] = [Finding.from_json(item) for item in data.get("findings", [])]
        fields["leftovers"] = [Leftover(**item) for item in data.get("leftovers", [])]
        fields["per_operation"] = {
            name: OperationStats.from_json(stats) for name, stats in data.get("per_operation", {}).items()
        }
        fields["timeline"] = Timeline.from_json(data.get("timeline"))
        return cls(**fields)


def merge_results(results: list[FuzzResult]) -> FuzzResult:
    """Several runs (e.g. one per CI machine, split by operation and seed) as one result."""
    first = results[0]
    per_operation: dict[str, OperationStats] = {}
    passes: Counter[str] = Counter()
    sender: Counter[str] = Counter()
    for result in results:
        for name, stats in result.per_operation.items():
            per_operation.setdefault(name, OperationStats()).add(stats)
        passes.update(result.passes)
        sender.update({name: value for name, value in result.sender.items()})
    timeline = Timeline()
    start = min(_instant(result.started_at) for result in results)
    for result in results:  # runs side by side (one per CI machine) add up at the same moment
        timeline.merge(result.timeline, max(0.0, _instant(result.started_at) - start))
    return FuzzResult(
        target=", ".join(dict.fromkeys(result.target for result in results)),
        accounts=list(dict.fromkeys(account for result in results for account in result.accounts)),
        seed=", ".join(dict.fromkeys(str(result.seed) for result in results)),
        operations=list(dict.fromkeys(op for result in results for op in result.operations)),
        budget=", ".join(dict.fromkeys(result.budget for result in results)),
        rate=first.rate,
        workers=sum(result.workers for result in results),
        started_at=min(result.started_at for result in results),
        seconds=max(result.seconds for result in results),
        stop_reason="; ".join(dict.fromkeys(result.stop_reason for result in results)),
        interrupted=any(result.interrupted for result in results),
        crashed=any(result.crashed for result in results),
        sender=dict(sender),
        per_operation=per_operation,
        passes=dict(passes),
        findings=merge_findings([result.findings for result in results]),
        created=sum(result.created for result in results),
        deleted=sum(result.deleted for result in results),
        leftovers=[leftover for result in results for leftover in result.leftovers],
        errors=[error for result in results for error in result.errors],
        key_pair=any(result.key_pair for result in results),
        tool=", ".join(dict.fromkeys(result.tool for result in results if result.tool)),
        spec_sha256=", ".join(dict.fromkeys(result.spec_sha256 for result in results if result.spec_sha256)),
        timeline=timeline,
        command="; ".join(dict.fromkeys(result.command for result in results if result.command)),
        documented={
            name: sorted({key for result in results for key in result.documented.get(name, ())})
            for name in dict.fromkeys(name for result in results for name in result.documented)
        },
    )


def _instant(started_at: str) -> float:
    """Seconds since the epoch of a run's RFC 3339 start (0 when it cannot be read: the runs then align at 0)."""
    try:
        return datetime.fromisoformat(started_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
