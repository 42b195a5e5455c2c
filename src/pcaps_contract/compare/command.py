"""`pcaps-contract compare`: flags and environment -> the sides and the plan, the run, the cleanup, the reports.

Importing it is cheap: the flags are plain argparse; the sender, the judges and the mock load when a run starts.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcaps_contract._credentials import ACCOUNT_ENV
from pcaps_contract._errors import PcapsContractError, UsageError

if TYPE_CHECKING:
    from pcaps_contract._credentials import Redactor
    from pcaps_contract.compare.divergence import Policy
    from pcaps_contract.compare.result import Outcome
    from pcaps_contract.compare.sides import Side
    from pcaps_contract.gate import GateOptions

_SHARED = ("--seed", "--timeout", "--max-time", "--rate-limit", "--max-response-bytes", "--clock-skew")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `compare` (the budget's and the sender's as `check` declares them)."""
    from pcaps_contract.gate import GATE_ARGUMENTS

    gate = dict(GATE_ARGUMENTS)
    parser.add_argument(
        "--base-url",
        dest="base_urls",
        action="append",
        metavar="URL",
        help="side A, then side B (once: B is the bundled mock in-process, or --app); credentials of A from "
        "CLOUDFLARE_API_TOKEN (or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY), of B from the same names + _B",
    )
    parser.add_argument("--app", metavar="MODULE:ATTR", help="an ASGI or WSGI app in-process as the last side")
    parser.add_argument("--account-id", metavar="ID", help="side A's account (env CLOUDFLARE_ACCOUNT_ID)")
    parser.add_argument("--account-id-b", metavar="ID", help="side B's account (env CLOUDFLARE_ACCOUNT_ID_B)")
    for flag in _SHARED:
        parser.add_argument(flag, **gate[flag])
    parser.add_argument("--max-examples", **{**gate["--max-examples"], "help": "adds per seed (default 3)"})
    parser.add_argument("--max-requests", type=_positive, metavar="N", help="requests per side at most")
    parser.add_argument(
        "--ignore-field",
        dest="ignore_fields",
        action="append",
        default=[],
        metavar="PATH",
        help="a field never compared, e.g. result.validated (repeatable)",
    )
    parser.add_argument("--ignore-order", action="store_true", help="compare lists as sets, not in order")
    parser.add_argument(
        "--strict", action="store_true", help="report what the contract allows to differ as divergences too"
    )
    parser.add_argument(
        "--noise-from",
        metavar="URL",
        help="a second known-good deployment of side A's implementation: fields where it and A differ are noise "
        "(credentials: the names + _NOISE)",
    )
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="replay a HAR or `proxy` recording against --base-url instead"
    )
    parser.add_argument(
        "--allow-writes", action="store_true", help="with --replay: replay POST and DELETE too (else skipped)"
    )
    parser.add_argument("--report-dir", type=Path, metavar="DIR", help="write result.json, junit.xml, report.html")
    parser.add_argument("--allow-production", **{**gate["--allow-production"]})


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


@dataclass(frozen=True)
class SideRequest:
    """Where one side is and which of the environment's names are its own."""

    name: str
    base_url: str | None = None
    app: str | None = None
    account: str | None = None


def side_requests(args: argparse.Namespace) -> list[SideRequest]:
    """Side A and side B from the flags (one `--base-url`: B is `--app`, else the bundled mock)."""
    urls = list(args.base_urls or [])
    if len(urls) > 2:
        raise UsageError("give --base-url at most twice: side A, then side B.")
    if len(urls) == 2 and args.app:
        raise UsageError("give two --base-url, or one and --app, not both.")
    if not urls and not args.app and not args.replay:
        raise UsageError("give --base-url URL (side A); side B is the bundled mock unless a second --base-url says.")
    if args.replay:
        if len(urls) != 1 or args.app:
            raise UsageError("--replay FILE is replayed against one target: give exactly one --base-url.")
        return [SideRequest("A", urls[0], account=args.account_id)]
    first = SideRequest("A", urls[0], account=args.account_id) if urls else SideRequest("A", app=args.app)
    if len(urls) == 2:
        second = SideRequest("B", urls[1], account=args.account_id_b)
    elif urls and args.app:
        second = SideRequest("B", app=args.app, account=args.account_id_b)
    else:
        second = SideRequest("B", account=args.account_id_b)
    return [first, second]


def side_options(request: SideRequest, args: argparse.Namespace, environ: Mapping[str, str]) -> GateOptions:
    """The side as `check` would judge it, from its own variables (`sides.SUFFIXES`) and the shared flags."""
    from pcaps_contract.compare.sides import SUFFIXES, side_environ
    from pcaps_contract.gate import check_options, resolve_options

    suffix = SUFFIXES[request.name]
    own = side_environ(environ, suffix)
    if request.base_url or request.app:  # the bundled mock has credentials and accounts of its own
        _refuse_missing_credentials(request.name, own, suffix)
        if not (request.account or own.get(ACCOUNT_ENV)):
            _refuse_missing_account(request.name, suffix)
    options = resolve_options(
        base_url=request.base_url,
        app=request.app,
        accounts=[request.account] if request.account else None,
        environ=own,
        allow_production=args.allow_production,
        seed=args.seed,
        timeout=args.timeout,
        max_time=args.max_time,
        rate=args.rate,
        max_response_bytes=args.max_response_bytes,
        clock_skew=args.clock_skew,  # the shared flag parses to the time it stands for
        workers=1,
    )
    check_options(options)
    return options


def _refuse_missing_account(name: str, suffix: str) -> None:
    flag = "--account-id" if name == "A" else f"--account-id-{name.lower()}"
    raise UsageError(f"side {name} has no account: pass {flag} (or set {ACCOUNT_ENV}{suffix}).")


def _refuse_missing_credentials(name: str, own: Mapping[str, str], suffix: str) -> None:
    """A side without whole credentials, named with its own variables (compare has no --token: secrets stay off
    the command line)."""
    from pcaps_contract._credentials import API_KEY_ENV, EMAIL_ENV, TOKEN_ENV

    if own.get(TOKEN_ENV) or (own.get(EMAIL_ENV) and own.get(API_KEY_ENV)):
        return
    pair = f"{EMAIL_ENV}{suffix} and {API_KEY_ENV}{suffix}"
    if own.get(EMAIL_ENV) or own.get(API_KEY_ENV):
        raise UsageError(f"side {name}: set both {pair}, or {TOKEN_ENV}{suffix}.")
    raise UsageError(f"side {name} has no credentials: set {TOKEN_ENV}{suffix} (or {pair}).")


def policy_of(args: argparse.Namespace) -> Policy:
    from pcaps_contract.compare.divergence import Policy

    for name in args.ignore_fields:
        if not name or name.strip(".") != name or ".." in name or "[" in name:
            raise UsageError(f"--ignore-field {name!r} is not a field path; give one like result.validated.")
    return Policy(frozenset(args.ignore_fields), args.ignore_order, args.strict)


def refuse_what_cannot_work(args: argparse.Namespace) -> None:
    """Flags that cannot go together, or a value past its bound: one sentence each, before anything is prepared."""
    from pcaps_contract.compare.cases import MAX_EXAMPLES

    if args.allow_writes and not args.replay:
        raise UsageError("--allow-writes applies to --replay only: compare always writes (and cleans up).")
    if args.noise_from and args.replay:
        raise UsageError("--noise-from learns noise between two live sides; it does not apply to --replay.")
    if args.max_examples is not None and args.max_examples > MAX_EXAMPLES:
        raise UsageError(
            f"--max-examples {args.max_examples} is more than {MAX_EXAMPLES}: give {MAX_EXAMPLES} or fewer."
        )


def redactor_of(sides: list[Side]) -> Redactor:
    """One redaction of every side's secrets, each shown as its side's variable."""
    from pcaps_contract._credentials import Redactor
    from pcaps_contract.compare.sides import variable_names

    return Redactor(pair for side in sides for pair in variable_names(side.options.credentials, side.suffix))


def run(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    """Run `compare` as the command line asked; print the report; the exit code."""
    from pcaps_contract.compare.report import REPORT_FILES, print_outcome, write_report_dir
    from pcaps_contract.engine import stop_on_signals
    from pcaps_contract.report import UNFINISHED, prepare_report_dir

    environ = os.environ if environ is None else environ
    refuse_what_cannot_work(args)
    requests = side_requests(args)
    policy = policy_of(args)
    report_dir = prepare_report_dir(args.report_dir, files=REPORT_FILES) if args.report_dir else None
    if report_dir is not None:  # until the run writes its own, the folder says it did not finish (a killed run's)
        _write_ended(report_dir, UNFINISHED, args, environ)
    try:
        options = [side_options(request, args, environ) for request in requests]
        noise = None
        if args.noise_from:
            noise = side_options(SideRequest("noise", args.noise_from), args, environ)
    except PcapsContractError as exc:  # refused once the folder was prepared: its files say why
        if report_dir is not None:
            _write_ended(report_dir, str(exc), args, environ)
        raise
    interrupt = threading.Event()
    with stop_on_signals(interrupt):
        outcome, redact = _judge(args, options, noise, policy, interrupt)
    from pcaps_contract.report import shown_command

    with _writing(redact, outcome.seed):
        outcome.command = shown_command(args.argv, redact)
        print_outcome(outcome, redact, sys.stdout)
        if report_dir is not None:
            write_report_dir(outcome, redact, report_dir)
    return outcome.exit_code


@contextmanager
def _writing(redact: Redactor, seed: int | None) -> Iterator[None]:
    """A writer's failure as the internal error's one sentence (exit 2), every side's secrets redacted: the command
    line's last resort knows only side A's variables."""
    try:
        yield
    except PcapsContractError:
        raise
    except Exception as exc:
        from pcaps_contract._internal import cause_of, internal_error

        raise PcapsContractError(internal_error(cause_of(exc, redact), seed)) from None


def _write_ended(directory: Path, reason: str, args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """The report folder of a run that judged nothing (yet): the reason as its error, every side's secrets redacted."""
    from pcaps_contract._credentials import Redactor
    from pcaps_contract.compare.report import write_report_dir
    from pcaps_contract.compare.result import Outcome
    from pcaps_contract.compare.sides import SIDE_VARIABLES, SUFFIXES
    from pcaps_contract.report import shown_command

    redact = Redactor(
        (environ.get(name + suffix), f"${name}{suffix}")
        for suffix in SUFFIXES.values()
        for name in SIDE_VARIABLES
        if name != ACCOUNT_ENV
    )
    outcome = Outcome("replay" if args.replay else "compare", args.seed, error=reason)
    with _writing(redact, args.seed):
        outcome.command = shown_command(args.argv, redact)
        write_report_dir(outcome, redact, directory)


def _judge(
    args: argparse.Namespace,
    options: list[GateOptions],
    noise_options: GateOptions | None,
    policy: Policy,
    interrupt: threading.Event,
) -> tuple[Outcome, Any]:
    from pcaps_contract._internal import cause_of, internal_error
    from pcaps_contract.compare.cases import DEFAULT_EXAMPLES, plan
    from pcaps_contract.compare.result import Outcome
    from pcaps_contract.compare.sequence import run_cases, summaries
    from pcaps_contract.compare.sides import Side
    from pcaps_contract.engine import SERVED_ORIGIN
    from pcaps_contract.openapi import load_spec

    spec = load_spec(None)
    seed = options[0].resolved_seed()
    names = ["A", "B"]
    sides = [Side(names[index], side, spec, interrupt) for index, side in enumerate(options)]
    noise = Side("noise", noise_options, spec, interrupt) if noise_options is not None else None
    everyone = [*sides, *([noise] if noise else [])]
    redact = redactor_of(everyone)
    outcome = Outcome("replay" if args.replay else "compare", None if args.replay else seed)
    started = time.monotonic()
    opened: list[Side] = []
    try:
        for side in everyone:
            opened.append(side)
            side.open()
        if args.replay:
            from pcaps_contract.compare.recorded import replay

            replay(args.replay, sides[0], spec, policy, outcome, args.allow_writes, args.max_requests, redact)
        else:
            cases = plan(seed, args.max_examples or DEFAULT_EXAMPLES)
            run_cases(cases, sides, noise, policy, outcome, args.max_requests)
    except PcapsContractError as exc:
        outcome.error = str(exc)
    except Exception as exc:  # a bug or a surprise must not skip the cleanup: one sentence, could not judge
        outcome.error = internal_error(cause_of(exc, redact), seed)
    finally:
        for side in opened:
            result = side.close()
            outcome.leftovers += [f"side {side.name}: {leftover.described}" for leftover in result.leftovers]
    if interrupt.is_set() and not outcome.error:
        outcome.error = "interrupted (Ctrl-C or SIGTERM) before the run was over"
    if outcome.stopped is not None:  # the divergences found are the verdict; without one, nothing says there is none
        if outcome.divergences:
            outcome.notes.append(f"the run stopped early: {outcome.stopped}.")
        else:
            outcome.error = outcome.error or f"could not judge every case: {outcome.stopped}"
    for side in sides:
        if side.options.target.in_process and outcome.divergences:
            outcome.notes.append(
                f"side {side.name} ran in-process: its curl requests assume it is served at {SERVED_ORIGIN} "
                "(the bundled mock: `pcaps-contract mock`)."
            )
    outcome.seconds = time.monotonic() - started
    outcome.sides = summaries(sides, (lambda side: "target") if args.replay else (lambda side: side.name))
    if noise is not None:
        outcome.sides += summaries([noise])
    if not outcome.error and outcome.cases == 0:
        outcome.error = "no case was compared"
    return outcome, redact
