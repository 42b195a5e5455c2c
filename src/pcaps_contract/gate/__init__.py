"""The contract gate: judge an implementation of the API against the spec, as `pcaps-contract check` does.

    import os
    from pcaps_contract.gate import resolve_options, run_gate

    report = run_gate(resolve_options(base_url="http://127.0.0.1:8787/client/v4", environ=os.environ))
    print(report.render())
    raise SystemExit(report.exit_code)

Importing this module is cheap (the command line builds its flags from `GATE_ARGUMENTS`); schemathesis,
Hypothesis and the HTTP stack load with the first `run_gate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.gate.command import run_check
    from pcaps_contract.gate.options import GATE_ARGUMENTS, GateOptions, check_options, options_from, resolve_options
    from pcaps_contract.gate.run import run_gate
    from pcaps_contract.judge import ALL_CHECKS, FAILED, PASSED, SKIPPED
    from pcaps_contract.report import RunReport as GateReport

__all__ = [
    "ALL_CHECKS",
    "FAILED",
    "GATE_ARGUMENTS",
    "PASSED",
    "SKIPPED",
    "GateOptions",
    "GateReport",
    "check_options",
    "options_from",
    "resolve_options",
    "run_check",
    "run_gate",
]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
