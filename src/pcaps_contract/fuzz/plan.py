"""What a fuzz run will do, decided before anything is sent; `--plan` prints it and stops there."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pcaps_contract._limits import CLEANUP_TIME_LIMIT
from pcaps_contract._urls import TargetUrl
from pcaps_contract.engine import ResponseLimits, RetryPolicy
from pcaps_contract.fuzz.safety import Rate
from pcaps_contract.openapi import api
from pcaps_contract.report import format_seconds

# Creates first, so that fuzzed deletes and validations can use ownerships the run created.
OPERATIONS = (api.ADD, api.LIST, api.VALIDATE, api.DELETE)
DEFAULT_DURATION = 600.0


@dataclass(frozen=True)
class FuzzPlan:
    """One fuzz run, fully decided.

    Args:
        base_url: the API base, e.g. `https://staging.example.com/client/v4`.
        accounts: the accounts the run may write into; the first is fuzzed.
        operations: the operationIds to fuzz, in order.
        duration: the time budget in seconds (None with `max_examples`).
        max_examples: cases per operation (None with `duration`).
        rate: the client-side rate limit.
        workers: operations fuzzed at the same time.
        seed: the run's seed; each operation derives its own from it.
        report_dir: where reports go (None: no files).
        baseline: the accepted findings file, if any.
        policy: retries and timeouts.
        cleanup_time_limit: the longest the cleanup may take, in seconds.
        limits: the most one answer may cost (body bytes after decompression, JSON depth).
    """

    base_url: str
    accounts: tuple[str, ...]
    operations: tuple[str, ...] = OPERATIONS
    duration: float | None = DEFAULT_DURATION
    max_examples: int | None = None
    rate: Rate = field(default_factory=lambda: Rate(20, 1, "20/s"))
    workers: int = 1
    seed: int = 0
    report_dir: Path | None = None
    baseline: Path | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    cleanup_time_limit: float = CLEANUP_TIME_LIMIT
    limits: ResponseLimits = field(default_factory=ResponseLimits)
    # `base_url` as the refusals read it (`_urls.parse_target`): the run reads its target once. None: read at start.
    url: TargetUrl | None = field(default=None, compare=False, repr=False)

    @property
    def budget(self) -> str:
        if self.max_examples is not None:
            return f"{self.max_examples} cases per operation"
        return format_seconds(self.duration or 0)

    def render(self, credentials: str) -> str:
        """The plan as a person reads it; nothing has been sent when it is shown."""
        most = f", at most {int(self.rate.per_second * self.duration)} requests" if self.duration else ""
        lines = [
            f"target:      {self.base_url}",
            f"accounts:    {', '.join(self.accounts)}",
            f"writes:      only into {', '.join(self.accounts)}; other account ids are sent to reads, and ids "
            "that break the spec (e.g. 33 characters) only as negative cases",
            f"answers:     each within {self.policy.timeout:g} s in all, at most {self.limits.max_response_bytes} "
            f"bytes after decompression, JSON at most {self.limits.max_json_depth} deep; redirects never followed",
            f"credentials: {credentials}",
            f"operations:  {', '.join(self.operations)}",
            f"budget:      {self.budget}{most}",
            f"rate limit:  {self.rate.text} ({self.rate.per_second:g} requests/s, 429s honoured with Retry-After)",
            f"workers:     {self.workers}",
            f"seed:        {self.seed}",
            f"retries:     {self.policy.throttle_retries} after 429, {self.policy.transport_retries} after a "
            f"timeout ({self.policy.timeout:g} s) or connection error; backoff {self.policy.backoff_base:g} s "
            f"doubling up to {self.policy.backoff_cap:g} s",
            f"cleanup:     every ownership the run creates is deleted before it exits "
            f"(at most {self.cleanup_time_limit:g} s)",
            f"reports:     {self.report_dir if self.report_dir else 'none (pass --report-dir)'}",
            f"baseline:    {self.baseline if self.baseline else 'none: every finding counts'}",
            "nothing was sent (--plan)",
        ]
        return "\n".join(lines)
