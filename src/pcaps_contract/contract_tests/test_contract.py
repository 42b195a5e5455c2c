"""Every check on every operation of the spec, judged by one run of the contract gate."""

from __future__ import annotations

import pytest

from pcaps_contract.gate import FAILED, SKIPPED, GateReport


def test_operation_keeps_the_contract(gate_report: GateReport, operation: str, check: str) -> None:
    cell = gate_report.ledger.cells.get((operation, check))
    status = gate_report.ledger.status(operation, check)
    if status == SKIPPED:
        pytest.skip(f"no response of this run fell under {check}")
    if status == FAILED and cell is not None and cell.failure is not None:
        pytest.fail(gate_report.render_failure(cell.failure), pytrace=False)
