"""The `pcaps-contract` command line: one subcommand per job, errors as one sentence and exit code 2."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from pcaps_contract import __version__
from pcaps_contract._errors import PcapsContractError
from pcaps_contract._terminal import printable
from pcaps_contract._text import clip

if TYPE_CHECKING:
    from pcaps_contract.gate import GateOptions
    from pcaps_contract.report import GateReport

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

Runner = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = tuple(sys.argv[1:] if argv is None else argv)  # the reports show the whole command, redacted
    run: Runner | None = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return run(args)
    except PcapsContractError as exc:
        print(f"error: {printable(str(exc))}", file=sys.stderr)  # a message may quote a file's or a server's text
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours or of a library: one sentence and could-not-judge, never a traceback
        print(f"error: {_internal_error(args, exc)}", file=sys.stderr)
        return EXIT_USAGE


def _internal_error(args: argparse.Namespace, exc: Exception) -> str:
    """The sentence of an internal error that reached the command line, every secret the run was given redacted."""
    import os

    from pcaps_contract._credentials import redacting_placeholder
    from pcaps_contract._internal import cause_of, internal_error

    token, email, api_key = (getattr(args, name, None) for name in ("token", "email", "api_key"))
    credentials = redacting_placeholder(token, email, api_key, os.environ)
    return internal_error(cause_of(exc, credentials.redact), getattr(args, "seed", None))


# The namespace attribute naming the (sub)command parser that read the arguments: its options are the ones to
# suggest when some were not recognised (argparse reports those from the top parser).
_READ_BY = "_read_by"
# argparse's (3.11) words for a prefix of several options, which quote it with any `=VALUE` after it.
_AMBIGUOUS = re.compile(r"^ambiguous option: (?P<option>[^=]*?)(=.*)? could match (?P<matches>[^=]*)$", re.S)
# argparse's (3.11) words for a value outside an argument's choices, e.g. a mistyped command.
_INVALID_CHOICE = re.compile(
    r"^argument (?P<argument>.+?): invalid choice: (?P<value>.*) \(choose from (?P<choices>'.*')\)$", re.S
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one sentence (plus where to read more), exit code 2; a mistyped
    command, choice or option names the closest valid one, and neither the value of an option it does not know (it
    may be a secret: `--tokn SECRET`, `--a=SECRET`) nor a word outside a choice is echoed."""

    _read_by: _Parser | None = None
    _extras: Sequence[str] = ()  # what the last parse did not recognise, as given (argparse's message joins them)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if not isinstance(getattr(parsed, _READ_BY, None), _Parser):  # a subcommand's parser has set it already
            setattr(parsed, _READ_BY, self)
        self._read_by, self._extras = getattr(parsed, _READ_BY), extras
        return parsed, extras

    def error(self, message: str) -> NoReturn:
        parser = self
        if message.startswith(_UNRECOGNIZED):
            parser = self._read_by or self
            message = parser.unrecognized(self._extras)
        elif found := _AMBIGUOUS.match(message):  # argparse quotes the whole `--a=VALUE`
            message = f"ambiguous option: {printable(clip(found['option'], 40))} could match {found['matches']}"
        elif found := _INVALID_CHOICE.match(message):
            choices = re.findall(r"'([^']*)'", found["choices"])  # ours: plain words
            message = _invalid_choice(found["argument"], found["value"][1:-1], choices)
        parser.exit(EXIT_USAGE, f"error: {parser.prog}: {message}; see `{parser.prog} --help`.\n")

    def unrecognized(self, extras: Sequence[str]) -> str:
        """What was not recognised: each option by its name (never its `=value`) with the closest option of this
        parser, the values only counted."""
        options = [name for action in self._actions for name in action.option_strings]
        named = []
        for extra in extras:
            if extra.startswith("-") and len(extra) > 1:
                name = extra.partition("=")[0] if extra.startswith("--") else extra[:2]
                named.append(printable(clip(name, 40)) + did_you_mean(name, options))
        values = len(extras) - len(named)
        if values:
            named.append(f"{values} value(s) (not shown)")
        return "unrecognized arguments: " + ", ".join(named)


_UNRECOGNIZED = "unrecognized arguments: "


def did_you_mean(typed: str, valid: Sequence[str]) -> str:
    """` (did you mean --account-id?)`: the valid word closest to what was typed, or "" when none is close."""
    close = difflib.get_close_matches(typed, valid, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _invalid_choice(argument: str, typed: str, choices: Sequence[str]) -> str:
    """A value outside an argument's choices (a command, a --format), not echoed: the closest choice, else all."""
    what = "unknown command" if argument == "COMMAND" else f"argument {argument}: invalid choice"
    return what + (did_you_mean(typed, choices) or f" (choose from {', '.join(choices)})")


Commands: TypeAlias = "argparse._SubParsersAction[_Parser]"  # not subscriptable at run time


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="pcaps-contract",
        description="Contract tooling for Cloudflare's PCAP bucket-ownership API: lint the spec, "
        "run the mock, judge implementations, generate the client.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_lint(commands)
    _add_check(commands)
    _add_diff(commands)
    _add_fuzz(commands)
    _add_proxy(commands)
    _add_verify(commands)
    _add_mock(commands)
    _add_generate(commands)
    return parser


def _add_lint(commands: Commands) -> None:
    lint = commands.add_parser(
        "lint",
        help="validate the spec and the project's rules",
        description="Validate the OpenAPI spec (openapi-spec-validator) and the project's own rules. "
        "Exit 0 clean, 1 findings, 2 unreadable spec.",
    )
    lint.add_argument("spec", nargs="?", type=Path, help="the spec to lint (default: the bundled spec)")
    lint.set_defaults(run=_run_lint)


def _run_lint(args: argparse.Namespace) -> int:
    from pcaps_contract.openapi import lint, load_spec

    spec = load_spec(args.spec)
    findings = lint(spec)
    for finding in findings:
        print(printable(finding.render(spec.path)))  # a spec's names and values, shown, never obeyed
    if findings:
        print(f"{len(findings)} finding(s) in {spec.path}", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"{spec.path}: clean ({sum(1 for _ in spec.operations())} operations)")
    return EXIT_OK


def _add_diff(commands: Commands) -> None:
    diff = commands.add_parser(
        "diff",
        help="classify the changes between two versions of the spec as breaking or not",
        description="List every change from OLD to NEW with its location, whom it breaks (callers or response "
        "consumers) and whether it is breaking. OLD and NEW are files, `REV:path`, or a bare git revision meaning "
        "the spec (--spec) at that revision; NEW defaults to the working-tree spec. "
        "Exit 0 nothing breaking, 1 breaking changes, 2 bad input.",
    )
    diff.add_argument("old", nargs="?", metavar="OLD", help="the old spec: FILE, REV:PATH or REV")
    diff.add_argument("new", nargs="?", metavar="NEW", help="the new spec (default: the working-tree spec)")
    diff.add_argument("--base", metavar="REF", help="compare the working-tree spec with the spec at this git ref")
    diff.add_argument(
        "--spec",
        type=Path,
        help="the working-tree spec (default: spec/pcaps-ownership.openapi.yaml of the git working tree around the "
        "current directory, else the bundled spec)",
    )
    diff.add_argument("--format", choices=("table", "markdown", "json"), default="table", help="output format")
    diff.add_argument("--allow-breaking", action="store_true", help="exit 0 even when something breaks")
    diff.set_defaults(run=_run_diff)


def _run_diff(args: argparse.Namespace) -> int:
    from pcaps_contract._errors import UsageError
    from pcaps_contract._terminal import printable, printable_json
    from pcaps_contract.diff import diff_documents, load_source, load_working_tree, render
    from pcaps_contract.openapi import working_tree_spec_path

    if args.base is not None and args.old is not None:
        raise UsageError("give either --base REF or OLD [NEW], not both.")
    old_argument = args.base if args.base is not None else args.old
    if old_argument is None:
        raise UsageError("nothing to compare; give OLD [NEW] (files or git revisions) or --base REF.")
    spec_path = args.spec or working_tree_spec_path()
    old = load_source(old_argument, spec_path)
    new = load_source(args.new, spec_path) if args.new is not None else load_working_tree(spec_path)
    changes = diff_documents(old.document, new.document)
    rendered = render(changes, old.label, new.label, args.format)
    print(printable_json(rendered) if args.format == "json" else printable(rendered))
    if any(change.breaking for change in changes) and not args.allow_breaking:
        return EXIT_FINDINGS
    return EXIT_OK


def _add_generate(commands: Commands) -> None:
    generate = commands.add_parser(
        "generate",
        help="generate the typed client pcaps_client from the spec (or --check it is up to date)",
        description="Render the client package pcaps_client with openapi-python-client and the templates in "
        "spec/templates/. With --check, write nothing: exit 1 listing each differing file with a short diff, "
        "0 when the output is up to date. Exit 2 on bad usage or a spec that does not load.",
    )
    generate.add_argument("--check", action="store_true", help="compare with a fresh generation; write nothing")
    generate.add_argument("--spec", type=Path, help="the spec to generate from (default: the bundled spec)")
    generate.add_argument(
        "--output", type=Path, metavar="DIR", help="the folder holding pcaps_client/ (default: generated/)"
    )
    generate.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="the generator config, which keeps the client's version (default: spec/client-config.yaml)",
    )
    generate.set_defaults(run=_run_generate)


def _run_generate(args: argparse.Namespace) -> int:
    from pcaps_contract.codegen import release as _release
    from pcaps_contract.diff import render_table, summary

    if args.check:
        checked = _release.check(args.spec, args.output, args.config)
        for change in checked.files:
            print(change.render())
        if checked.files:
            print(
                f"{checked.output}: {len(checked.files)} file(s) differ from a fresh generation; "
                "run `pcaps-contract generate` to update them (never edit generated files by hand).",
                file=sys.stderr,
            )
            return EXIT_FINDINGS
        if checked.behind:
            print(
                f"{checked.snapshot} records an older spec ({summary(checked.behind)}); "
                "run `pcaps-contract generate` to record the release.",
                file=sys.stderr,
            )
            return EXIT_FINDINGS
        print(f"{checked.package}: up to date")
        return EXIT_OK
    done = _release.generate(args.spec, args.output, args.config)
    for change in done.files:
        print(f"{change.kind}: {change.path}")
    summary_line = f"{len(done.files)} file(s) written" if done.files else "already up to date"
    print(f"{done.package}: {summary_line}")
    planned = done.release
    if planned.changes:
        print(render_table(planned.changes, "last generated spec", str(done.spec_path)))
    if planned.entry:
        how = "first release" if planned.first else f"{planned.level} release, was {planned.old_version}"
        print(f"{done.package.name} {planned.new_version} ({how}): see {done.changelog}")
    return EXIT_OK


def _add_mock(commands: Commands) -> None:
    mock = commands.add_parser(
        "mock",
        help="serve the reference mock of the API",
        description="Serve the reference mock of the ownership API under /client/v4 until interrupted. "
        "Credentials default to CLOUDFLARE_API_TOKEN, CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY, else to "
        "the documented development values. Exit 2 when the settings cannot work.",
    )
    mock.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    mock.add_argument("--port", type=int, default=8787, help="port to listen on; 0 picks a free one (default: 8787)")
    mock.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="ID",
        help="an account the credentials may use (repeatable; default: any account)",
    )
    mock.add_argument("--token", help="the API token to accept (default: $CLOUDFLARE_API_TOKEN)")
    mock.add_argument("--email", help="the X-Auth-Email to accept (default: $CLOUDFLARE_EMAIL)")
    mock.add_argument("--api-key", help="the X-Auth-Key to accept (default: $CLOUDFLARE_API_KEY)")
    mock.add_argument(
        "--s3-endpoint",
        metavar="URL",
        help="S3-compatible endpoint that receives the challenge files of s3:// and r2:// buckets",
    )
    mock.add_argument("--quiet", action="store_true", help="no line per request (method, path, status, time) on stderr")
    faults = mock.add_argument_group("rehearsal faults (off by default)")
    faults.add_argument("--rate-limit-rate", type=float, default=0.0, metavar="SHARE", help="share answered 429")
    faults.add_argument("--retry-after", type=int, default=1, metavar="SECONDS", help="Retry-After of a 429 (1)")
    faults.add_argument("--server-error-rate", type=float, default=0.0, metavar="SHARE", help="share answered 500")
    faults.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="delay added to every answer")
    faults.add_argument("--seed", type=int, default=0, help="seed of the fault draws (default: 0)")
    mock.set_defaults(run=_run_mock)


def _run_mock(args: argparse.Namespace) -> int:
    from pcaps_contract.mock._command import run_mock

    return run_mock(args)


def _add_check(commands: Commands) -> None:
    check = commands.add_parser(
        "check",
        help="judge an implementation against the spec (the contract gate)",
        description="Run the contract gate: schemathesis's built-in checks and the project's own, plus a "
        "model-based lifecycle and tenancy run. No target means the bundled mock, in-process. "
        "Exit 0 conforms, 1 contract violations, 2 could not judge (unreachable, refused credentials, "
        "unreadable spec, bad usage).",
    )
    from pcaps_contract.gate import GATE_ARGUMENTS

    for flag, keywords in GATE_ARGUMENTS:
        check.add_argument(flag, **keywords)
    check.add_argument(
        "--junit-xml", type=Path, metavar="PATH", help="write JUnit XML: one testcase per operation x check"
    )
    check.add_argument("--report", type=Path, metavar="PATH", help="write the results as JSON")
    check.add_argument(
        "--report-dir",
        type=Path,
        metavar="DIR",
        help="write result.json, junit.xml, report.html and events.ndjson (written as the run goes) here",
    )
    add_verbose(check)
    check.set_defaults(run=_run_check)


def _run_check(args: argparse.Namespace) -> int:
    import os
    import threading

    from pcaps_contract._terminal import painted
    from pcaps_contract.engine import stop_on_signals
    from pcaps_contract.gate import options_from, run_gate
    from pcaps_contract.gate.progress import ProgressLine, segments
    from pcaps_contract.report import (
        EVENTS_FILE,
        TEXT_STYLES,
        UNFINISHED,
        Progress,
        RunEvents,
        RunFinished,
        fan_out,
        format_seconds,
        prepare_report_dir,
        shown_command,
        utc_now,
    )

    junit: Path | None = None
    json_path: Path | None = None
    report_dir: Path | None = None
    try:
        junit = prepare_output(args.junit_xml, "--junit-xml")
        json_path = prepare_output(args.report, "--report")
        report_dir = prepare_report_dir(args.report_dir, files=(EVENTS_FILE,)) if args.report_dir else None
        options = options_from(lambda name: getattr(args, name), os.environ)
    except PcapsContractError as exc:  # refused once a file was prepared: that file says why, not stays empty
        _write_reports(_refused_report(args, exc), junit, json_path, report_dir, "check", args.argv)
        raise
    outputs = (junit, json_path)
    # Until the run writes its own, the reports say it did not finish: what a killed run leaves behind.
    _write_reports(_refused_report(args, UNFINISHED, options), *outputs, report_dir, "check", args.argv)
    redact = options.credentials.redact
    events = RunEvents(report_dir / EVENTS_FILE if report_dir else None, redact, shown_command(args.argv, redact))
    started_at = utc_now()
    interrupt = threading.Event()
    # On a terminal a live line (in colour); in CI a plain line every half minute, so a long run shows it is alive.
    progress = ProgressLine(Progress(sys.stderr, segments, interval=30.0))
    listener = fan_out(progress, events)
    if options.rate is not None and not options.target.in_process:  # said up front: how long the limit makes it
        expected = options.expected_requests()
        seconds = expected / options.rate
        note = (
            f"note: at most {options.rate:g} requests/s: about {expected} requests, {format_seconds(seconds)} or more"
        )
        if seconds > options.max_time:
            note += f"; --max-time {options.max_time:g}s ends it before (raise it to judge everything)"
        print(note + ".", file=sys.stderr)
    try:
        with stop_on_signals(interrupt):
            report = run_gate(options, interrupt, listener)
    except PcapsContractError as exc:
        # Nothing was judged; the files a CI step publishes still exist, saying why.
        report = _refused_report(args, exc, options)
        report.started_at = started_at
        _write_reports(report, *outputs, report_dir, "check", args.argv)
        listener(RunFinished(report))
        raise
    print(painted(report.render(args.verbose), TEXT_STYLES))
    _write_reports(report, *outputs, report_dir, "check", args.argv)
    listener(RunFinished(report))
    return report.exit_code


def add_verbose(parser: argparse.ArgumentParser) -> None:
    """`--verbose`: the end of a run lists each check never judged with its reason, not one line counting them."""
    parser.add_argument(
        "--verbose", action="store_true", help="list each check never judged, with its reason (the reports always do)"
    )


def _refused_report(
    args: argparse.Namespace, exc: PcapsContractError | str, options: GateOptions | None = None
) -> GateReport:
    """The report of a run that judged nothing (refused options, an unreachable target): the reason as its error."""
    import os

    from pcaps_contract._credentials import redacting_placeholder
    from pcaps_contract.judge import Ledger
    from pcaps_contract.report import GateReport, utc_now

    if options is not None:
        target, seed, profile, credentials = (
            options.target.description,
            options.seed or 0,
            options.profile or "quick",
            options.credentials,
        )
    else:  # the options were refused, so the credentials may not be whole: their values are only redacted
        credentials = redacting_placeholder(args.token, args.email, args.api_key, os.environ)
        target = args.base_url or (f"--app {args.app}" if args.app else "the bundled mock")
        seed, profile = args.seed or 0, args.profile or "quick"
    return GateReport(target, seed, profile, Ledger([], []), credentials, error=str(exc), started_at=utc_now())


def prepare_output(path: Path | None, flag: str) -> Path | None:
    """An output file's path, its folder created; refused at once (not after the run) when it cannot be written."""
    if path is None:
        return None
    from pcaps_contract._errors import UsageError

    if path.is_dir():
        example = path / ("junit.xml" if flag == "--junit-xml" else "result.json")
        raise UsageError(f"{flag} {path} is a folder; give a file name, e.g. {example}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"{flag} {path} cannot be written ({exc.strerror}); choose another path.") from None
    return path


def _report_files(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    """The --junit-xml and --report files, each prepared before the run."""
    return prepare_output(args.junit_xml, "--junit-xml"), prepare_output(args.report, "--report")


def _write_reports(
    report: GateReport,
    junit: Path | None,
    json_path: Path | None,
    report_dir: Path | None,
    command: str,
    argv: tuple[str, ...] = (),
) -> None:
    """Every report file asked for; each names the command line it was given (`argv`, shown redacted)."""
    from pcaps_contract.report import shown_command, write_report_dir

    report.command = shown_command(argv, report.redact)
    if junit is not None:
        report.write_junit(junit)
    if json_path is not None:
        report.write_json(json_path)
    if report_dir is not None:
        write_report_dir(report, report_dir, command)


def _add_fuzz(commands: Commands) -> None:
    fuzz = commands.add_parser(
        "fuzz",
        help="long, budgeted, rate-limited fuzzing of a staging deployment, cleaned up afterwards",
        description="Fuzz a deployment with the gate's checks within a budget, at a client-side rate limit, "
        "honouring 429 Retry-After; every ownership the run creates is deleted before it exits (also after "
        "Ctrl-C). Refuses api.cloudflare.com without --allow-production, credentials over plain http to "
        "anything but loopback, and a run without --account-id. Exit 0 no new findings, 1 new findings, "
        "2 refused or could not judge, 3 ownerships left behind (ids in the report), 130 interrupted.",
    )
    from pcaps_contract.gate import GATE_ARGUMENTS
    from pcaps_contract.openapi import api

    gate = dict(GATE_ARGUMENTS)
    fuzz.add_argument("--base-url", metavar="URL", help="the API base, e.g. https://staging.example.com/client/v4")
    for flag in ("--account-id", "--token", "--email", "--api-key", "--seed", "--max-response-bytes"):
        fuzz.add_argument(flag, **gate[flag])  # the same credential and account flags as `check`
    workers = {"default": 1, "help": "operations fuzzed at once (default 1)"}
    fuzz.add_argument("--workers", **{**gate["--workers"], **workers})
    budget = fuzz.add_mutually_exclusive_group()
    budget.add_argument("--duration", metavar="TIME", help="time budget, e.g. 30s, 10m, 1h30m (default 10m)")
    budget.add_argument("--max-examples", **{**gate["--max-examples"], "help": "cases per operation, not a time"})
    fuzz.add_argument("--rate-limit", default="20/s", metavar="RATE", help="requests at most, e.g. 20/s, 300/min")
    fuzz.add_argument(
        "--operation",
        dest="operations",
        action="append",
        choices=(api.ADD, api.LIST, api.VALIDATE, api.DELETE),
        help="fuzz only this operation; repeatable (to split a run across machines)",
    )
    fuzz.add_argument("--timeout", **gate["--timeout"])
    fuzz.add_argument("--baseline", type=Path, metavar="FILE", help="accepted findings: exit 1 only for new ones")
    fuzz.add_argument("--report-dir", type=Path, metavar="DIR", help="write JSON, NDJSON, JUnit, HTML and replays")
    fuzz.add_argument("--plan", action="store_true", help="print what would run and send nothing")
    fuzz.add_argument("--allow-production", action="store_true", help="allow api.cloudflare.com as the target")
    fuzz.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="merge the --report-dir of several runs (e.g. CI machines) into --report-dir; sends nothing",
    )
    fuzz.set_defaults(run=_run_fuzz)


def _run_fuzz(args: argparse.Namespace) -> int:
    from pcaps_contract.fuzz import run_fuzz

    return run_fuzz(args)


def _add_proxy(commands: Commands) -> None:
    proxy = commands.add_parser(
        "proxy",
        help="a reverse proxy that judges the real traffic to an implementation; sends nothing of its own",
        description="Forward every request unchanged to --upstream and its answer unchanged back, judging each "
        "exchange with the gate's response checks, the spec's schemas and the lifecycle and tenancy rules "
        "inferred from the traffic, off the request path (a judge behind the traffic skips exchanges and says "
        "so; it never slows an answer). Request bodies are streamed to the upstream, at most 16 MiB (413 above); a "
        "request target that is not a path (`OPTIONS *`) is answered 400; an upstream header with control "
        "characters is dropped. Each violation is printed as it happens; Ctrl-C or SIGTERM writes the "
        "reports. Exit 0 conforms, 1 contract violations, 2 could not judge (refused settings, no exchange of "
        "this API seen).",
    )
    proxy.add_argument(
        "--upstream", required=True, metavar="URL", help="the API base, e.g. https://api.cloudflare.com/client/v4"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    proxy.add_argument("--port", type=int, default=8788, help="port to listen on; 0 picks a free one (default: 8788)")
    proxy.add_argument(
        "--report-dir",
        type=Path,
        metavar="DIR",
        help="write result.json, junit.xml, report.html and exchanges.ndjson (the recording) here",
    )
    _add_passive_options(proxy, reports=False)
    proxy.set_defaults(run=_run_proxy)


def _run_proxy(args: argparse.Namespace) -> int:
    from pcaps_contract._errors import UsageError
    from pcaps_contract._limits import DEFAULT_MAX_RESPONSE_BYTES
    from pcaps_contract._serving import bind
    from pcaps_contract._terminal import painted
    from pcaps_contract._urls import parse_target
    from pcaps_contract.openapi import load_spec
    from pcaps_contract.passive import EXCHANGES_FILE, ProxyApp, ProxyRun, serve
    from pcaps_contract.report import EVENTS_FILE, TEXT_STYLES, prepare_report_dir, write_unfinished

    # Production is fine: the proxy sends only what its clients send, to where they meant it to go.
    upstream = parse_target(args.upstream, allow_production=True, flag="--upstream")
    spec = load_spec(args.spec)
    if args.report_dir is not None:
        prepare_report_dir(args.report_dir, files=(EXCHANGES_FILE, EVENTS_FILE))
        write_unfinished(args.report_dir, upstream.base_url, "proxy")
    sock = bind(args.host, args.port)
    run = ProxyRun.start(upstream, spec, args.report_dir, argv=args.argv)
    app = ProxyApp(upstream, run.judging, args.max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES)
    report = serve(run, app, sock)
    if report.error:
        hint = "" if run.judge.tally.judged else "; point the clients at the proxy's address."
        raise UsageError(f"nothing judged: {report.error}{hint}")
    print(painted(report.render(args.verbose), TEXT_STYLES))
    return report.exit_code


def _add_verify(commands: Commands) -> None:
    verify = commands.add_parser(
        "verify",
        help="judge recorded traffic (HAR 1.2, or the proxy's NDJSON) against the contract; sends nothing",
        description="Judge recorded exchanges with the gate's response checks, the spec's schemas and the lifecycle "
        "and tenancy rules inferred from the traffic itself. FILE is a HAR 1.2 file (browsers, mitmproxy, "
        "`schemathesis run --report har`) or the exchanges.ndjson of `pcaps-contract proxy`. "
        "Exit 0 conforms, 1 contract violations, 2 could not judge (no exchange of this API, unreadable file).",
    )
    verify.add_argument("file", type=Path, metavar="FILE", help="a HAR file or a proxy recording (NDJSON)")
    _add_passive_options(verify)
    verify.set_defaults(run=_run_verify)


def _add_passive_options(parser: argparse.ArgumentParser, reports: bool = True) -> None:
    """The options `verify` and `proxy` share: the spec, the body cap (and `verify`'s report files)."""
    from pcaps_contract.gate import GATE_ARGUMENTS

    parser.add_argument("--spec", type=Path, help="the contract (default: the bundled spec)")
    parser.add_argument("--max-response-bytes", **dict(GATE_ARGUMENTS)["--max-response-bytes"])
    add_verbose(parser)
    if not reports:
        return
    parser.add_argument(
        "--junit-xml", type=Path, metavar="PATH", help="write JUnit XML: one testcase per operation x check"
    )
    parser.add_argument("--report", type=Path, metavar="PATH", help="write the results as JSON")
    parser.add_argument("--report-dir", type=Path, metavar="DIR", help="write result.json, junit.xml, report.html")


def _run_verify(args: argparse.Namespace) -> int:
    from pcaps_contract._errors import UsageError
    from pcaps_contract._limits import DEFAULT_MAX_RESPONSE_BYTES
    from pcaps_contract._terminal import painted
    from pcaps_contract.openapi import load_spec
    from pcaps_contract.passive import PassiveJudge, read_traffic
    from pcaps_contract.report import TEXT_STYLES, prepare_report_dir

    outputs = _report_files(args)
    report_dir = prepare_report_dir(args.report_dir) if args.report_dir else None
    spec = load_spec(args.spec)
    judge = PassiveJudge(spec)
    # One pass: every writer redacts what it shows with every secret the recording held (`GateReport.redacted`).
    judge.judge_all(read_traffic(args.file, args.max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES))
    report = judge.report(str(args.file), "verify")
    _write_reports(report, *outputs, report_dir, "verify", args.argv)
    if report.error:
        hint = "" if judge.tally.judged else "; record traffic of the ownership API (HAR or `proxy`)."
        raise UsageError(f"{args.file}: {report.error}{hint}")
    print(painted(report.render(args.verbose), TEXT_STYLES))
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
