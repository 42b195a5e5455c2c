"""The contract gate as a pytest suite, with the same options as `pcaps-contract check`; shipped in the wheel.

    pytest -p pcaps_contract.contract_tests --pyargs pcaps_contract.contract_tests [options]   # installed
    pytest contract_tests [options]                                                          # in a checkout

    options: --base-url URL --account-id ID       # any server (credentials from CLOUDFLARE_*)
             --app myservice.main:app --token T --account-id A --account-id B
             (none: the bundled mock, in-process)

This module is the plugin (`-p`): it adds the gate's options, parametrizes the test and runs the gate once
per session. It is not loaded by itself (no `pytest11` entry point): its options, such as `--base-url`, would
clash with other plugins' in every pytest run of the environment (pytest-base-url's, for one).

One test per operation x check: passed, failed (with Expected/Received and a runnable curl), or skipped
when no response of the run fell under the check. The run itself is `pcaps_contract.gate.run_gate`, the
same code, checks and data as the command line.
"""

from __future__ import annotations

import os

import pytest

from pcaps_contract import PcapsContractError, load_spec
from pcaps_contract.gate import ALL_CHECKS, GATE_ARGUMENTS, GateReport, options_from, run_gate
from pcaps_contract.judge import judges

_REPORT = pytest.StashKey[GateReport]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pcaps-contract", "the contract gate (same options as `pcaps-contract check`)")
    for flag, keywords in GATE_ARGUMENTS:
        group.addoption(flag, **keywords)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"operation", "check"} <= set(metafunc.fixturenames):
        spec = load_spec(metafunc.config.getoption("spec"))
        operations = [operation.operation_id or operation.label for operation in spec.operations()]
        # A check never judges an operation it does not declare (`judge.checks`): no test of that pair.
        pairs = [(operation, check) for operation in operations for check in ALL_CHECKS if judges(check, operation)]
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
