"""`pcaps-contract fuzz`: turn the command line into a plan, refuse what is unsafe, run it, write the reports."""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
from dataclasses import replace
from pathlib import Path

from pcaps_contract._credentials import Credentials, redacting_placeholder
from pcaps_contract._errors import PcapsContractError, UsageError
from pcaps_contract.engine import ResponseLimits, RetryPolicy, checked_seconds
from pcaps_contract.fuzz.plan import DEFAULT_DURATION, OPERATIONS, FuzzPlan
from pcaps_contract.fuzz.report import BASELINE_FILE, Reporter, placeholder_credentials
from pcaps_contract.fuzz.result import FuzzResult, merge_results
from pcaps_contract.fuzz.safety import parse_duration, parse_rate
from pcaps_contract.report import EVENTS_FILE, RESULT_FILE, TEXT_STYLES, UNFINISHED, prepare_report_dir, shown_command


def build_plan(args: argparse.Namespace, environ: dict[str, str] | None = None) -> tuple[FuzzPlan, Credentials]:
    """The plan and the credentials, or a refusal: everything here happens before any request."""
    from pcaps_contract.engine import resolve_aim

    env = dict(os.environ if environ is None else environ)
    aim = resolve_aim(
        base_url=args.base_url,
        accounts=args.accounts,
        token=args.token,
        email=args.email,
        api_key=args.api_key,
        environ=env,
        allow_production=args.allow_production,
        bundled=False,  # fuzz aims only where it is told
    )
    duration = parse_duration(args.duration) if args.duration else None
    if duration is None and args.max_examples is None:
        duration = DEFAULT_DURATION
    checked_seconds("--timeout", args.timeout)
    plan = FuzzPlan(
        base_url=aim.target.base_url,
        url=aim.target.url,
        accounts=aim.accounts,
        operations=tuple(dict.fromkeys(args.operations)) if args.operations else OPERATIONS,
        duration=duration,
        max_examples=args.max_examples,
        rate=parse_rate(args.rate_limit),
        workers=args.workers,
        seed=args.seed if args.seed is not None else random.randrange(2**31),
        report_dir=args.report_dir,
        baseline=args.baseline,
        policy=RetryPolicy(timeout=args.timeout),
        limits=ResponseLimits(max_response_bytes=args.max_response_bytes),
    )
    return plan, aim.credentials


def run_fuzz(args: argparse.Namespace) -> int:
    """Run `pcaps-contract fuzz`; returns the exit code (see `result`).

    Once `--report-dir` is known to be writable, a run refused after that (bad flags, an unsafe target, an
    unreadable baseline or spec) still writes its reports there, saying why.
    """
    if args.merge:
        return merge_reports(args.merge, args.report_dir, args.baseline)
    if not args.plan:
        prepare_report_dir(args.report_dir, files=(EVENTS_FILE, BASELINE_FILE))
        # Until the run writes its own, the reports say it did not finish: what a killed run leaves behind.
        _write_unjudged(args, replace(refused_result(args, UNFINISHED), stop_reason=UNFINISHED))
    try:
        return _run(args)
    except PcapsContractError as exc:
        if not args.plan:
            _write_unjudged(args, refused_result(args, exc))
        raise


def _write_unjudged(args: argparse.Namespace, result: FuzzResult) -> None:
    if args.report_dir is not None:
        credentials = redacting_placeholder(args.token, args.email, args.api_key, os.environ)
        result.command = shown_command(args.argv, credentials.redact)
        Reporter(result, credentials).write(args.report_dir)


def _run(args: argparse.Namespace) -> int:
    plan, credentials = build_plan(args)
    style = "$CLOUDFLARE_EMAIL + $CLOUDFLARE_API_KEY" if credentials.is_key_pair else "a bearer token"
    if args.plan:
        print(plan.render(style))
        return 0
    from pcaps_contract._terminal import painted
    from pcaps_contract.engine import stop_on_signals
    from pcaps_contract.fuzz.baseline import load_baseline
    from pcaps_contract.fuzz.progress import segments
    from pcaps_contract.fuzz.run import FuzzRun
    from pcaps_contract.openapi import load_spec
    from pcaps_contract.report import EventLog, Progress, fan_out

    known = load_baseline(plan.baseline) if plan.baseline else frozenset()
    spec = load_spec()
    events = EventLog(plan.report_dir / EVENTS_FILE if plan.report_dir else None, credentials.redact)
    print(f"fuzzing {plan.base_url} for {plan.budget} at {plan.rate.text}, seed {plan.seed}", file=sys.stderr)
    interrupt = threading.Event()
    try:
        with stop_on_signals(interrupt):
            result = FuzzRun(
                plan,
                credentials,
                spec,
                listener=fan_out(events, Progress(sys.stderr, segments)),
                known=known,
                interrupt=interrupt,
            ).run()
    finally:
        events.close()
    result.command = shown_command(args.argv, credentials.redact)
    reporter = Reporter(result, credentials)
    if plan.report_dir is not None:
        reporter.write(plan.report_dir)
    print(painted(reporter.render_text(plan.report_dir), TEXT_STYLES))
    return result.exit_code()


def refused_result(args: argparse.Namespace, exc: PcapsContractError | str) -> FuzzResult:
    """The result of a run refused before it sent anything: nothing fuzzed, the reason as its stop."""
    from pcaps_contract.report import utc_now

    budget = args.duration or (f"{args.max_examples} examples per operation" if args.max_examples else "")
    return FuzzResult(
        target=args.base_url or "",
        accounts=list(args.accounts or []),
        seed=args.seed if args.seed is not None else 0,
        operations=list(dict.fromkeys(args.operations)) if args.operations else list(OPERATIONS),
        budget=budget,
        rate=args.rate_limit,
        workers=args.workers,
        started_at=utc_now(),
        seconds=0.0,
        stop_reason=f"refused: {exc}",
        crashed=True,
        errors=[str(exc)],
    )


def merge_reports(directories: list[Path], out: Path | None, baseline: Path | None = None) -> int:
    """Merge the `result.json` of several report directories into one report; exit code as for one run.

    With a baseline, a finding is known exactly when the baseline lists it; without, as each run said.
    """
    results = []
    for directory in directories:
        path = directory / RESULT_FILE
        try:
            import json

            results.append(FuzzResult.from_json(json.loads(path.read_text(encoding="utf-8"))))
        except FileNotFoundError:
            raise UsageError(
                f"--merge {directory}: no {RESULT_FILE} there; pass the --report-dir of a fuzz run."
            ) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise UsageError(
                f"--merge {path} is not a fuzz result ({exc}); pass an unedited report directory."
            ) from None
    merged = merge_results(results)
    if baseline is not None:
        from dataclasses import replace

        from pcaps_contract.fuzz.baseline import load_baseline

        known = load_baseline(baseline)
        merged.findings = [replace(finding, known=finding.key in known) for finding in merged.findings]
    reporter = Reporter(merged, placeholder_credentials(key_pair=merged.key_pair))
    if out is not None:
        reporter.write(out)
    from pcaps_contract._terminal import painted

    print(painted(reporter.render_text(out), TEXT_STYLES))
    return merged.exit_code()
