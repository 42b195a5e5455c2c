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

from pcaps_contract.report.run_report import FAILED, PASSED, SKIPPED, GateReport
from pcaps_contract.judge.catalogue import ALL_CHECKS
from pcaps_contract.gate.options import GATE_ARGUMENTS, GateOptions, options_from, resolve_options

if TYPE_CHECKING:
    from pcaps_contract.gate.run import run_gate

__all__ = [
    "ALL_CHECKS",
    "FAILED",
    "GATE_ARGUMENTS",
    "PASSED",
    "SKIPPED",
    "GateOptions",
    "GateReport",
    "options_from",
    "resolve_options",
    "run_gate",
]


def __getattr__(name: str) -> Any:
    if name == "run_gate":
        from pcaps_contract.gate.run import run_gate

        return run_gate
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
