"""`pcaps-contract verify` and `pcaps-contract proxy`: judge traffic this toolkit did not send, recorded or live,
then print the end and write the reports.

Each loads only what its own command needs: `verify` never the proxy's HTTP stack.
"""

from __future__ import annotations

from pathlib import Path

from pcaps_contract._errors import UsageError
from pcaps_contract._limits import DEFAULT_MAX_RESPONSE_BYTES


def run_verify(
    file: Path,
    *,
    spec: Path | None,
    max_response_bytes: int | None,
    verbose: bool,
    junit_xml: Path | None,
    json_report: Path | None,
    report_dir: Path | None,
    argv: tuple[str, ...],
) -> int:
    """Judge the exchanges recorded in `file` (HAR 1.2 or the proxy's NDJSON); returns the exit code."""
    from pcaps_contract._terminal import painted
    from pcaps_contract.openapi import load_spec
    from pcaps_contract.passive.judging import PassiveJudge
    from pcaps_contract.passive.traffic import read_traffic
    from pcaps_contract.report import TEXT_STYLES, prepare_report_dir, prepare_report_file, write_reports

    outputs = prepare_report_file(junit_xml, "--junit-xml"), prepare_report_file(json_report, "--report")
    folder = prepare_report_dir(report_dir)
    judge = PassiveJudge(load_spec(spec))
    # One pass: every writer redacts what it shows with every secret the recording held (`RunReport.redacted`).
    judge.judge_all(read_traffic(file, max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES))
    report = judge.report(str(file), "verify")
    write_reports(report, *outputs, folder, "verify", argv)
    if report.error:
        hint = "" if judge.tally.judged else "; record traffic of the ownership API (HAR or `proxy`)."
        raise UsageError(f"{file}: {report.error}{hint}")
    print(painted(report.render(verbose), TEXT_STYLES))
    return report.exit_code


def run_proxy(
    upstream: str,
    *,
    host: str,
    port: int,
    spec: Path | None,
    max_response_bytes: int | None,
    verbose: bool,
    report_dir: Path | None,
    argv: tuple[str, ...],
) -> int:
    """Serve the judging proxy in front of `upstream` until Ctrl-C or SIGTERM; returns the exit code."""
    from pcaps_contract._serving import bind
    from pcaps_contract._terminal import painted
    from pcaps_contract._urls import parse_target
    from pcaps_contract.openapi import load_spec
    from pcaps_contract.passive.proxy import EXCHANGES_FILE, ProxyApp, ProxyRun, serve
    from pcaps_contract.report import EVENTS_FILE, TEXT_STYLES, prepare_report_dir, write_unfinished

    # Production is fine: the proxy sends only what its clients send, to where they meant it to go.
    target = parse_target(upstream, allow_production=True, flag="--upstream")
    contract = load_spec(spec)
    if (folder := prepare_report_dir(report_dir, files=(EXCHANGES_FILE, EVENTS_FILE))) is not None:
        write_unfinished(folder, target.base_url, "proxy")
    sock = bind(host, port)
    run = ProxyRun.start(target, contract, report_dir, argv=argv)
    app = ProxyApp(target, run.judging, max_response_bytes or DEFAULT_MAX_RESPONSE_BYTES)
    report = serve(run, app, sock)
    if report.error:
        hint = "" if run.judge.tally.judged else "; point the clients at the proxy's address."
        raise UsageError(f"nothing judged: {report.error}{hint}")
    print(painted(report.render(verbose), TEXT_STYLES))
    return report.exit_code
