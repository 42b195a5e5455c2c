"""`pytest contract_tests`: the contract gate as a pytest suite, with the same options as `pcaps-contract check`.

    pytest contract_tests                                   # the bundled mock, in-process
    pytest contract_tests --base-url URL --account-id ID    # any server (credentials from CLOUDFLARE_*)
    pytest contract_tests --app myservice.main:app --token T --account-id A --account-id B

One test per operation x check: passed, failed (with Expected/Received and a runnable curl), or skipped
when no response of the run fell under the check. The run itself is `pcaps_contract.gate.run_gate`, the
same code, checks and data as the command line.
"""

from __future__ import annotations

import os

import pytest

from pcaps_contract import PcapsContractError, load_spec
from pcaps_contract.gate import ALL_CHECKS, GATE_ARGUMENTS, GateReport, options_from, run_gate

_REPORT = pytest.StashKey[GateReport]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pcaps-contract", "the contract gate (same options as `pcaps-contract check`)")
    for flag, keywords in GATE_ARGUMENTS:
        group.addoption(flag, **keywords)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"operation", "check"} <= set(metafunc.fixturenames):
        spec = load_spec(metafunc.config.getoption("spec"))
        operations = [operation.operation_id or operation.label for operation in spec.operations()]
        pairs = [(operation, check) for operation in operations for check in ALL_CHECKS]
        metafunc.parametrize(("operation", "check"), pairs, ids=[f"{op}-{check}" for op, check in pairs])


@pytest.fixture(scope="session")
def gate_report(request: pytest.FixtureRequest) -> GateReport:
    """The gate's run over the target, once per session; exit code 2 when it cannot judge."""
    try:
        options = options_from(request.config.getoption, os.environ)
        report = run_gate(options)
    except PcapsContractError as exc:
        pytest.exit(f"the gate could not judge: {exc}", returncode=2)
    request.config.stash[_REPORT] = report
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT, None)
    if report is not None:
        terminalreporter.write_sep("-", "pcaps-contract gate")
        terminalreporter.write_line(report.render().splitlines()[-1])
