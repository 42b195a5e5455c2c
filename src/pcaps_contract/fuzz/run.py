"""The fuzz loop: schemathesis cases for each operation, within the budget, through the one polite sender.

Each operation is a Hypothesis run over schemathesis's positive and negative cases (the gate's schema, data
hooks and checks); a run that exhausts its examples before its time is up starts again with the next seed.
Findings never stop the run; the budget, Ctrl-C or a crash of a check do, and the cleanup runs after all three.
"""

from __future__ import annotations

import base64
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from pcaps_contract import __version__
from pcaps_contract._compat import ready_for_threads
from pcaps_contract._credentials import SECRET_HEADERS, Credentials, carries_credentials
from pcaps_contract._internal import cause_of, internal_error
from pcaps_contract._limits import Budget, cleanup_budget
from pcaps_contract._text import clip
from pcaps_contract._urls import parse_target
from pcaps_contract.engine import (
    INTERRUPTED,
    AnyOf,
    Bucket,
    Cancelled,
    CleanupRegistry,
    CleanupResult,
    Halt,
    PoliteAdapter,
    RateLimiter,
    SendStats,
    TargetName,
    Throttled,
    as_the_server_reads,
    clean_up_in_time,
    last_answer_seconds,
    open_target,
    polite_session,
    shown_id,
    track_created,
    went_unanswered,
)
from pcaps_contract.fuzz.findings import (
    TRANSPORT_CHECK,
    Exemplar,
    Finding,
    FindingSet,
    normalise_cause,
    readable_cause,
)
from pcaps_contract.fuzz.plan import OPERATIONS, FuzzPlan
from pcaps_contract.fuzz.progress import Snapshot
from pcaps_contract.fuzz.result import FuzzResult, OperationStats
from pcaps_contract.fuzz.timeline import Timeline
from pcaps_contract.judge import (
    DEFAULT_CLOCK_SKEW,
    answer_kind,
    checks,
    could_not_judge,
    documented_statuses,
    is_a_verdict,
    without_real_answers,
)
from pcaps_contract.openapi import Spec, api
from pcaps_contract.report import Listener, Noted, Progressed

# Headers the HTTP library adds by itself: a reproduction is clearer without them.
_NOISE_HEADERS = frozenset(
    {"x-schemathesis-testcaseid", "user-agent", "accept-encoding", "accept", "connection", "content-length"}
)
# Built-in checks left out of fuzzing: `ignored_auth` re-sends requests without credentials through its own
# session, outside the rate limit and the retry policy; the gate judges it on every run instead.
EXCLUDED_BUILTINS = ("ignored_auth",)
_ROUND = 10_000  # examples in one Hypothesis run of a duration budget; the next run takes the next seed


class _BudgetSpent(BaseException):
    """Ends a Hypothesis run early; a BaseException, so that Hypothesis does not take it for a failure."""


class CheckCrashed(Exception):
    """A check raised something other than a contract violation: the run stops, the cleanup still runs."""


def operation_seed(seed: int, operation: str, round_number: int = 0) -> int:
    """The seed of one operation's run: the same on one machine or split across several (by operation)."""
    index = OPERATIONS.index(operation) if operation in OPERATIONS else len(OPERATIONS)
    return (seed * 1_000_003 + index * 7_919 + round_number * 104_729) % 2**32


@dataclass
class _Shared:
    """State every worker updates."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    operations: dict[str, OperationStats] = field(default_factory=dict)
    passes: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    timeline: Timeline = field(default_factory=Timeline)


@dataclass(frozen=True)
class FuzzAim:
    """What the schema reads of a fuzz run (`engine.schema.Aim`): the plan's target (its URL as the plan read it,
    once), credentials, accounts and timeout; no bucket, the profile's examples, the default clock skew."""

    target: TargetName
    credentials: Credentials
    accounts: tuple[str, ...]
    timeout: float
    bucket: Bucket | None = None
    max_examples: int | None = None
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW


class FuzzRun:
    """One run of `pcaps-contract fuzz`: build it from a plan, then `run()` it once."""

    def __init__(
        self,
        plan: FuzzPlan,
        credentials: Credentials,
        spec: Spec,
        *,
        listener: Listener,
        known: frozenset[str] = frozenset(),
        interrupt: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.url = plan.url or parse_target(plan.base_url, allow_production=True)  # the plan's refusals already ran
        self.credentials = credentials
        self.spec = spec
        self.listener = listener  # told the run's events (`report.stream`): its log lines and its progress
        self.clock = clock
        self.interrupt = interrupt or threading.Event()
        self.stop = threading.Event()
        self.shared = _Shared(operations={operation: OperationStats() for operation in plan.operations})
        self.started = clock()
        self.stats = SendStats(on_count=self._on_timeline)
        self.limiter = RateLimiter(plan.rate.per_second)
        self.registry = CleanupRegistry()
        self.findings = FindingSet(known, redact=credentials.redact)
        self.stop_reason = "budget spent"
        self.end = self.started + plan.duration if plan.duration is not None else None
        # A SIGTERM or Ctrl-C ends every wait at once, as the end of the budget does; so does the halt, when the
        # target stops answering or asks for a wait the budget cannot afford.
        self.halt = Halt(plan.policy.timeout)
        budget = None
        if plan.duration is not None:
            budget = Budget(f"--duration {plan.duration:g}s", plan.duration, lambda: (self.end or 0.0) - self.clock())
        stop = AnyOf(self.interrupt, self.stop, reasons=(INTERRUPTED, "the run's budget was spent"))
        self.adapter = self._adapter(stop, self.halt, budget)
        self.session = polite_session(self.adapter, credentials.headers())
        self._results = threading.local()
        self.aim = FuzzAim(TargetName(url=self.url), credentials, plan.accounts, plan.policy.timeout)
        self.target = open_target(self.aim.target, credentials, plan.accounts)
        # Workers generate and judge cases one at a time and wait for the network together: Hypothesis describes
        # strategies with `ast.parse`, which CPython 3.11 cannot run from several threads at once, and on the GIL
        # only the waiting gains from threads anyway.
        self._engine = threading.Lock()
        self._crash: CheckCrashed | None = None
        self.crashed = False

    def note(self, name: str, **fields: Any) -> None:
        """One line of the run's event log, told to its listener."""
        self.listener(Noted(name, fields))

    def _adapter(self, stop: AnyOf, halt: Halt, budget: Budget | None) -> PoliteAdapter:
        return PoliteAdapter(
            self.limiter,
            self.plan.policy,
            self.stats,
            stop,
            self.note,
            origin=self.url,
            limits=self.plan.limits,
            halt=halt,
            budget=budget,
        )

    # --- the whole run ----------------------------------------------------------------------------------

    def run(self) -> FuzzResult:
        """Preflight, fuzz until the budget is spent (or Ctrl-C, or a check crashes), clean up, and report."""
        started_at = datetime.now(UTC)
        self.note("run_started", **self._plan_fields())
        self.preflight()
        try:
            self._fuzz()
            if self.halt.error is not None:  # the target stopped answering, or throttled beyond the budget
                self._stopped_by(str(self.halt.error))
        except CheckCrashed as crash:
            self._stopped_by(internal_error(f"a check crashed: {crash}", self.plan.seed))
        except KeyboardInterrupt:
            self.interrupt.set()
            self.stop_reason = INTERRUPTED
        except Exception as exc:  # a bug must not skip the cleanup or the report
            self._stopped_by(internal_error(cause_of(exc, self.credentials.redact), self.plan.seed))
        finally:
            self.stop.set()
            cleanup = self._clean_up()
        if not self.crashed and not self.interrupt.is_set():
            self._judged_every_operation()
        seconds = self.clock() - self.started
        self.note("run_finished", reason=self.stop_reason, seconds=round(seconds, 3))
        self.listener(Progressed(self.snapshot(), last=True))
        return FuzzResult(
            target=self.plan.base_url,
            accounts=list(self.plan.accounts),
            seed=self.plan.seed,
            operations=list(self.plan.operations),
            budget=self.plan.budget,
            rate=self.plan.rate.text,
            workers=self.plan.workers,
            started_at=started_at.isoformat(timespec="seconds"),
            seconds=round(seconds, 3),
            stop_reason=self.stop_reason,
            interrupted=self.interrupt.is_set(),
            crashed=self.crashed,
            sender=dict(self.stats.counts) | {"waited_seconds": round(self.stats.waited, 3)},
            per_operation={name: stats for name, stats in self.shared.operations.items()},
            passes=dict(self.shared.passes),
            findings=self.findings.all(),
            created=self.registry.created,
            deleted=len(cleanup.deleted),
            leftovers=cleanup.leftovers,
            errors=list(self.shared.errors),
            key_pair=self.credentials.is_key_pair,
            tool=f"pcaps-contract {__version__}",
            spec_sha256=self.spec.sha256,
            timeline=self.shared.timeline,
            documented={
                name: sorted(keys) for name, keys in documented_statuses(self.spec, self.plan.operations).items()
            },
        )

    def _judged_every_operation(self) -> None:
        """A 0 must mean judged: an operation of the plan without one real answer makes the run "could not judge".

        Findings on such an operation were made on answers that are not the API's (a web server's 404 page fails
        the schema too): they stay in the report, but only new findings that `judges` (on operations that were
        judged, or of a server error or a request never answered in time) make the exit 1; the operations that
        were not judged are then named among the report's errors.
        """
        unjudged = without_real_answers(
            {name: stats.answers for name, stats in self.shared.operations.items()},
            documented_statuses(self.spec, self.plan.operations),
            self.plan.operations,
        )
        if not unjudged:
            return
        reason = could_not_judge(
            unjudged,
            f"every case was throttled, timed out or never sent: {self.stats['throttled']} answered 429, "
            f"{self.stats['transport_errors']} transport errors",
        )
        if any(
            not found.known and is_a_verdict(found.operation, found.check, unjudged) for found in self.findings.all()
        ):
            self.shared.errors.append(reason)
        else:
            self._stopped_by(reason)

    def _stopped_by(self, reason: str) -> None:
        self.crashed = True
        self.stop_reason = reason
        self.shared.errors.append(reason)

    def _plan_fields(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "target": plan.base_url,
            "accounts": list(plan.accounts),
            "operations": list(plan.operations),
            "budget": plan.budget,
            "rate": plan.rate.text,
            "workers": plan.workers,
            "seed": plan.seed,
        }

    def preflight(self) -> None:
        """List each account once: an unreachable target or refused credentials stop the run before it writes."""
        from pcaps_contract.engine import preflight

        errors = (requests.RequestException, Cancelled)
        preflight(self.target, self.plan.accounts, self.session, errors, self.registry)
        self.note("preflight", accounts=list(self.plan.accounts))

    def _fuzz(self) -> None:
        from pcaps_contract.engine import build_schema, get_profile, routed

        schema = build_schema(self.spec, self.aim, get_profile(None), self.plan.seed, target=self.target)
        with routed(schema, self.adapter, self._track_created, self.plan.accounts):
            self._fuzz_schema(schema)

    def _fuzz_schema(self, schema: Any) -> None:

        @schema.hook("after_validate")  # type: ignore[untyped-decorator]
        def collect(context: Any, case: Any, response: Any, results: list[Any]) -> None:
            self._results.value = results

        workers = max(1, min(self.plan.workers, len(self.plan.operations)))
        slice_seconds = None
        if self.plan.duration is not None:
            slice_seconds = self.plan.duration * workers / len(self.plan.operations)
        strategies = {operation: _strategy(schema, operation) for operation in self.plan.operations}
        # The budget is fuzzing time: it starts once the schema and its strategies are ready.
        if self.plan.duration is not None:
            self.end = self.clock() + self.plan.duration
        with ready_for_threads(workers > 1):
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fuzz") as pool:
                futures = [
                    pool.submit(self._fuzz_operation, strategies[operation], operation, slice_seconds)
                    for operation in self.plan.operations
                ]
                try:
                    pending = set(futures)
                    while pending:
                        _, pending = wait(pending, timeout=0.1)
                        if self.interrupt.is_set() and not self.stop.is_set():
                            self.stop_reason = INTERRUPTED
                            self.stop.set()
                        if self.halt.event.is_set():
                            self.stop.set()
                        if self.end is not None and self.clock() >= self.end:
                            self.stop.set()
                        self.listener(Progressed(self.snapshot()))
                finally:
                    self.stop.set()  # whatever ends the wait (even a second Ctrl-C) lets the workers finish
            if self._crash is not None:
                raise self._crash
            for future in futures:
                future.result()  # re-raises anything else a worker ran into

        # --- one operation ------------------------------------------------------------------------------------

    def _fuzz_operation(self, strategy: Any, operation_id: str, slice_seconds: float | None) -> None:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as hypothesis_seed
        from hypothesis.errors import Unsatisfiable

        deadline = self.clock() + slice_seconds if slice_seconds is not None else None
        if deadline is not None and self.end is not None:
            deadline = min(deadline, self.end)
        budget = self.plan.max_examples
        choices = random.Random(operation_seed(self.plan.seed, operation_id))
        done = 0
        for round_number in range(10_000):
            if self.stop.is_set() or (budget is not None and done >= budget):
                return
            examples = budget - done if budget is not None else _ROUND

            def one_case(case: Any) -> None:
                nonlocal done
                if self.stop.is_set() or (deadline is not None and self.clock() >= deadline):
                    raise _BudgetSpent
                if budget is not None and done >= budget:
                    raise _BudgetSpent
                done += 1
                self._fuzz_case(case, operation_id, choices)

            test = settings(
                max_examples=examples,
                database=None,
                deadline=None,
                derandomize=False,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
                print_blob=False,
            )(
                hypothesis_seed(operation_seed(self.plan.seed, operation_id, round_number))(
                    given(case=strategy)(one_case)
                )
            )
            try:
                with self._engine:
                    test()
            except _BudgetSpent:
                return
            except Unsatisfiable:
                return

    def _fuzz_case(self, case: Any, operation_id: str, choices: random.Random) -> None:
        account = str(as_the_server_reads(case.path_parameters.get("account_id", "")))
        self._use_created_ownerships(case, operation_id, account, choices)
        stats = self.shared.operations[operation_id]
        try:
            with self._network():
                response = case.call(session=self.session, base_url=self.plan.base_url)
        except Cancelled:
            if went_unanswered():  # it went out and the run stopped while it waited: what it did is unknown
                self._expect_lost_add(operation_id, account, case)
            raise _BudgetSpent from None
        except Throttled:  # still throttled after every wait the budget allowed: counted, never judged
            with self.shared.lock:
                stats.cases += 1
                stats.throttled += 1
                stats.codes["429"] += 1
            self.note("case", operation=operation_id, status=429)
            return
        except requests.RequestException as exc:
            with self.shared.lock:
                stats.cases += 1
                stats.transport_errors += 1
            self._expect_lost_add(operation_id, account, case)
            self._record_transport_failure(case, operation_id, exc)
            return
        status = response.status_code
        seconds = last_answer_seconds()
        with self.shared.lock:
            stats.cases += 1
            stats.statuses[f"{status // 100}xx"] += 1
            stats.codes[str(status)] += 1
            stats.answers[answer_kind(operation_id, status, response.content)] += 1
            if seconds is not None:
                stats.latency.record(seconds)
        self.note("case", operation=operation_id, status=status, ms=_milliseconds(seconds))
        self._forget_deleted(operation_id, account, case, response)
        try:
            self._judge(case, operation_id, response)
        except Cancelled:
            raise _BudgetSpent from None
        except CheckCrashed as crash:
            # Kept away from Hypothesis, which would take it for a failing example and send it again.
            self._crash = crash
            self.stop.set()
            raise _BudgetSpent from None

    @contextmanager
    def _network(self) -> Iterator[None]:
        """Let the other workers generate and judge while this one waits for its answer."""
        self._engine.release()
        try:
            yield
        finally:
            self._engine.acquire()

    def _use_created_ownerships(self, case: Any, operation_id: str, account: str, choices: random.Random) -> None:
        """Half the positive deletes and validations aim at an ownership the run created, to reach deep paths."""
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive or choices.random() < 0.5:
            return
        held = [created for created in self.registry.held() if created.account == account]
        if not held:
            return
        target = choices.choice(held)
        if operation_id == api.DELETE and api.is_identifier(case.path_parameters.get("ownership_id")):
            case.path_parameters["ownership_id"] = target.ownership_id
        elif operation_id == api.VALIDATE and isinstance(case.body, dict) and target.destination_conf:
            case.body = {**case.body, "destination_conf": target.destination_conf}

    def _track_created(self, case: Any, response: Any) -> None:
        """Register a created ownership as soon as its answer arrives (`track_created`), and say so."""
        created = track_created(self.registry, case, response)
        if created is None:
            if case.operation.definition.raw.get("operationId") == api.ADD and 200 <= response.status_code < 300:
                self.shared.errors.append("a create answered 2xx without a result id; the cleanup cannot delete it")
            return
        account, ownership_id = created
        self.note("created", account=account, id=shown_id(ownership_id))

    def _expect_lost_add(self, operation_id: str, account: str, case: Any) -> None:
        """An add whose answer never came may have created an ownership: the cleanup looks for its bucket."""
        conf = case.body.get("destination_conf") if isinstance(case.body, dict) else None
        if operation_id == api.ADD and isinstance(conf, str):
            self.registry.expect(account, conf)

    def _forget_deleted(self, operation_id: str, account: str, case: Any, response: Any) -> None:
        if operation_id == api.DELETE and response.status_code == 204:
            self.registry.forget(account, str(as_the_server_reads(case.path_parameters.get("ownership_id", ""))))

    def _judge(self, case: Any, operation_id: str, response: Any) -> None:
        from schemathesis.checks import CHECKS
        from schemathesis.core.failures import CustomFailure, FailureGroup

        from pcaps_contract.engine import split_message

        excluded = CHECKS.get_by_names(list(EXCLUDED_BUILTINS))
        self._results.value = []
        try:
            case.validate_response(
                response,
                excluded_checks=excluded,
                transport_kwargs={"session": self.session, "base_url": self.plan.base_url},
            )
        except FailureGroup:
            pass  # the failures also arrive through the after_validate hook, with the check that raised each
        except Cancelled:
            raise  # a check's own request met the run's stop or halt: the run ends, no check crashed
        except Exception as exc:
            raise CheckCrashed(cause_of(exc, self.credentials.redact)) from exc
        for result in self._results.value:
            if result.failure is None:
                with self.shared.lock:
                    self.shared.passes[f"{operation_id} {result.name}"] += 1
                continue
            failure = result.failure
            violation = getattr(failure, "exception", None)
            if isinstance(failure, CustomFailure) and isinstance(violation, checks.ContractViolation):
                expected, received = violation.expected, violation.received
                cause = normalise_cause(expected, self.credentials.redact)
                readable = readable_cause(expected, self.credentials.redact)
            else:
                expected, received = split_message(
                    result.name, str(failure.title), str(failure.message or ""), response.status_code
                )
                if result.name == "not_a_server_error":
                    received = f"status {response.status_code}: {clip(self.credentials.redact(response.text), 200)}"
                unique = failure._unique_key or normalise_cause(str(failure.title), self.credentials.redact)
                cause = f"{type(failure).__name__} {unique}".strip()
                readable = f"{type(failure).__name__} {_shown_cause(failure, self.credentials.redact)}".strip()
            exemplar = _exemplar(case, operation_id, response)
            self._add_finding(
                Finding(operation_id, result.name, cause, expected, received, exemplar, readable=readable)
            )

    def _record_transport_failure(self, case: Any, operation_id: str, exc: requests.RequestException) -> None:
        retries = self.plan.policy.transport_retries
        self._add_finding(
            Finding(
                operation_id,
                TRANSPORT_CHECK,
                type(exc).__name__,
                f"a response within {self.plan.policy.timeout:g} s (tried up to {retries + 1} times)",
                f"{type(exc).__name__}: {readable_cause(str(exc), self.credentials.redact) or 'no detail'}",
                _exemplar(case, operation_id, None, getattr(exc, "request", None)),
            )
        )

    def _add_finding(self, finding: Finding) -> None:
        finding = Finding(**{**finding.__dict__, "first_seen": round(self.clock() - self.started, 3)})
        with self.shared.lock:
            self.shared.operations[finding.operation].findings += 1
            self.shared.timeline.add(self.clock() - self.started, findings=1)
        if self.findings.add(finding):
            self.note(
                "finding",
                key=finding.key,
                operation=finding.operation,
                check=finding.check,
                cause=finding.cause,
                readable=finding.shown_cause,
                expected=finding.expected,
                received=finding.received,
            )

    # --- the end ------------------------------------------------------------------------------------------

    def _clean_up(self) -> CleanupResult:
        """Delete what the run created, with its own stop (a time limit), so that a spent budget cannot skip it."""
        self.note("cleanup_started", held=len(self.registry))
        limit = self.plan.cleanup_time_limit
        result = clean_up_in_time(
            lambda stop: polite_session(
                self._adapter(stop, self.halt.for_cleanup(), cleanup_budget(limit)), self.credentials.headers()
            ),
            self.plan.base_url,
            self.registry,
            self.plan.cleanup_time_limit,
        )
        for created in result.deleted:
            self.note("deleted", account=created.account, id=created.ownership_id)
        for leftover in result.leftovers:
            self.note("leftover", account=leftover.account, id=leftover.id_shown, reason=leftover.reason)
        self.note("cleanup_finished", deleted=len(result.deleted), leftovers=len(result.leftovers))
        return result

    def _on_timeline(self, name: str, amount: int) -> None:
        """A request or a 429 counted by the sender, placed on the timeline when it happens (the cleanup's too)."""
        if name in ("requests", "throttled"):
            with self.shared.lock:
                self.shared.timeline.add(self.clock() - self.started, **{name: amount})

    def snapshot(self) -> Snapshot:
        with self.shared.lock:
            cases = sum(stats.cases for stats in self.shared.operations.values())
        findings = self.findings.all()
        left = max(0.0, self.end - self.clock()) if self.end is not None else None
        return Snapshot(
            cases=cases,
            findings=len(findings),
            new_findings=sum(1 for finding in findings if not finding.known),
            requests=self.stats["requests"],
            throttled=self.stats["throttled"],
            elapsed=self.clock() - self.started,
            left=left,
        )


def _milliseconds(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _strategy(schema: Any, operation_id: str) -> Any:
    """Positive and negative cases of one operation, with the gate's data hooks."""
    from hypothesis import strategies as st
    from schemathesis.generation import GenerationMode

    operation = schema.find_operation_by_id(operation_id)
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    return strategy


def _shown_cause(failure: Any, redact: Callable[[str], str]) -> str:
    """A built-in failure's cause as a person reads it: for a schema failure, where in the body and what is wrong.

    Schemathesis's own key (`x-bundled/schema000005/format`) stays the finding's identity; it names its internals.
    """
    path = getattr(failure, "instance_path", None)
    message = getattr(failure, "_raw_message", None)
    if isinstance(path, list | tuple) and isinstance(message, str) and message:
        return f"`/{'/'.join(map(str, path))}`: {readable_cause(message, redact)}"
    return str(failure._unique_key or readable_cause(str(failure.title), redact))


def _exemplar(case: Any, operation_id: str, response: Any, request: Any = None) -> Exemplar:
    """The request as sent, without its credentials (they come back as environment variables in a replay)."""
    request = request if request is not None else response.request
    headers = {str(name): str(value) for name, value in (request.headers or {}).items()} if request else {}
    body = getattr(request, "body", None)
    raw = body.encode("utf-8") if isinstance(body, str) else body if isinstance(body, bytes) else None
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return Exemplar(
        operation=operation_id,
        method=str(getattr(request, "method", None) or case.method).upper(),
        url=str(getattr(request, "url", None) or case.formatted_path),
        path_parameters={str(k): v for k, v in (case.path_parameters or {}).items()},
        query={str(k): v for k, v in (case.query or {}).items()},
        headers={name: value for name, value in headers.items() if name.lower() not in SECRET_HEADERS | _NOISE_HEADERS},
        body=body if isinstance(body, str) else None,
        status=response.status_code if response is not None else None,
        authenticated=carries_credentials(headers),
        body_base64=base64.b64encode(raw).decode("ascii") if raw is not None else None,
    )
