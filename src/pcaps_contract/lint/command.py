"""`pcaps-contract lint`: print each finding of the spec's rules (the rules themselves are the spec layer's, which
never prints), then one line saying whether it is clean."""

from __future__ import annotations

import sys
from pathlib import Path

from pcaps_contract._errors import EXIT_FINDINGS, EXIT_OK


def run_lint(spec: Path | None) -> int:
    """Lint `spec` (default: the bundled spec); returns 1 when it has findings, else 0."""
    from pcaps_contract._terminal import printable
    from pcaps_contract.openapi import lint, load_spec

    loaded = load_spec(spec)
    findings = lint(loaded)
    for finding in findings:
        print(printable(finding.render(loaded.path)))  # a spec's names and values, shown, never obeyed
    if findings:
        print(f"{len(findings)} finding(s) in {loaded.path}", file=sys.stderr)
        return EXIT_FINDINGS
    print(f"{loaded.path}: clean ({sum(1 for _ in loaded.operations())} operations)")
    return EXIT_OK
