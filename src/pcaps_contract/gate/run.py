"""One run of the gate: preflight, schemathesis's phases, the lifecycle, the cleanup; GateOptions -> RunReport."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pcaps_contract._compat import ready_for_threads
from pcaps_contract._errors import PcapsContractError, UsageError
from pcaps_contract._internal import cause_of, internal_error
from pcaps_contract.engine import (
    INTERRUPTED,
    OWN_PHASES,
    SERVED_ORIGIN,
    STATEFUL,
    ChallengeSource,
    Connection,
    Profile,
    RunState,
    SendStats,
    build_schema,
    challenge_source,
    engine_task,
    open_target,
    preflight,
)
from pcaps_contract.gate.options import GateOptions, check_options
from pcaps_contract.gate.progress import GateCounts, Ticker
from pcaps_contract.judge import (
    ALL_CHECKS,
    SKIPPED,
    Ledger,
    checks,
    could_not_judge,
    documented_statuses,
    is_a_verdict,
    without_real_answers,
)
from pcaps_contract.openapi import Spec, api, load_spec
from pcaps_contract.report import FailureFound, Listener, RunReport, RunStarted, utc_now

if TYPE_CHECKING:
    from pcaps_contract.gate.lanes import Judge
    from pcaps_contract.gate.probes import ProbeTable


def run_gate(
    options: GateOptions,
    interrupt: threading.Event | None = None,
    listener: Listener | None = None,
) -> RunReport:
    """Judge the target against the spec; the report says what passed, failed or never applied.

    Whatever happens after the preflight, the report comes back (with `error` set when the run could not
    judge), and everything the run created on a served target has been deleted or is listed as left behind.

    Raises:
        SpecError: the spec cannot be read.
        UsageError: the options cannot work.
        TargetError: the target is unreachable or refuses the credentials (found by the preflight).

    `listener`, when given, is told the run's events (`report.stream`) as it goes: that it started, each failure
    as the ledger records it, and what the run has counted every quarter of a second (requests, in flight, the
    current rate), the last count when it is over. The run's end (`RunFinished`) is the caller's to tell, once
    its reports are written.
    """
    check_options(options)
    spec = load_spec(options.spec_path)
    operations = [operation.operation_id or operation.label for operation in spec.operations()]
    if not operations:
        raise UsageError(f"{spec.path} declares no operations: there is nothing to judge.")
    profile = options.resolved_profile()
    seed = options.resolved_seed()
    started = time.monotonic()
    on_failure = (lambda failure: listener(FailureFound(failure))) if listener is not None else None
    run = RunState(Ledger(operations, ALL_CHECKS, on_failure), redact=options.credentials.redact)
    report = RunReport(
        target=options.target.description,
        seed=seed,
        profile=profile.name,
        ledger=run.ledger,
        credentials=options.credentials,
        started_at=utc_now(),
        spec_sha256=spec.sha256,
    )
    if listener is not None:
        listener(RunStarted(report))
    target = open_target(options.target, options.credentials, options.accounts)
    with Connection(options, target, interrupt) as connection, _ticking(listener, connection, run):
        # Before anything is sent: a --bucket the run cannot read stops it here.
        source = challenge_source(
            target,
            connection.client,
            options.bucket,
            wait=options.challenge_wait,
            stop=connection.stop,
        )
        try:
            mock = preflight(target, options.accounts, connection.client, connection.errors, run.registry)
            source = source or connection.served_mock_source(mock)
            with ready_for_threads(options.resolved_workers() > 1):
                _judge_side_by_side(spec, options, profile, seed, connection, run, source)
        except PcapsContractError:
            raise
        except Exception as exc:  # a bug or a surprise must not skip the cleanup or lose the verdicts so far
            run.internal = run.internal or cause_of(exc, run.redact)
        finally:
            if not options.target.in_process:  # an in-process app's state goes away with it
                report.leftovers = connection.clean_up(run.registry).leftovers
        if connection.halt.error is not None:  # the one sentence says it all: no note repeats it
            report.error = report.error or str(connection.halt.error)
            run.stopped = None
        elif connection.interrupt.is_set():
            report.error = report.error or f"{INTERRUPTED} before the run was over"
        elif connection.time_up.is_set():
            run.stopped = run.stopped or f"the run reached --max-time {options.max_time:g}s"
    report.seconds = time.monotonic() - started
    report.requests = connection.stats["requests"] if connection.adapter is not None else sum(run.statuses.values())
    report.never_judged = never_judged(run.ledger, options, run.delivered_validations, run.unsettled)
    report.probes = run.probes
    _add_notes(report, options, run, connection.stats)
    if run.internal is not None:  # before any other reason: the verdicts so far cannot be trusted to be all
        report.error = internal_error(run.internal, seed)
    documented = documented_statuses(spec, run.ledger.operations)
    report.documented = {operation: sorted(keys) for operation, keys in documented.items()}
    report.answers = {operation: dict(kinds) for operation, kinds in run.answers.items()}
    report.error = report.error or unjudged(run, lifecycle=options.lifecycle, documented=documented)
    never = without_real_answers(run.answers, documented, run.ledger.operations)
    if never and not report.error:  # the violations on real answers are the verdict; what it could not judge shows
        report.notes.append(could_not_judge(never, "every request was throttled, lost or never sent") + ".")
    if options.require_all and report.never_judged and report.conforms and not report.error:
        report.error = (
            f"--require-all: {len(report.never_judged)} check(s) never judged ({', '.join(report.never_judged)})"
        )
    return report


# The checks only a successful validation reaches, and the checks only two accounts reach.
VALIDATED_CHECKS = (
    "validation_sets_status",
    "validated_is_not_before_submitted",
    "validated_is_not_after_answer",
    "validated_is_not_before_validation",
)
NO_VALIDATION = "no validation succeeded: give --bucket to judge validated"
ONE_ACCOUNT = "give two --account-id values the credentials can use"
# The checks that need every write of the run in the model's sight (`AccountModel.sees_everything`).
SIGHTED_CHECKS = (checks.shown_ownership_was_created.name, checks.failed_write_changes_nothing.name)


def never_judged(
    ledger: Ledger, options: GateOptions, delivered_validations: int, unsettled: str | None = None
) -> dict[str, str]:
    """Each check that never applied in the run, and why (the success path of validation counts on its own;
    `unsettled` says why a validation with the delivered challenge was not judged, when one stayed `pending`)."""
    lifecycle = {*checks.LIFECYCLE_CHECKS, *checks.TENANCY_CHECKS}
    no_validation = unsettled or NO_VALIDATION
    reasons: dict[str, str] = {}
    for check in ledger.checks:
        if any(ledger.status(operation, check) != SKIPPED for operation in ledger.operations):
            continue
        if check in checks.TENANCY_CHECKS and len(options.accounts) < 2:
            reasons[check] = ONE_ACCOUNT
        elif check in lifecycle and not options.lifecycle:
            reasons[check] = "the lifecycle did not run"
        elif check in VALIDATED_CHECKS and not delivered_validations:
            reasons[check] = no_validation
        elif check in SIGHTED_CHECKS and options.target.in_process:
            reasons[check] = "an in-process app's phases are out of the model's sight: give --base-url to judge it"
        elif check == checks.challenge_file_is_delivered.name and options.bucket is None:
            reasons[check] = "give --bucket to judge that the challenge file reaches the bucket"
        else:
            reasons[check] = "no response of the run fell under it"
    if options.lifecycle and not delivered_validations and "validation_sets_status" not in reasons:
        reasons["validation_sets_status"] = f"its success path: {no_validation}"
    return reasons


@contextmanager
def _ticking(listener: Listener | None, connection: Connection, run: RunState) -> Iterator[None]:
    if listener is None:
        yield
        return

    def counts() -> GateCounts:
        stats, ledger = connection.stats, run.ledger
        failed = len(ledger.failures())
        if connection.adapter is None:
            return GateCounts(
                sum(run.statuses.values()), None, failed, run.throttled, run.cases, run.phase, ledger.latest
            )
        return GateCounts(
            stats["requests"], stats["in_flight"], failed, stats["throttled"], run.cases, run.phase, ledger.latest
        )

    with Ticker(listener, counts):
        yield


def _judge_side_by_side(
    spec: Spec,
    options: GateOptions,
    profile: Profile,
    seed: int,
    connection: Connection,
    run: RunState,
    source: ChallengeSource | None,
) -> None:
    """Schemathesis's phases (an engine per operation, and one for the stateful phase over all of them) and the
    lifecycle's lanes, `--workers` at a time.

    None of them can change what another judges: each lane adds only buckets named for it (`pcaps-lN-...`),
    compares whole lists only over those, and deletes only what it created; the stateful phase deletes only
    what its own adds returned (the spec's links); an engine of one operation sees only its own answers. So
    every task draws the same cases, and gets the same verdicts, in any order and beside any other. With
    `--bucket` every positive body of the phases names that one bucket, so the lifecycle runs after them.
    """
    target = connection.target
    engines = [
        build_schema(spec, options, profile, seed, OWN_PHASES, target=target).include(operation_id=operation)
        for operation in run.ledger.operations
    ]
    stateful = build_schema(spec, options, profile, seed, STATEFUL, target=target)
    tasks = [
        engine_task(schema, run, connection.stop, connection.adapter, options.accounts)
        for schema in [*engines, stateful]
    ]
    lanes = _lanes(options, connection, run, profile, seed, source) if options.lifecycle else []
    table = _probe_table()
    probes = _probes(options, connection, run, seed, source, table) if options.lifecycle else []
    workers = options.resolved_workers()
    if options.bucket is None:
        # The probes first, each on a thread beside the workers: short sequences that mostly wait on answers, which
        # would otherwise hold workers the phases and lanes need (the rate limit bounds the target's load either way).
        beside = len(probes) if workers > 1 else 0
        stops = _side_by_side([*(probe for probe, _ in probes), *tasks, *(lane for lane, _ in lanes)], workers + beside)
    else:  # every positive body of the phases names that bucket too: their validations would change its records
        _side_by_side(tasks, workers)
        stops = _side_by_side([probe for probe, _ in probes], 1)  # each lists the bucket's every record
        stops += _side_by_side([lane for lane, _ in lanes], workers)
    run.probes = table.rows()
    judges = [judge for _, judge in [*lanes, *probes]]
    for judge in judges:
        run.statuses.update(judge.statuses)
        for operation, answers in judge.answers.items():
            run.answers.setdefault(operation, Counter()).update(answers)
        run.throttled += judge.tally.throttled
        run.delivered_validations += judge.delivered_validations
    run.unsettled = judges[0].settling.unsettled if judges else None
    source = judges[0].source if judges else None
    run.source_problem = getattr(source, "problem", None)
    lost = [item for judge in judges for item in judge.tally.lost]
    if lost:
        run.errors.append(f"{len(lost)} lifecycle request(s) got no answer ({lost[0]})")
    stopped = next((stop for stop in stops if isinstance(stop, str)), None)
    if stopped is not None:
        run.stopped = f"the lifecycle stopped early: {stopped}"


def _side_by_side(tasks: Sequence[Callable[[], Any]], workers: int) -> list[Any]:
    """Each task's result, `workers` running at a time (one after another, in order, with one worker)."""
    if workers <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gate") as pool:
        futures = [pool.submit(task) for task in tasks]
        return [future.result() for future in futures]


def _lanes(
    options: GateOptions,
    connection: Connection,
    run: RunState,
    profile: Profile,
    seed: int,
    source: ChallengeSource | None,
) -> list[tuple[Callable[[], str | None], Judge]]:
    """The lifecycle's lanes (one with `--bucket`: every add names that bucket), each a task and its judge."""
    from pcaps_contract.gate.lanes import LANES, Judge, LaneSettings, SeenIds, Shared, lane_runs
    from pcaps_contract.gate.lifecycle import run_lane
    from pcaps_contract.judge import Settling

    target = options.target
    count = 1 if options.bucket is not None else LANES
    seen_ids = SeenIds()
    settling = Settling(options.validation_wait, connection.stop.wait)
    # Lifecycle runs are cheap and their first few are short, so `--max-examples` may raise them, never lower.
    runs = lane_runs(max(options.max_examples or 0, profile.lifecycle_examples), count)

    def task(judge: Judge, lane: int) -> Callable[[], str | None]:
        def run_it() -> str | None:
            if connection.stop.is_set():
                return None
            return run_lane(judge, options.accounts, run.registry, profile, seed + lane, runs[lane])

        return run_it

    # Each style of the run's credentials carries lanes in turn, so that each style's success path is used.
    styles = [headers for _, headers in options.credentials.styles()]
    shared = Shared(seen_ids, settling, connection.quiet, connection.model)
    lanes = []
    for lane in range(count):
        settings = LaneSettings(
            target.base_url,
            checks.Policy(clock_skew=options.clock_skew),
            options.credentials,
            lane=lane if count > 1 else None,
            burst=lane == 0,
            feeds_model=connection.adapter is None,
        )
        judge = Judge(connection.lane_client(styles[lane % len(styles)]), run.ledger, settings, source, shared)
        lanes.append((task(judge, lane), judge))
    return lanes


def _probe_table() -> ProbeTable:
    from pcaps_contract.gate.probes import ProbeTable

    return ProbeTable()


def _probes(
    options: GateOptions,
    connection: Connection,
    run: RunState,
    seed: int,
    source: ChallengeSource | None,
    table: ProbeTable,
) -> list[tuple[Callable[[], str | None], Judge]]:
    """The enumerated probes (`_probes`), each task on a lane of its own after the lifecycle's (one lane
    for all with `--bucket`, where they run one after another)."""
    from pcaps_contract.gate.lanes import LANES, Judge, LaneSettings
    from pcaps_contract.gate.probes import probe_tasks

    def judge_for(number: int) -> Judge:
        settings = LaneSettings(
            options.target.base_url,
            checks.Policy(clock_skew=options.clock_skew),
            options.credentials,
            lane=LANES + number if options.bucket is None else None,
            burst=False,
        )
        return Judge(connection.lane_client(), run.ledger, settings, source)

    if connection.stop.is_set():
        return []
    return probe_tasks(judge_for, options.credentials, options.accounts, run.registry, seed, table)


def _add_notes(report: RunReport, options: GateOptions, run: RunState, stats: SendStats) -> None:
    if len(options.accounts) < 2:
        report.notes.append("tenancy was not judged: give two --account-id values the credentials can use.")
    throttled = stats["throttle_gave_up"] + run.throttled
    if stats["throttled"]:
        report.notes.append(
            f"the target answered 429 {stats['throttled']} time(s); requests waited them out during "
            f"{stats.waited:.0f}s of the run's {report.seconds:.0f}s"
            f"{f' and gave up on {throttled} request(s), left unjudged' if throttled else ''}."
        )
    if run.stopped:
        report.notes.append(run.stopped)
    if run.errors and run.ledger.failures():
        report.notes.append(f"{len(run.errors)} error(s) left some cases unjudged: {'; '.join(run.errors[:3])}")
    if run.source_problem:
        report.notes.append(f"a challenge could not be read from --bucket: {run.source_problem}.")
    unanswered = [probe for probe in run.probes if probe["status"] == "unjudged"]
    if unanswered:
        first = unanswered[0]
        report.notes.append(
            f"{len(unanswered)} of the run's {len(run.probes)} enumerated probe(s) got no answer to judge "
            f"(the first: {first['probe']} on {first['operation']})."
        )
    if run.unsettled and run.delivered_validations:  # else never_judged names it as the success path's reason
        report.notes.append(f"{run.unsettled}.")
    if options.target.in_process and not report.conforms:
        report.reproduce_origin = SERVED_ORIGIN
        report.notes.append(
            f"the target ran in-process: the reproductions assume it is served at {SERVED_ORIGIN} "
            f"(the bundled mock: `pcaps-contract mock {' '.join('--account ' + a for a in options.accounts)}`)."
        )


def unjudged(
    run: RunState, *, lifecycle: bool = False, documented: Mapping[str, Collection[str]] | None = None
) -> str | None:
    """Why the run cannot give a verdict, if it cannot: nothing answered, or nothing but 404/429/errors, an
    operation without one real answer (`judge.real_answers`; `documented`: the spec's statuses of each operation, none
    but 2xx when not given), or (when the lifecycle ran) no add that created anything, so that nothing after an add
    was judged. Failures made only on operations without a real answer judged nothing: they give no verdict."""
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
    if run.errors and not run.ledger.failures():  # a scenario that broke down left its cases unjudged
        return f"could not judge everything: {len(run.errors)} error(s) ({'; '.join(run.errors[:3])})"
    if not total:
        return "no request got an answer to judge."
    never = without_real_answers(run.answers, documented or {}, run.ledger.operations)
    if never and not any(is_a_verdict(failure.operation, failure.check, never) for failure in run.ledger.failures()):
        return could_not_judge(never, "every request was throttled, lost or never sent") + "."
    if (
        lifecycle
        and run.ledger.status(api.ADD, checks.ownership_id_is_new.name) == SKIPPED
        and not run.ledger.failures()
    ):
        return (
            "no add of the run answered 200 with an ownership, so the lifecycle (list, validate and delete "
            "after an add) judged nothing: does the target serve add_bucket?"
        )
    delivery = run.ledger.status(api.ADD, checks.challenge_file_is_delivered.name)
    if run.source_problem and delivery == SKIPPED and not run.ledger.failures():  # --bucket was listed, never read
        return (
            f"no challenge file could be read from --bucket ({run.source_problem}): "
            "can the keys read its files (s3:GetObject)?"
        )
    return None


def refused_everywhere(statuses: Mapping[int, int]) -> bool:
    """Whether the answers say "wrong credentials" rather than "broken server": no 2xx, mostly 401/403."""
    total = sum(statuses.values())
    refused = statuses.get(401, 0) + statuses.get(403, 0)
    return total > 0 and not any(200 <= status < 300 for status in statuses) and 2 * refused >= total


def status_counts(statuses: Mapping[int, int]) -> str:
    """`200 x12, 404 x3`: how the target answered, for notes and errors."""
    return ", ".join(f"{status} x{count}" for status, count in sorted(statuses.items()))
