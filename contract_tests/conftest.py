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
from datetime import timedelta
from pathlib import Path

import pytest

from pcaps_contract.errors import PcapsContractError
from pcaps_contract.gate import ALL_CHECKS, resolve_options, run_gate
from pcaps_contract.profiles import PROFILES
from pcaps_contract.report import GateReport
from pcaps_contract.spec import load_spec

_REPORT = pytest.StashKey[GateReport]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pcaps-contract", "the contract gate (same options as `pcaps-contract check`)")
    group.addoption("--base-url", help="a running server, e.g. http://127.0.0.1:8787/client/v4")
    group.addoption("--app", help="an ASGI or WSGI app to load in-process, MODULE:ATTR")
    group.addoption("--account-id", dest="accounts", action="append", help="an account id; twice for tenancy")
    group.addoption("--token", help="API token (env CLOUDFLARE_API_TOKEN)")
    group.addoption("--email", help="X-Auth-Email (env CLOUDFLARE_EMAIL)")
    group.addoption("--api-key", help="X-Auth-Key (env CLOUDFLARE_API_KEY)")
    group.addoption("--spec", type=Path, help="the spec (default: the bundled spec)")
    group.addoption("--profile", choices=list(PROFILES), help="budget: quick (default), ci, thorough")
    group.addoption("--seed", type=int, help="seed of the run")
    group.addoption("--max-examples", type=int, help="cases per operation (overrides the profile)")
    group.addoption("--workers", type=int, default=1, help="concurrent workers")
    group.addoption("--clock-skew", type=float, default=300.0, help="how far `submitted` may be ahead, in seconds")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"operation", "check"} <= set(metafunc.fixturenames):
        spec = load_spec(metafunc.config.getoption("spec"))
        operations = [operation.operation_id or operation.label for operation in spec.operations()]
        pairs = [(operation, check) for operation in operations for check in ALL_CHECKS]
        metafunc.parametrize(("operation", "check"), pairs, ids=[f"{op}-{check}" for op, check in pairs])


@pytest.fixture(scope="session")
def gate_report(request: pytest.FixtureRequest) -> GateReport:
    """The gate's run over the target, once per session; exit code 2 when it cannot judge."""
    option = request.config.getoption
    try:
        options = resolve_options(
            base_url=option("base_url"),
            app=option("app"),
            accounts=option("accounts"),
            token=option("token"),
            email=option("email"),
            api_key=option("api_key"),
            environ=os.environ,
            spec_path=option("spec"),
            profile=option("profile"),
            seed=option("seed"),
            max_examples=option("max_examples"),
            workers=option("workers"),
            clock_skew=timedelta(seconds=option("clock_skew")),
        )
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
