"""`pcaps-contract generate`: render the client as one release, or (`--check`) say what a fresh one would change."""

from __future__ import annotations

import sys
from pathlib import Path

from pcaps_contract._errors import EXIT_FINDINGS, EXIT_OK
from pcaps_contract.codegen import release
from pcaps_contract.diff import render_table, summary


def run_generate(*, check: bool, spec: Path | None, output: Path | None, config: Path | None) -> int:
    """Generate (or with `check`, compare and write nothing); returns 1 when `check` finds the client behind."""
    if check:
        return _check(spec, output, config)
    done = release.generate(spec, output, config)
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


def _check(spec: Path | None, output: Path | None, config: Path | None) -> int:
    checked = release.check(spec, output, config)
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
