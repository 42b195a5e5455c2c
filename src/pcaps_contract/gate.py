"""The contract gate: schemathesis's phases with every applicable built-in check plus ours, then the lifecycle.

Both doors call `run_gate`: `pcaps-contract check` and the `contract_tests/` pytest suite. Reusable parts
for other commands: `build_schema` (spec + target + data hooks), `exchange_from` (a schemathesis response
as a `checks.Exchange`) and `register_checks` (our checks as schemathesis checks).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import requests

from pcaps_contract import _checks as checks
from pcaps_contract._credentials import Credentials
from pcaps_contract._data import as_the_server_reads, destination_confs, is_identifier
from pcaps_contract._errors import PcapsContractError, UsageError
from pcaps_contract._ownerships import CLEANUP_TIME_LIMIT, CleanupRegistry, CleanupResult, clean_up_in_time, listed
from pcaps_contract._profiles import CI_SEED, Profile, get_profile
from pcaps_contract._ratelimit import RateLimiter, RetryPolicy
from pcaps_contract._report import SKIPPED, Failure, GateReport, Ledger, Step
from pcaps_contract._sender import (
    DEFAULT_MAX_RESPONSE_BYTES,
    AnyOf,
    Cancelled,
    PoliteAdapter,
    ResponseLimits,
    SendStats,
    Throttled,
    polite_session,
)
from pcaps_contract._spec import Spec, load_spec
from pcaps_contract._targets import Target, TargetError
from pcaps_contract._text import clip
from pcaps_contract._urls import api_path

# The built-in checks that apply to this API, in report order. Not `max_response_time` (no budget in the
# contract), `response_headers_conformance`/`missing_required_header` (the spec declares no headers),
# `object_level_authorization` (needs a Web Fuzzing Commons peer file; our tenancy checks do that job).
BUILTIN_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "ignored_auth",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
)
_DISABLED_BUILTINS = (
    "response_headers_conformance",
    "missing_required_header",
    "object_level_authorization",
    "allow_header_conformance",
)
ALL_CHECKS = (*BUILTIN_CHECKS, *checks.RESPONSE_CHECKS, *checks.LIFECYCLE_CHECKS, *checks.TENANCY_CHECKS)


# Where the reproductions of an in-process run send their requests: `pcaps-contract mock`'s default address.
SERVED_ORIGIN = "http://127.0.0.1:8787"


DEFAULT_MAX_TIME = 900.0
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True)
class GateOptions:
    """One run of the gate.

    Args:
        target: what to judge (see `targets`).
        credentials: sent with every positive request.
        accounts: the accounts the credentials may use; the first one or two are exercised.
        spec_path: the spec (the bundled one when None).
        profile: `quick`, `ci` or `thorough` (see `profiles`).
        seed: the run's seed; None draws one (or the fixed CI seed under `ci`).
        max_examples: cases per operation, overriding the profile's.
        workers: concurrent workers for schemathesis's phases.
        clock_skew: how far ahead of this machine's clock a `submitted` may be.
        timeout: seconds for one whole answer (connect, headers and body) of a served target.
        max_time: seconds the run may take before its cleanup; it stops sending then.
        rate: requests per second at most (None: as fast as the target answers).
        max_response_bytes: the largest answer body judged, after decompression.
        bucket: an s3:// or r2:// bucket the lifecycle adds and reads challenge files from, so that
            validations succeed on any implementation (None: only the bundled mock's test route, in-process).
        s3_endpoint: the S3 API endpoint of `bucket` (None: AWS, or the R2 account's endpoint).
        require_all: a run with any check never judged could not judge (exit 2).
    """

    target: Target
    credentials: Credentials
    accounts: tuple[str, ...]
    spec_path: Path | None = None
    profile: str | None = None
    seed: int | None = None
    max_examples: int | None = None
    workers: int = 1
    clock_skew: timedelta = checks.DEFAULT_CLOCK_SKEW
    lifecycle: bool = True
    timeout: float = DEFAULT_TIMEOUT
    max_time: float = DEFAULT_MAX_TIME
    rate: float | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    bucket: str | None = None
    s3_endpoint: str | None = None
    require_all: bool = False

    def resolved_profile(self) -> Profile:
        return get_profile(self.profile)

    def resolved_seed(self) -> int:
        if self.seed is not None:
            return self.seed
        return CI_SEED if self.resolved_profile().derandomize else random.randrange(2**31)


@dataclass
class _Run:
    """Mutable state of one run, filled by the engine's events (all on this thread) and the lifecycle machine."""

    ledger: Ledger
    registry: CleanupRegistry = field(default_factory=CleanupRegistry)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    throttled: int = 0
    stopped: str | None = None
    unanswered: int = 0  # engine errors in a row without an answer: the target may be gone
    redact: Callable[[str], str] = str  # the run's secrets out of any text, before it is cut
    delivered_validations: int = 0  # validations with the delivered challenge the lifecycle judged
    source_problem: str | None = None  # why the challenge source could not read a challenge, last time


class _Connection:
    """How one run talks to its target: the polite session of a served target, or the app's in-process client."""

    def __init__(self, options: GateOptions, interrupt: threading.Event | None) -> None:
        self.options = options
        self.target = options.target
        self.stats = SendStats()
        self.time_up = threading.Event()
        self.stop = AnyOf(self.time_up, interrupt) if interrupt is not None else AnyOf(self.time_up)
        self.timer = threading.Timer(options.max_time, self.time_up.set)
        self.timer.daemon = True
        self.limiter = RateLimiter(options.rate or _UNLIMITED)
        self.policy = RetryPolicy(timeout=options.timeout)
        self.limits = ResponseLimits(max_response_bytes=options.max_response_bytes)
        self.adapter: PoliteAdapter | None = None
        if not self.target.in_process:
            self.adapter = self._adapter(self.stop)
            self.client: Any = polite_session(self.adapter, options.credentials.headers())
            self.errors: tuple[type[Exception], ...] = (requests.RequestException, Cancelled)
        else:
            self.client = self.target.client(options.credentials.headers())
            self.errors = (httpx.HTTPError,)

    def _adapter(self, stop: AnyOf) -> PoliteAdapter:
        return PoliteAdapter(
            self.limiter, self.policy, self.stats, stop, origin=self.target.base_url, limits=self.limits
        )

    def __enter__(self) -> _Connection:
        self.timer.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.timer.cancel()
        self.client.close()

    def clean_up(self, registry: CleanupRegistry) -> CleanupResult:
        """Delete what the run created, within the cleanup's own time limit."""
        headers = self.options.credentials.headers()
        return clean_up_in_time(
            lambda stop: polite_session(self._adapter(stop), headers), self.target.base_url, registry
        )


_UNLIMITED = 1e9
# Requests in a row without an answer after which schemathesis's phases stop: the target is gone.
LOST_AFTER = 5


def run_gate(options: GateOptions, interrupt: threading.Event | None = None) -> GateReport:
    """Judge the target against the spec; the report says what passed, failed or never applied.

    Whatever happens after the preflight, the report comes back (with `error` set when the run could not
    judge), and everything the run created on a served target has been deleted or is listed as left behind.

    Raises:
        SpecError: the spec cannot be read.
        UsageError: the options cannot work.
        TargetError: the target is unreachable or refuses the credentials (found by the preflight).
    """
    check_options(options)
    spec = load_spec(options.spec_path)
    operations = [operation.operation_id or operation.label for operation in spec.operations()]
    if not operations:
        raise UsageError(f"{spec.path} declares no operations: there is nothing to judge.")
    profile = options.resolved_profile()
    seed = options.resolved_seed()
    started = time.monotonic()
    run = _Run(Ledger(operations, ALL_CHECKS), redact=options.credentials.redact)
    policy = checks.Policy(clock_skew=options.clock_skew)
    report = GateReport(
        target=options.target.description,
        seed=seed,
        profile=profile.name,
        ledger=run.ledger,
        credentials=options.credentials,
    )
    with _Connection(options, interrupt) as connection:
        try:
            preflight(options, connection.client, connection.errors, run.registry)
            _run_phases(build_schema(spec, options, profile, seed), connection, run, policy)
            if options.lifecycle and not connection.stop.is_set() and run.unanswered < LOST_AFTER:
                _run_lifecycle(options, connection, run, policy, profile, seed)
        except PcapsContractError:
            raise
        except Exception as exc:  # a bug or a surprise must not skip the cleanup or lose the verdicts so far
            report.error = f"the run broke down ({type(exc).__name__}: {clip(run.redact(str(exc)), 200)})"
        finally:
            if not options.target.in_process:  # an in-process app's state goes away with it
                report.leftovers = connection.clean_up(run.registry).leftovers
        if interrupt is not None and interrupt.is_set():
            report.error = report.error or "interrupted before the run was over"
        elif connection.time_up.is_set():
            run.stopped = run.stopped or f"the run reached --max-time {options.max_time:g}s"
    report.seconds = time.monotonic() - started
    report.requests = connection.stats["requests"] if connection.adapter is not None else sum(run.statuses.values())
    report.never_judged = never_judged(run.ledger, options, run.delivered_validations)
    _add_notes(report, options, run, connection.stats)
    report.error = report.error or unjudged(run)
    if options.require_all and report.never_judged and report.conforms and not report.error:
        report.error = (
            f"--require-all: {len(report.never_judged)} check(s) never judged ({', '.join(report.never_judged)})"
        )
    return report


# The checks only a successful validation reaches, and the checks only two accounts reach.
VALIDATED_CHECKS = ("validation_sets_status", "validated_is_not_before_submitted")
NO_VALIDATION = "no validation succeeded: give --bucket to judge validated"
ONE_ACCOUNT = "give two --account-id values the credentials can use"


def never_judged(ledger: Ledger, options: GateOptions, delivered_validations: int) -> dict[str, str]:
    """Each check that never applied in the run, and why (the success path of validation counts on its own)."""
    lifecycle = {*checks.LIFECYCLE_CHECKS, *checks.TENANCY_CHECKS}
    reasons: dict[str, str] = {}
    for check in ledger.checks:
        if any(ledger.status(operation, check) != SKIPPED for operation in ledger.operations):
            continue
        if check in checks.TENANCY_CHECKS and len(options.accounts) < 2:
            reasons[check] = ONE_ACCOUNT
        elif check in lifecycle and not options.lifecycle:
            reasons[check] = "the lifecycle did not run"
        elif check in VALIDATED_CHECKS and not delivered_validations:
            reasons[check] = NO_VALIDATION
        else:
            reasons[check] = "no response of the run fell under it"
    if options.lifecycle and not delivered_validations and "validation_sets_status" not in reasons:
        reasons["validation_sets_status"] = f"its success path: {NO_VALIDATION}"
    return reasons


def check_options(options: GateOptions) -> None:
    """Refuse, before anything is sent, options that cannot work (each a sentence saying how to fix it)."""
    if not options.accounts:
        raise UsageError("no account: pass --account-id (or set CLOUDFLARE_ACCOUNT_ID).")
    for account in options.accounts:
        if not is_identifier(account):
            raise UsageError(f"--account-id {account!r} is not an account id (1 to 32 characters, e.g. 32 hex).")
    skew = options.clock_skew.total_seconds()
    for flag, value, may_be_zero in (
        ("--clock-skew", skew, True),
        ("--timeout", options.timeout, False),
        ("--max-time", options.max_time, False),
    ):
        if not math.isfinite(value) or value < 0 or (value == 0 and not may_be_zero):
            above = " of 0 or more" if may_be_zero else " above 0"
            raise UsageError(f"{flag} must be a finite number of seconds{above}, not {value:g}.")
    if options.max_response_bytes < MIN_RESPONSE_BYTES:
        raise UsageError(f"--max-response-bytes {options.max_response_bytes} must be at least {MIN_RESPONSE_BYTES}.")
    if options.s3_endpoint is not None and options.bucket is None:
        raise UsageError("--s3-endpoint is the endpoint of --bucket: give --bucket s3://NAME?region=R too.")
    if options.bucket is not None:
        from pcaps_contract._targets import BucketSource

        BucketSource(options.bucket, options.s3_endpoint)  # refuses a URI it cannot read challenges from


def _run_lifecycle(
    options: GateOptions, connection: _Connection, run: _Run, policy: checks.Policy, profile: Profile, seed: int
) -> None:
    from pcaps_contract._lifecycle import Judge, run_lifecycle
    from pcaps_contract._targets import challenge_source

    target = options.target
    source = challenge_source(target, connection.client, options.bucket, options.s3_endpoint)
    judge = Judge(
        connection.client,
        target.base_url,
        policy,
        run.ledger,
        run.statuses,
        source=source,
        credentials=options.credentials,
    )
    # Lifecycle runs are cheap and their first few are short, so `--max-examples` may raise them, never lower.
    runs = max(options.max_examples or 0, profile.lifecycle_examples)
    stopped = run_lifecycle(judge, options.accounts, run.registry, profile, seed, runs)
    run.throttled += judge.tally.throttled
    run.delivered_validations = judge.delivered_validations
    run.source_problem = getattr(source, "problem", None)
    if judge.tally.lost:
        run.errors.append(f"{len(judge.tally.lost)} lifecycle request(s) got no answer ({judge.tally.lost[0]})")
    if stopped is not None:
        run.stopped = f"the lifecycle stopped early: {stopped}"


def _add_notes(report: GateReport, options: GateOptions, run: _Run, stats: SendStats) -> None:
    if len(options.accounts) < 2:
        report.notes.append("tenancy was not judged: give two --account-id values the credentials can use.")
    throttled = stats["throttle_gave_up"] + run.throttled
    if stats["throttled"]:
        report.notes.append(
            f"the target answered 429 {stats['throttled']} time(s); the run waited {stats.waited:.0f}s as told "
            f"by Retry-After{f' and gave up on {throttled} request(s), left unjudged' if throttled else ''}."
        )
    if run.stopped:
        report.notes.append(run.stopped)
    if run.source_problem:
        report.notes.append(f"a challenge could not be read from --bucket: {run.source_problem}.")
    if options.target.in_process and not report.conforms:
        report.reproduce_origin = SERVED_ORIGIN
        report.notes.append(
            f"the target ran in-process: the reproductions assume it is served at {SERVED_ORIGIN} "
            f"(the bundled mock: `pcaps-contract mock {' '.join('--account ' + a for a in options.accounts)}`)."
        )


def unjudged(run: _Run) -> str | None:
    """Why the run cannot give a verdict, if it cannot: nothing answered, or nothing but 404/429/errors."""
    statuses = run.statuses
    total = sum(statuses.values())
    if refused_everywhere(statuses):
        return (
            f"no request succeeded and most were refused ({status_counts(statuses)}); "
            "check the credentials and --account-id."
        )
    succeeded = sum(count for status, count in statuses.items() if 200 <= status < 300)
    if total and not succeeded and statuses.get(404, 0) * 10 >= total * 9:
        return f"every request answered 404 ({status_counts(statuses)}): does --base-url end in /client/v4?"
    if run.errors and (not total or not succeeded):
        return "could not judge: " + "; ".join(run.errors[:3])
    if run.stopped and not run.ledger.failures():
        return f"could not judge everything: {run.stopped}"
    if not total:
        return "no request got an answer to judge."
    never = [operation for operation in run.ledger.operations if not run.ledger.judged(operation)]
    if never and not run.ledger.failures():
        return f"nothing was judged on {', '.join(never)} (every answer throttled, lost or refused)."
    return None


def refused_everywhere(statuses: Mapping[int, int]) -> bool:
    """Whether the answers say "wrong credentials" rather than "broken server": no 2xx, mostly 401/403."""
    total = sum(statuses.values())
    refused = statuses.get(401, 0) + statuses.get(403, 0)
    return total > 0 and not any(200 <= status < 300 for status in statuses) and 2 * refused >= total


def preflight(
    options: GateOptions,
    client: Any,
    errors: tuple[type[Exception], ...] = (httpx.HTTPError,),
    registry: CleanupRegistry | None = None,
) -> None:
    """List each account once: an unreachable target, refused credentials or a wrong base path stop the run.

    `client` is anything with `get(url)` (the run's polite session, or the in-process app's client); `errors` are
    the transport errors it raises. The ids each account already holds go to `registry`: the cleanup never
    touches them.
    """
    target = options.target
    for account in options.accounts:
        url = target.base_url + api_path("accounts", account, "pcaps", "ownership")
        try:
            response = client.get(url)
        except Cancelled:
            raise TargetError("the run was stopped (Ctrl-C, SIGTERM or --max-time) during the preflight.") from None
        except Throttled:
            raise TargetError(
                f"{target.description} answered 429 to every try of the preflight; wait for its rate limit "
                "to reset (Retry-After) or lower --rate-limit, then run again."
            ) from None
        except errors as exc:
            raise TargetError(
                f"cannot reach {target.description} ({type(exc).__name__}: {clip(str(exc), 120)}); "
                "check --base-url and that it runs."
            ) from None
        if response.status_code in (401, 403):
            raise TargetError(
                f"{target.description} answered {response.status_code} listing account {account}: "
                "the credentials are refused there; check the token (or email and key) and --account-id."
            )
        if response.status_code == 404 and not _is_envelope(response.content):
            raise TargetError(f"{target.description} answered 404 to GET {url}: does --base-url end in /client/v4?")
        if registry is not None and response.status_code == 200:
            registry.existed_before(account, {str(record.get("id")) for record in listed(response.content)})


def _is_envelope(content: bytes) -> bool:
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(body, dict) and "success" in body


def build_schema(spec: Spec, options: GateOptions, profile: Profile, seed: int) -> Any:
    """The schemathesis schema of the spec, aimed at the target, with our data hooks and budget."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_dict(
        {
            "seed": seed,
            "cache": {"enabled": False},
            "headers": options.credentials.headers(),
            "workers": options.workers,
            "generation": {
                "max-examples": options.max_examples or profile.max_examples,
                "database": "none",
                "deterministic": profile.derandomize,
                "no-shrink": not profile.shrink,
            },
            "phases": {"stateful": {"max-steps": profile.stateful_steps}},
            "checks": {name: {"enabled": False} for name in _DISABLED_BUILTINS},
            # One failing check must not stop the others on an operation: every cell is judged on its own.
            "continue-on-failure": True,
            "request-timeout": options.timeout,
        }
    )
    schema = schemathesis.openapi.from_path(spec.path, config=config)
    if options.target.in_process:
        schema.app = options.target.app
    else:
        schema.config.update(base_url=options.target.base_url)
    _add_data_hooks(schema, spec, options.accounts[0], options.bucket)
    return schema


def _add_data_hooks(schema: Any, spec: Spec, account: str, bucket: str | None = None) -> None:
    """Pin `account_id` on every case whose account is valid; give positive fuzzed bodies real bucket URIs.

    With `bucket` (`--bucket`), every positive body of every phase names that bucket: a server that writes
    the challenge into the bucket rightly refuses buckets that do not exist.
    """
    from hypothesis import strategies as st
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation.meta import TestPhase

    bodies = {
        operation.operation_id: f"{operation.pointer}/requestBody/content/application~1json/schema"
        for operation in spec.operations()
        if "requestBody" in operation.definition
    }

    @schema.hook("map_case")  # type: ignore[untyped-decorator]
    def pin_account(context: Any, case: Any) -> Any:
        # A valid account id is replaced by the one the credentials can use, so that the case reaches the
        # handler; an invalid one (negative data, e.g. 33 characters) is kept, so that it is still rejected.
        parameters = case.path_parameters
        if parameters and is_identifier(as_the_server_reads(parameters.get("account_id"))):
            parameters["account_id"] = quote(account, safe="")
        if bucket is not None and _positive_body(case):
            case.body = {**case.body, "destination_conf": bucket}
        return case

    if bucket is not None:

        @schema.hook("before_add_examples")  # type: ignore[untyped-decorator]
        def examples_name_the_bucket(context: Any, examples: list[Any]) -> None:
            # The examples phase skips `map_case`: its positive bodies get the bucket here.
            for case in examples:
                if _positive_body(case):
                    case.body = {**case.body, "destination_conf": bucket}

    def _positive_body(case: Any) -> bool:
        pointer = bodies.get(case.operation.definition.raw.get("operationId"))
        meta = case.meta
        return (
            pointer is not None
            and isinstance(case.body, dict)
            and not (meta is not None and meta.is_negative_at(ParameterLocation.BODY))
            and not spec.errors(pointer, case.body)
        )

    @schema.hook("flatmap_case")  # type: ignore[untyped-decorator]
    def realistic_buckets(context: Any, case: Any) -> Any:
        pointer = bodies.get(case.operation.definition.raw.get("operationId"))
        meta = case.meta
        if (
            pointer is None
            or meta is None
            or meta.phase.name != TestPhase.FUZZING
            or bucket is not None  # already named in every positive body by `pin_account`
            or meta.is_negative_at(ParameterLocation.BODY)
            or not isinstance(case.body, dict)
            or spec.errors(pointer, case.body)
        ):
            return st.just(case)

        def with_conf(conf: str | None) -> Any:
            if conf is not None:
                case.body = {**case.body, "destination_conf": conf}
            return case

        return st.one_of(st.none(), destination_confs()).map(with_conf)


# --- our checks inside schemathesis -------------------------------------------------------------------

# The policy of each running schema, by identity (schemathesis schemas compare by value, so no weak map).
_POLICIES: dict[int, checks.Policy] = {}
_REGISTERED = threading.Lock()
_registered = False


def register_checks() -> None:
    """Register each response check of `checks` with schemathesis, once per process."""
    global _registered
    import schemathesis

    with _REGISTERED:
        if _registered:
            return
        for name, check in checks.RESPONSE_CHECKS.items():
            schemathesis.check(_as_schemathesis_check(name, check))
        _registered = True


def _as_schemathesis_check(name: str, check: checks.ResponseCheck) -> Any:
    def schemathesis_check(ctx: Any, response: Any, case: Any) -> bool | None:
        policy = _POLICIES.get(id(case.operation.schema), checks.Policy())
        applied = check(exchange_from(response, case), policy)
        return None if applied else True  # True tells schemathesis the check did not apply

    schemathesis_check.__name__ = name
    schemathesis_check.__doc__ = check.__doc__
    return schemathesis_check


def exchange_from(response: Any, case: Any) -> checks.Exchange:
    """A schemathesis response (and the case that produced it) as an `Exchange`."""
    request = response.request
    body = request.body
    request_body: Any = None
    if body:
        try:
            request_body = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            request_body = None
    return checks.Exchange(
        operation_id=case.operation.definition.raw.get("operationId"),
        method=str(request.method),
        url=str(request.url),
        status=response.status_code,
        content=response.content or b"",
        request_body=request_body,
        request_headers=dict(request.headers),
        response_headers={key: ", ".join(values) for key, values in response.headers.items()},
    )


# --- the engine's events into the ledger ---------------------------------------------------------------


def _run_phases(schema: Any, connection: _Connection, run: _Run, policy: checks.Policy) -> None:
    """Schemathesis's phases over the target, every request through the run's sender, verdicts into the ledger."""
    from schemathesis.engine import from_schema

    from pcaps_contract._routing import routed

    register_checks()
    _POLICIES[id(schema)] = policy
    try:
        if connection.adapter is None:
            _record_events(from_schema(schema).execute(), connection, run)
        else:
            remember = partial(_remember_created, run)
            with routed(schema, connection.adapter, remember, connection.options.accounts):
                _record_events(from_schema(schema).execute(), connection, run)
    finally:
        del _POLICIES[id(schema)]


def _record_events(stream: Any, connection: _Connection, run: _Run) -> None:
    from schemathesis.engine import Status, events

    for event in stream:
        if isinstance(event, events.ScenarioFinished):
            _record_scenario(event.recorder, run, Status)
        elif isinstance(event, events.NonFatalError):
            _record_error(event.value, f"{event.label}: {event.info.title}: {event.info.message}", run)
        elif isinstance(event, events.FatalError):
            _record_error(event.exception, f"schemathesis stopped: {event.exception}", run)
        elif isinstance(event, events.EngineFinished):
            run.errors.extend(str(failure.title) for failure in event.failures)
        if run.unanswered >= LOST_AFTER and not run.stopped:
            run.stopped = f"the target stopped answering ({run.unanswered} requests in a row got no answer)"
        if connection.stop.is_set() or run.unanswered >= LOST_AFTER:
            stream.stop()


def _record_error(error: BaseException, text: str, run: _Run) -> None:
    """An error of the engine: a throttled or cut-short request is counted; anything else means "could not judge"."""
    cause = error.__cause__ or error.__context__
    if isinstance(error, Throttled) or isinstance(cause, Throttled):
        run.throttled += 1
    elif isinstance(error, Cancelled) or isinstance(cause, Cancelled):
        run.stopped = run.stopped or "the run's time was up before schemathesis's phases ended"
    else:
        if isinstance(error, requests.RequestException) or isinstance(cause, requests.RequestException):
            run.unanswered += 1
        run.errors.append(clip(text.splitlines()[0] if text else type(error).__name__, 300))


def _record_scenario(recorder: Any, run: _Run, status_enum: Any) -> None:
    for interaction in recorder.interactions.values():
        if interaction.response is not None:
            run.statuses[interaction.response.status_code] += 1
            run.unanswered = 0
    for case_id, nodes in recorder.checks.items():
        case_node = recorder.cases.get(case_id)
        if case_node is None:
            continue
        case = case_node.value
        operation = case.operation.definition.raw.get("operationId") or case.operation.label
        for node in nodes:
            if node.status == status_enum.SUCCESS:
                run.ledger.passed(operation, node.name)
            elif node.status == status_enum.FAILURE and node.failure_info is not None:
                run.ledger.failed(_failure(operation, node, recorder, case_id, run.redact))


def _remember_created(run: _Run, case: Any, response: Any) -> None:
    """Track an ownership the run created as soon as its answer arrives, before any check runs."""
    created = created_by(
        str(response.request.method), str(response.request.url), response.status_code, response.content
    )
    if created is not None:
        run.registry.track(*created)


def created_by(method: str, url: str, status: int, content: bytes) -> tuple[str, str] | None:
    """(account, id) of the ownership a create made, both decoded, or None when the answer is no create."""
    if method.upper() != "POST" or not 200 <= status < 300:
        return None
    segments = [unquote(segment) for segment in urlsplit(url).path.rstrip("/").split("/")]
    if len(segments) < 4 or segments[-2:] != ["pcaps", "ownership"] or segments[-4] != "accounts":
        return None
    try:
        result = json.loads(content).get("result")
    except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
        return None
    if isinstance(result, dict) and isinstance(result.get("id"), str) and result["id"]:
        return segments[-3], result["id"]
    return None


def _failure(operation: str, node: Any, recorder: Any, case_id: str, redact: Callable[[str], str]) -> Failure:
    failure = node.failure_info.failure
    interaction = recorder.interactions.get(case_id)
    status = interaction.response.status_code if interaction is not None and interaction.response else None
    # Redacted before `split_message` cuts anything: a cut must never leave part of a secret behind.
    title, message = redact(str(failure.title)), redact(str(failure.message or ""))
    expected, received = split_message(node.name, title, message, status)
    chain = [case_id]
    parent = recorder.cases[case_id].parent_id
    while parent is not None and len(chain) < 6:
        chain.append(parent)
        parent = recorder.cases[parent].parent_id if parent in recorder.cases else None
    steps = tuple(
        _step(recorder.interactions[item].request) for item in reversed(chain) if item in recorder.interactions
    )
    return Failure(operation, node.name, expected, received, steps)


def _step(request: Any) -> Step:
    headers = {key: values[0] if isinstance(values, list) else values for key, values in request.headers.items()}
    lowered = {key.lower() for key in headers}
    body = request.body.decode("utf-8", "replace") if request.body else None
    authenticated = bool(lowered & {"authorization", "x-auth-key"})
    return Step(request.method, request.uri, headers, body, authenticated)


# What each built-in check expects, in words, for failures whose message has no `Expected:` line.
BUILTIN_EXPECTATIONS = {
    "not_a_server_error": "a status below 500",
    "status_code_conformance": "a status the spec documents for this operation",
    "content_type_conformance": "a Content-Type the spec documents for this response (application/json)",
    "response_schema_conformance": "a body valid against the spec's schema for this status",
    "negative_data_rejection": "a 4xx for a request that breaks the spec",
    "positive_data_acceptance": "a 2xx (or 401/403/404) for a request the spec allows",
    "ignored_auth": "401 or 403 for a request without valid credentials",
    "unsupported_method": "405 for a method the spec does not declare",
    "use_after_free": "404 for a resource once it was deleted",
    "ensure_resource_availability": "a resource just created to be found by the operations linked to it",
}


def split_message(check: str, title: str, message: str, status: int | None) -> tuple[str, str]:
    """Expected and Received of a schemathesis failure (built-ins often write `Expected:` themselves)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    expected = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Expected:")), None)
    received = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("Received:")), None)
    if expected is None:
        expected = BUILTIN_EXPECTATIONS.get(check, title.rstrip("."))
    if received is None:
        detail = " ".join([title.rstrip(".") + ":", *(line for line in lines if not line.startswith("Expected:"))])
        received = f"status {status}; {clip(detail, 300)}" if status is not None else clip(detail, 300)
    return expected, received


def status_counts(statuses: Mapping[int, int]) -> str:
    """`200 x12, 404 x3`: how the target answered, for notes and errors."""
    return ", ".join(f"{status} x{count}" for status, count in sorted(statuses.items()))


def resolve_options(
    *,
    base_url: str | None = None,
    app: str | None = None,
    accounts: list[str] | None = None,
    token: str | None = None,
    email: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str],
    allow_production: bool = False,
    **settings: Any,
) -> GateOptions:
    """The options of a run from what a person typed (either door) and the environment.

    No target means the bundled mock in-process, which then accepts exactly the given credentials (the
    development token by default) for exactly the given accounts (two fixed ones by default).
    """
    from pcaps_contract._credentials import ACCOUNT_ENV, resolve_credentials
    from pcaps_contract._targets import MOCK_ACCOUNTS, base_url_target, bundled_mock, load_app, mock_credentials

    if base_url and app:
        raise UsageError("give --base-url or --app, not both.")
    chosen = tuple(accounts or [item.strip() for item in environ.get(ACCOUNT_ENV, "").split(",") if item.strip()])
    if base_url or app:
        credentials = resolve_credentials(token, email, api_key, environ)
        target = base_url_target(base_url, allow_production=allow_production) if base_url else load_app(app or "")
    else:
        credentials = resolve_credentials(token, email, api_key, environ, default=mock_credentials())
        chosen = chosen or MOCK_ACCOUNTS
        target = bundled_mock(credentials, chosen)
    bucket_keys = bucket_secrets(settings.get("bucket"))
    if bucket_keys:
        credentials = replace(credentials, others=bucket_keys)
    return GateOptions(target=target, credentials=credentials, accounts=chosen, **settings)


def bucket_secrets(bucket: str | None) -> tuple[tuple[str, str], ...]:
    """The keys an `r2://` --bucket URI carries, each with the variable it is shown as (every body names it)."""
    if not bucket:
        return ()
    query = parse_qs(urlsplit(bucket).query)
    names = (("secret-access-key", "$R2_SECRET_ACCESS_KEY"), ("access-key-id", "$R2_ACCESS_KEY_ID"))
    return tuple((query[key][0], name) for key, name in names if query.get(key, [""])[0])


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


MIN_RESPONSE_BYTES = 1024


def response_bytes(text: str) -> int:
    """`--max-response-bytes`: at least 1024, so that every envelope of the API fits."""
    value = int(text)
    if value < MIN_RESPONSE_BYTES:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_RESPONSE_BYTES}, not {value}")
    return value


def seconds(text: str) -> float:
    """A finite, non-negative number of seconds (`nan`, `inf` and negatives are refused before anything runs)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, 0 or more, not {text}")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds above 0."""
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def rate_per_second(text: str) -> float:
    """`--rate-limit` as requests per second (`20/s`, `300/min`, `1000/h`)."""
    from pcaps_contract._fuzz.safety import parse_rate

    try:
        return parse_rate(text).per_second
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--rate-limit {text!r} ").rstrip(".")) from None


# The options of both doors (`pcaps-contract check` and `pytest contract_tests`), declared once.
GATE_ARGUMENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--base-url", {"metavar": "URL", "help": "a running server, e.g. http://127.0.0.1:8787/client/v4"}),
    ("--app", {"metavar": "MODULE:ATTR", "help": "an ASGI or WSGI app to load in-process"}),
    (
        "--account-id",
        {
            "dest": "accounts",
            "action": "append",
            "metavar": "ID",
            "help": "an account the credentials can use; twice to judge tenancy (env CLOUDFLARE_ACCOUNT_ID)",
        },
    ),
    ("--token", {"help": "API token (env CLOUDFLARE_API_TOKEN)"}),
    ("--email", {"help": "X-Auth-Email, with --api-key (env CLOUDFLARE_EMAIL)"}),
    ("--api-key", {"help": "X-Auth-Key, with --email (env CLOUDFLARE_API_KEY)"}),
    ("--spec", {"type": Path, "help": "the spec (default: the bundled spec)"}),
    ("--profile", {"choices": ("quick", "ci", "thorough"), "help": "budget: quick (default), ci, thorough"}),
    ("--seed", {"type": int, "help": "seed of the run (printed at the end; reuse it to repeat a run)"}),
    ("--max-examples", {"type": _positive, "metavar": "N", "help": "cases per operation (overrides the profile)"}),
    ("--workers", {"type": _positive, "default": 1, "metavar": "N", "help": "concurrent workers (default 1)"}),
    (
        "--clock-skew",
        {"type": seconds, "default": 300.0, "metavar": "SECONDS", "help": "how far `submitted` may be ahead (300)"},
    ),
    (
        "--timeout",
        {
            "type": positive_seconds,
            "default": DEFAULT_TIMEOUT,
            "metavar": "SECONDS",
            "help": f"the most one whole answer may take: connect, headers and body ({DEFAULT_TIMEOUT:g})",
        },
    ),
    (
        "--max-time",
        {
            "type": positive_seconds,
            "default": DEFAULT_MAX_TIME,
            "metavar": "SECONDS",
            "help": f"the run stops sending after this long, then cleans up within {CLEANUP_TIME_LIMIT:g} s "
            f"({DEFAULT_MAX_TIME:g})",
        },
    ),
    (
        "--rate-limit",
        {
            "dest": "rate",
            "type": rate_per_second,
            "metavar": "RATE",
            "help": "requests at most, e.g. 20/s or 300/min (default: no limit); 429s are waited out anyway",
        },
    ),
    (
        "--max-response-bytes",
        {
            "type": response_bytes,
            "default": DEFAULT_MAX_RESPONSE_BYTES,
            "metavar": "N",
            "help": f"the largest answer body judged, after decompression ({DEFAULT_MAX_RESPONSE_BYTES})",
        },
    ),
    (
        "--bucket",
        {
            "metavar": "URI",
            "help": "an s3:// or r2:// bucket the run adds and reads challenge files from, so that validations "
            "succeed (keys: the R2 URI's, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
        },
    ),
    ("--s3-endpoint", {"metavar": "URL", "help": "the S3 API endpoint of --bucket (default: AWS, or R2's)"}),
    (
        "--require-all",
        {"action": "store_true", "help": "exit 2 (could not judge) when any check was never judged"},
    ),
    (
        "--allow-production",
        {"action": "store_true", "help": "allow api.cloudflare.com as the target (it creates real ownerships)"},
    ),
)


def options_from(value: Callable[[str], Any], environ: Mapping[str, str]) -> GateOptions:
    """The options of a run from the parsed `GATE_ARGUMENTS` (`value(dest)` reads one)."""
    return resolve_options(
        base_url=value("base_url"),
        app=value("app"),
        accounts=value("accounts"),
        token=value("token"),
        email=value("email"),
        api_key=value("api_key"),
        environ=environ,
        spec_path=value("spec"),
        profile=value("profile"),
        seed=value("seed"),
        max_examples=value("max_examples"),
        workers=value("workers"),
        clock_skew=timedelta(seconds=value("clock_skew")),
        timeout=value("timeout"),
        max_time=value("max_time"),
        rate=value("rate"),
        max_response_bytes=value("max_response_bytes"),
        allow_production=value("allow_production"),
        bucket=value("bucket"),
        s3_endpoint=value("s3_endpoint"),
        require_all=value("require_all"),
    )
