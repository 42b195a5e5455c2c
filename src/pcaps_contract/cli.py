"""The `pcaps-contract` command line: one subcommand per job, errors as one sentence and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pcaps_contract import __version__
from pcaps_contract.errors import PcapsContractError

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

Runner = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Runner | None = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return run(args)
    except PcapsContractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="pcaps-contract",
        description="Contract tooling for Cloudflare's PCAP bucket-ownership API: lint the spec, "
        "run the mock, judge implementations, generate the client.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_lint(commands)
    _add_diff(commands)
    return parser


def _add_lint(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    lint = commands.add_parser(
        "lint",
        help="validate the spec and the project's rules",
        description="Validate the OpenAPI spec (openapi-spec-validator) and the project's own rules. "
        "Exit 0 clean, 1 findings, 2 unreadable spec.",
    )
    lint.add_argument("spec", nargs="?", type=Path, help="the spec to lint (default: the bundled spec)")
    lint.set_defaults(run=_run_lint)


def _run_lint(args: argparse.Namespace) -> int:
    from pcaps_contract.lint import lint
    from pcaps_contract.spec import load_spec

    spec = load_spec(args.spec)
    findings = lint(spec)
    for finding in findings:
        print(finding.render(spec.path))
    if findings:
        print(f"{len(findings)} finding(s) in {spec.path}", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"{spec.path}: clean ({sum(1 for _ in spec.operations())} operations)")
    return EXIT_OK


def _add_diff(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    diff.add_argument("--spec", type=Path, help="the working-tree spec (default: the bundled spec)")
    diff.add_argument("--format", choices=("table", "markdown", "json"), default="table", help="output format")
    diff.add_argument("--allow-breaking", action="store_true", help="exit 0 even when something breaks")
    diff.set_defaults(run=_run_diff)


def _run_diff(args: argparse.Namespace) -> int:
    from pcaps_contract.diff import diff_documents
    from pcaps_contract.diff.render import render
    from pcaps_contract.diff.sources import load_source, load_working_tree
    from pcaps_contract.errors import UsageError
    from pcaps_contract.spec import default_spec_path

    if args.base is not None and args.old is not None:
        raise UsageError("give either --base REF or OLD [NEW], not both.")
    old_argument = args.base if args.base is not None else args.old
    if old_argument is None:
        raise UsageError("nothing to compare; give OLD [NEW] (files or git revisions) or --base REF.")
    spec_path = args.spec or default_spec_path()
    old = load_source(old_argument, spec_path)
    new = load_source(args.new, spec_path) if args.new is not None else load_working_tree(spec_path)
    changes = diff_documents(old.document, new.document)
    print(render(changes, old.label, new.label, args.format))
    if any(change.breaking for change in changes) and not args.allow_breaking:
        return EXIT_FINDINGS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
