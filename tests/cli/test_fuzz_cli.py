"""`pcaps-contract fuzz` end to end, against the mock served on 127.0.0.1 (with faults, broken variants, Ctrl-C)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import Outcome, Run, cli_runner
from tests.cli.served import serve_not_found
from tests.gallery.broken import Broken, Exchange, submitted_with_space
from tests.junit import read_dashboard_junit

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
CANARY = "canary-7f3e9b1c-never-print-me"
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def serve(app: ASGIApp) -> Iterator[str]:
    """The app on 127.0.0.1 (a free port), stopped on exit; yields the API base URL."""
    with serve_in_thread(app) as url:
        yield url + "/client/v4"


def mock_app(**faults: Any) -> Any:
    return create_app(MockConfig(token=CANARY, accounts=(ACCOUNT,), **faults))


def held(app: Any) -> list[str]:
    """The ids the mock holds for the test account."""
    return [record.id for record in app.state.api.store.list(ACCOUNT)]


def fuzz(url: str, *extra: str, token: str = CANARY) -> list[str]:
    return ["fuzz", "--base-url", url, "--account-id", ACCOUNT, "--token", token, *extra]


def held_by(variant: Broken) -> list[str]:
    return held(variant.app)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: proof that nothing is sent."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("a connection was attempted", pytrace=False)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def read_tree(directory: Path) -> dict[str, str]:
    return {str(path): path.read_text(encoding="utf-8") for path in directory.rglob("*") if path.is_file()}


# --- refusals and the plan: exit 2 (or 0 for the plan) and nothing sent ---------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--base-url", "https://api.cloudflare.com/client/v4", "--account-id", ACCOUNT], "production API"),
        (["--base-url", "http://staging.example.com/client/v4", "--account-id", ACCOUNT], "plain http"),
        (["--base-url", "https://staging.example.com/client/v4"], "no account"),
        (["--account-id", ACCOUNT], "no target"),
        (
            ["--base-url", "https://staging.example.com/client/v4", "--account-id", ACCOUNT, "--rate-limit", "9/day"],
            "rate",
        ),
    ],
)
def test_unsafe_runs_are_refused_with_one_sentence_exit_2_and_no_request(
    no_network: None, run_cli: Run, argv: list[str], message: str
) -> None:
    outcome = run_cli("fuzz", "--token", CANARY, *argv)
    assert outcome.code == 2 and outcome.stdout == ""
    assert message in outcome.stderr and "Traceback" not in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1 and CANARY not in outcome.stderr


def test_a_refused_run_still_writes_its_reports_with_the_reason(no_network: None, run_cli: Run, tmp_path: Path) -> None:
    argv = ["--base-url", "http://staging.example.com/client/v4", "--account-id", ACCOUNT, "--token", CANARY]
    outcome = run_cli("fuzz", *argv, "--report-dir", str(tmp_path / "out"))
    assert outcome.code == 2 and "http" in outcome.stderr
    junit = read_dashboard_junit(tmp_path / "out" / "junit.xml")
    error = junit.find("testsuite/testcase/error")
    assert junit.get("errors") == "1" and error is not None and "refused" in (error.get("message") or "")
    assert json.loads((tmp_path / "out" / "result.json").read_text())["exit_code"] == 2
    assert not any(CANARY in path.read_text() for path in (tmp_path / "out").rglob("*") if path.is_file())


def test_a_report_dir_that_cannot_be_written_is_refused_before_anything_runs(
    no_network: None, run_cli: Run, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    outcome = run_cli("fuzz", "--token", CANARY, "--report-dir", str(tmp_path / "file"))
    assert outcome.code == 2 and "--report-dir" in outcome.stderr and "is a file" in outcome.stderr


def test_a_run_without_credentials_is_refused(no_network: None, run_cli: Run) -> None:
    outcome = run_cli("fuzz", "--base-url", "https://staging.example.com/client/v4", "--account-id", ACCOUNT)
    assert outcome.code == 2 and "no credentials" in outcome.stderr


def test_the_plan_shows_what_would_run_and_sends_nothing(no_network: None, run_cli: Run) -> None:
    argv = [*fuzz("https://staging.example.com/client/v4", "--duration", "10m", "--rate-limit", "5/s", "--plan")]
    outcome = run_cli(*argv, "--seed", "42", "--operation", "add_bucket", "--workers", "2")
    assert outcome.code == 0
    out = outcome.stdout
    for expected in (
        "target:      https://staging.example.com/client/v4",
        f"accounts:    {ACCOUNT}",
        "operations:  add_bucket",
        "budget:      10m00s, at most 3000 requests",
        "rate limit:  5/s",
        "workers:     2",
        "seed:        42",
        "nothing was sent",
    ):
        assert expected in out
    assert CANARY not in out


def test_the_production_host_is_planned_only_with_allow_production(no_network: None, run_cli: Run) -> None:
    argv = fuzz("https://api.cloudflare.com/client/v4", "--plan")
    assert run_cli(*argv).code == 2
    assert run_cli(*argv, "--allow-production").code == 0


# --- the rehearsal: faults on, budget spent, Retry-After honoured, 5xx recorded, nothing left ------------


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One 5-second run against the mock with 429s (Retry-After: 1), 500s and latency, with a canary token."""
    report = tmp_path_factory.mktemp("rehearsal")
    app = mock_app(rate_limit_rate=0.08, retry_after=1, server_error_rate=0.15, latency=0.005, seed=3)
    with serve(app) as url, pytest.MonkeyPatch.context() as monkeypatch:
        started = time.monotonic()
        outcome = cli_runner(monkeypatch)(
            *fuzz(
                url,
                "--duration",
                "5s",
                "--rate-limit",
                "50/s",
                "--workers",
                "2",
                "--seed",
                "7",
                "--report-dir",
                str(report),
            )
        )
        wall = time.monotonic() - started
        yield {
            "code": outcome.code,
            "out": outcome.stdout,
            "err": outcome.stderr,
            "wall": wall,
            "report": report,
            "result": json.loads((report / "result.json").read_text()),
            "events": [json.loads(line) for line in (report / "events.ndjson").read_text().splitlines()],
            "held": held(app),
            "url": url,
        }


def test_the_rehearsal_runs_its_whole_budget_despite_faults(rehearsal: dict[str, Any]) -> None:
    result = rehearsal["result"]
    assert result["stop_reason"] == "budget spent" and not result["interrupted"]
    assert result["seconds"] >= 5.0 and rehearsal["wall"] < 5.0 + 40.0  # start-up and cleanup, on a busy box
    assert all(result["per_operation"][op]["cases"] > 0 for op in result["operations"])


def test_the_rehearsal_honours_retry_after_and_counts_429s_without_reporting_them(rehearsal: dict[str, Any]) -> None:
    result, events = rehearsal["result"], rehearsal["events"]
    throttled = [event for event in events if event["event"] == "throttled"]
    assert throttled and result["sender"]["throttled"] >= len(throttled)
    assert all(event["retry_after"] == "1" and event["wait"] >= 1.0 for event in throttled)
    # Wall time during which some request waited: at least one whole wait, never more than the run lasted.
    assert 1.0 <= result["sender"]["waited_seconds"] <= result["seconds"]
    assert not any("429" in finding["cause"] or finding["exemplar"]["status"] == 429 for finding in result["findings"])


def test_the_rehearsal_records_the_server_errors_as_findings(rehearsal: dict[str, Any]) -> None:
    result = rehearsal["result"]
    assert rehearsal["code"] == 1
    server_errors = [finding for finding in result["findings"] if finding["check"] == "not_a_server_error"]
    assert server_errors and all(finding["cause"] == "ServerError 500" for finding in server_errors)
    assert len({finding["operation"] for finding in server_errors}) == len(server_errors)  # one per operation
    assert "[NEW] not_a_server_error" in rehearsal["out"]


def test_after_the_rehearsal_the_mock_holds_nothing_the_run_created(rehearsal: dict[str, Any]) -> None:
    result, events = rehearsal["result"], rehearsal["events"]
    created = {event["id"] for event in events if event["event"] == "created"}
    assert created and result["created"] == len(created)
    assert rehearsal["held"] == [] and result["leftovers"] == []
    assert events[-2]["event"] == "cleanup_finished" and events[-1]["event"] == "run_finished"


def test_the_canary_token_appears_in_no_report_file_and_no_output(rehearsal: dict[str, Any]) -> None:
    files = read_tree(rehearsal["report"])
    assert {"result.json", "events.ndjson", "junit.xml", "report.html", "baseline.json"} <= {
        Path(name).name for name in files
    }
    assert any("/replay/" in name for name in files)
    for name, text in {**files, "stdout": rehearsal["out"], "stderr": rehearsal["err"]}.items():
        assert CANARY not in text, name
    assert "$CLOUDFLARE_API_TOKEN" in files[str(rehearsal["report"] / "report.html")]


class ReportParser(HTMLParser):
    """Collects the report's per-operation rows, finding sections and reproductions."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[dict[str, str | None]] = []
        self.rows: list[list[str]] = []
        self.findings: list[str] = []
        self.curls: list[str] = []
        self.replays: list[str] = []
        self.verdict = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.stack.append({"tag": tag, **attributes})
        if tag == "section" and "finding" in (attributes.get("class") or ""):
            self.findings.append(attributes.get("id") or "")
        if tag == "tr" and any(item.get("id") == "per-operation" for item in self.stack):
            self.rows.append([])

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()["tag"] != tag:
            pass

    def handle_data(self, data: str) -> None:
        classes = " ".join(str(item.get("class") or "") for item in self.stack)
        if any(item["tag"] == "td" for item in self.stack) and self.rows:
            self.rows[-1].append(data.strip())
        if "curl" in classes:
            self.curls.append(data)
        if "replay" in classes:
            self.replays.append(data)
        if any(item.get("id") == "verdict" for item in self.stack):
            self.verdict += data


def test_the_html_report_has_the_summary_the_operation_table_and_each_finding_with_its_reproduction(
    rehearsal: dict[str, Any],
) -> None:
    parser = ReportParser()
    parser.feed((rehearsal["report"] / "report.html").read_text())
    assert [row[0] for row in parser.rows if row] == ["list_buckets", "add_bucket", "delete_bucket", "validate_bucket"]
    keys = [finding["key"] for finding in rehearsal["result"]["findings"]]
    assert parser.findings == [f"finding-{key}" for key in keys]
    assert len(parser.curls) == len(keys) and all(
        curl.startswith("curl -X ") and '"Authorization: Bearer $CLOUDFLARE_API_TOKEN"' in curl for curl in parser.curls
    )
    report = rehearsal["report"]
    assert parser.replays and all(not replay.removeprefix("pytest ").startswith("/") for replay in parser.replays)
    assert all((report / replay.removeprefix("pytest ")).is_file() for replay in parser.replays)  # relative to it
    assert "new finding(s) (exit 1)" in parser.verdict


def test_the_junit_xml_has_one_testcase_per_operation_and_check_with_the_new_findings_failed(
    rehearsal: dict[str, Any],
) -> None:
    from xml.etree import ElementTree

    suite = ElementTree.parse(rehearsal["report"] / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    failed = {
        (case.get("classname"), case.get("name")) for case in suite.iter("testcase") if case.find("failure") is not None
    }
    expected = {(finding["operation"], finding["check"]) for finding in rehearsal["result"]["findings"]}
    assert failed == expected and int(suite.get("tests") or 0) >= 4 * 10


# --- Ctrl-C in the middle: the report is written and the cleanup done ------------------------------------


def test_ctrl_c_in_the_middle_writes_the_report_and_cleans_up(tmp_path: Path) -> None:
    app = mock_app(latency=0.01)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with serve(app) as url:
        command = [
            sys.executable,
            "-m",
            "pcaps_contract",
            *fuzz(url, "--duration", "2m", "--report-dir", str(tmp_path)),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            events = tmp_path / "events.ndjson"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (events.is_file() and '"created"' in events.read_text()):
                time.sleep(0.1)
            assert held(app), "the run created nothing before the interrupt"
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 130, err
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["interrupted"] and result["stop_reason"] == "interrupted (Ctrl-C or SIGTERM)"
    assert result["created"] > 0 and result["leftovers"] == [] and held(app) == []
    assert (tmp_path / "report.html").is_file() and "Traceback" not in err and "interrupted; " in out
    assert CANARY not in out + err
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert 'errors="1"' in junit and "interrupted (Ctrl-C or SIGTERM)" in junit  # a dashboard shows the run did not end


# --- broken mocks: replays reproduce, leftovers exit 3, baselines, merged reports, a crashing check ------


def undeletable() -> Broken:
    """A broken server: every delete answers 500 and deletes nothing (it is routed to an id that does not exist)."""

    def aim_elsewhere(exchange: Exchange) -> None:
        if exchange.method == "DELETE":
            exchange.path = exchange.path.rsplit("/", 1)[0] + "/" + "0" * 32

    def fail(exchange: Exchange) -> None:
        if exchange.method == "DELETE":
            exchange.status = 500
            exchange.json = {
                "success": False,
                "errors": [{"code": 1011, "message": "boom"}],
                "messages": [],
                "result": None,
            }

    return Broken(fail, aim_elsewhere)


def run_replay(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Plugin autoload off: the schemathesis and hypothesis plugins cost seconds of start-up the replay does not use.
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "CLOUDFLARE_API_TOKEN": DEV_TOKEN,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        **env,
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=path.parent, timeout=120)


def replay_test(path: Path) -> Any:
    """The test function of a replay module, imported from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(getattr(module, name) for name in dir(module) if name.startswith("test_"))


def broken_run(run_cli: Run, variant: Broken, *argv: str) -> Outcome:
    """Fuzz a broken variant of the mock (the gate's gallery), served on 127.0.0.1."""
    with serve(variant) as url:
        return run_cli(*fuzz(url, *argv, token=DEV_TOKEN))


def test_a_replay_file_reproduces_a_finding_of_our_checks_and_passes_once_fixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    argv = ("--operation", "add_bucket", "--max-examples", "6", "--seed", "1", "--report-dir", str(tmp_path))
    outcome = broken_run(run_cli, submitted_with_space, *argv)
    assert outcome.code == 1 and "timestamps_are_rfc3339 on add_bucket" in outcome.stdout
    [replay] = tmp_path.glob("replay/test_*_add_bucket_timestamps_are_rfc3339.py")
    with serve(submitted_with_space) as broken_url, serve(create_app()) as fixed:
        reproduced = run_replay(replay, PCAPS_BASE_URL=broken_url)
        assert reproduced.returncode == 1 and "Expected: `submitted` as an RFC 3339 date-time" in reproduced.stdout
        monkeypatch.setenv("PCAPS_BASE_URL", fixed)
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "not-the-token")
        with pytest.raises(RuntimeError, match="credentials are refused"):
            replay_test(replay)()  # refused credentials never pass for a fix
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEV_TOKEN)
        replay_test(replay)()  # against the correct mock it passes (in-process: a second interpreter costs seconds)


def test_undeletable_ownerships_are_listed_by_id_and_exit_3_and_a_builtin_replay_reproduces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    variant = undeletable()
    argv = ("--operation", "add_bucket", "--operation", "delete_bucket", "--max-examples", "4", "--seed", "2")
    with serve(variant) as url:
        outcome = run_cli(*fuzz(url, *argv, "--report-dir", str(tmp_path), token=DEV_TOKEN))
        left = held_by(variant)
        assert outcome.code == 3 and left
        result = json.loads((tmp_path / "result.json").read_text())
        assert sorted(item["ownership_id"] for item in result["leftovers"]) == sorted(left)
        assert all(f"LEFT BEHIND: ownership {ownership_id}" in outcome.stdout for ownership_id in left)
        assert "Left behind" in (tmp_path / "report.html").read_text()
        assert "new finding(s); " in outcome.stdout and "could not be deleted" in outcome.stdout  # both, exit 3
        junit = read_dashboard_junit(tmp_path / "junit.xml")
        assert int(junit.get("failures") or 0) >= 1 and junit.get("errors") == str(len(left))
        [replay] = tmp_path.glob("replay/test_*_delete_bucket_not_a_server_error.py")
        monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEV_TOKEN)
        with pytest.raises(AssertionError, match="500"):
            replay_test(replay)()


def test_a_baseline_accepts_known_findings_and_exit_1_is_kept_for_new_ones(tmp_path: Path, run_cli: Run) -> None:
    with serve(submitted_with_space) as url:
        argv = fuzz(url, "--operation", "add_bucket", "--max-examples", "4", "--seed", "5", token=DEV_TOKEN)
        assert run_cli(*argv, "--report-dir", str(tmp_path / "first")).code == 1
        baseline = tmp_path / "first" / "baseline.json"
        accepted = run_cli(*argv, "--baseline", str(baseline))
        assert accepted.code == 0 and "[known]" in accepted.stdout and "0 new finding(s)" in accepted.stdout
        partial = tmp_path / "partial.json"
        document = json.loads(baseline.read_text())
        partial.write_text(json.dumps({**document, "findings": document["findings"][1:]}))
        assert run_cli(*argv, "--baseline", str(partial)).code == 1


def test_reports_of_runs_split_by_operation_merge_into_one(tmp_path: Path, run_cli: Run) -> None:
    with serve(submitted_with_space) as url:
        for operation in ("add_bucket", "list_buckets"):
            argv = fuzz(url, "--operation", operation, "--max-examples", "3", "--seed", "9", token=DEV_TOKEN)
            run_cli(*argv, "--report-dir", str(tmp_path / operation))
    parts = [str(tmp_path / "add_bucket"), str(tmp_path / "list_buckets")]
    outcome = run_cli("fuzz", "--merge", *parts, "--report-dir", str(tmp_path / "all"))
    code, out = outcome.code, outcome.stdout
    merged = json.loads((tmp_path / "all" / "result.json").read_text())
    results = [json.loads((tmp_path / name / "result.json").read_text()) for name in ("add_bucket", "list_buckets")]
    assert code == 1 and list(merged["per_operation"]) == ["add_bucket", "list_buckets"]
    assert merged["per_operation"]["add_bucket"]["cases"] == results[0]["per_operation"]["add_bucket"]["cases"]
    assert {f["key"] for f in merged["findings"]} == {f["key"] for part in results for f in part["findings"]}
    assert (tmp_path / "all" / "report.html").is_file() and "timestamps_are_rfc3339" in out
    baseline = str(tmp_path / "add_bucket" / "baseline.json")
    accepted = run_cli("fuzz", "--merge", *parts, "--baseline", baseline)
    assert accepted.code == (0 if not results[1]["findings"] else 1) and "[known]" in accepted.stdout


def test_merging_a_directory_without_a_result_is_a_usage_error(tmp_path: Path, no_network: None, run_cli: Run) -> None:
    assert run_cli("fuzz", "--merge", str(tmp_path)).code == 2


def test_a_crashing_check_stops_the_run_and_the_cleanup_still_deletes_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    from pcaps_contract.judge import checks

    def crash(self: Any) -> Iterator[dict[str, Any]]:
        raise RuntimeError("a bug in a check")

    app = mock_app()
    with serve(app) as url:
        monkeypatch.setattr(checks.Exchange, "ownerships", crash)
        argv = fuzz(url, "--operation", "add_bucket", "--max-examples", "5", "--seed", "3")
        outcome = run_cli(*argv, "--report-dir", str(tmp_path))
    code, out = outcome.code, outcome.stdout
    result = json.loads((tmp_path / "result.json").read_text())
    assert code == 2 and result["crashed"] and "a bug in a check" in result["stop_reason"]
    assert result["stop_reason"] == (
        "internal error: please report it with this command line and --seed 3 "
        "(a check crashed: RuntimeError: a bug in a check)"
    )
    assert result["created"] >= 1 and held(app) == [] and "internal error: please report it" in out


def test_a_check_whose_request_meets_the_runs_stop_is_no_crashed_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    from pcaps_contract.engine.sender import Cancelled
    from pcaps_contract.judge import checks

    def stopped(self: Any) -> Iterator[dict[str, Any]]:
        raise Cancelled("interrupted (Ctrl-C or SIGTERM)")

    app = mock_app()
    with serve(app) as url:
        monkeypatch.setattr(checks.Exchange, "ownerships", stopped)
        argv = fuzz(url, "--operation", "add_bucket", "--max-examples", "3", "--seed", "3")
        run_cli(*argv, "--report-dir", str(tmp_path))
    result = json.loads((tmp_path / "result.json").read_text())
    assert "a check crashed" not in result["stop_reason"] and held(app) == [], result["stop_reason"]


def hangs_on_validate(app: ASGIApp, seconds: float) -> ASGIApp:
    """A server whose validate never answers in time (the rest of the API is fine)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/validate"):
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return wrapped


def test_a_timeout_of_a_target_that_still_answers_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    """One request without an answer is a finding, not a dead target: the halt needs two, over 2 x the timeout."""
    from pcaps_contract._credentials import Credentials
    from pcaps_contract.engine.ratelimit import RetryPolicy
    from pcaps_contract.fuzz.plan import FuzzPlan
    from pcaps_contract.fuzz.run import FuzzRun
    from pcaps_contract.openapi.spec import load_spec
    from pcaps_contract.report.eventlog import EventLog

    policy = RetryPolicy(transport_retries=0, timeout=0.3)
    with serve(hangs_on_validate(mock_app(), 1.0)) as url:
        plan = FuzzPlan(
            url, (ACCOUNT,), ("validate_bucket", "list_buckets"), duration=None, max_examples=1, policy=policy, seed=4
        )
        events = EventLog(tmp_path / "events.ndjson", str)
        result = FuzzRun(plan, Credentials(token=CANARY), load_spec(), listener=events).run()
        events.close()
    [timeout] = [finding for finding in result.findings if finding.check == "request_completes"]
    assert timeout.operation == "validate_bucket" and timeout.cause == "ReadTimeout" and timeout.count == 1
    assert timeout.expected == "a response within 0.3 s (tried up to 1 times)"
    assert result.sender["transport_errors"] == 1 and result.sender["transport_gave_up"] == 1
    assert result.per_operation["list_buckets"].cases == 1  # the run went on after the timeout
    assert result.exit_code() == 1 and not result.crashed, result.stop_reason


def test_refused_credentials_stop_the_run_at_the_preflight_before_anything_is_created(run_cli: Run) -> None:
    app = mock_app()
    with serve(app) as url:
        outcome = run_cli(*fuzz(url, "--max-examples", "2", token="not-the-token"))
    assert outcome.code == 2 and "credentials are refused" in outcome.stderr and held(app) == []


def test_a_base_url_without_client_v4_stops_the_run_at_the_preflight_in_one_sentence(
    run_cli: Run, tmp_path: Path
) -> None:
    app = mock_app()
    with serve_in_thread(app) as origin:  # the mock answers 404 in its envelope outside /client/v4
        outcome = run_cli(*fuzz(origin, "--duration", "5s", "--report-dir", str(tmp_path)))
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    [line] = [text for text in outcome.stderr.splitlines() if text.startswith("error: ")]
    assert line.endswith("does --base-url end in /client/v4?") and "new finding" not in outcome.stdout
    assert json.loads((tmp_path / "result.json").read_text())["exit_code"] == 2 and held(app) == []


@pytest.mark.parametrize("kind", ["html", "plain"])
def test_a_server_that_answers_404_to_everything_is_not_fuzzed(run_cli: Run, kind: str) -> None:
    with serve_not_found(kind) as (origin, received):
        outcome = run_cli(*fuzz(f"{origin}/client/v4", "--duration", "5s"))
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    [line] = [text for text in outcome.stderr.splitlines() if text.startswith("error: ")]
    assert "not an answer of the API" in line and line.endswith("does --base-url end in /client/v4?"), line
    assert received == [("GET", f"/client/v4/accounts/{ACCOUNT}/pcaps/ownership")]


def test_operations_whose_every_answer_is_a_404_page_are_not_judged_exit_2_with_one_sentence(
    run_cli: Run, tmp_path: Path
) -> None:
    """The list answers as the API does (so the preflight passes); every delete and validate gets a web server's
    404 page. The schema failures those pages make stay in the report, but they judge no operation of the API."""
    operations = ("--operation", "delete_bucket", "--operation", "validate_bucket")
    with serve_not_found("html", lists=True) as (origin, received):
        argv = fuzz(f"{origin}/client/v4", *operations, "--max-examples", "6", "--report-dir", str(tmp_path))
        outcome = run_cli(*argv)
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    [line] = [text for text in outcome.stdout.splitlines() if text.startswith("error: ")]
    assert "could not judge delete_bucket: its " in line, line
    assert "new finding(s) (exit 2)" in outcome.stdout and "stopped early" not in outcome.stdout
    assert "answer(s) were all 404 without the API's envelope; validate_bucket: its " in line, line
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["exit_code"] == 2 and result["per_operation"]["delete_bucket"]["answers"] == {
        "404 without the API's envelope": result["per_operation"]["delete_bucket"]["cases"]
    }
    assert {method for method, _ in received} >= {"GET", "DELETE", "POST"}


def test_a_faithful_target_judges_every_operation_on_real_answers_and_exits_0(run_cli: Run, tmp_path: Path) -> None:
    with serve(mock_app()) as url:
        outcome = run_cli(*fuzz(url, "--max-examples", "6", "--seed", "3", "--report-dir", str(tmp_path)))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    per_operation = json.loads((tmp_path / "result.json").read_text())["per_operation"]
    assert set(per_operation) == {"list_buckets", "add_bucket", "delete_bucket", "validate_bucket"}
    for name, stats in per_operation.items():
        assert "404 without the API's envelope" not in stats["answers"] or name == "list_buckets", (name, stats)
        assert sum(stats["answers"].values()) > 0, name


def test_with_the_key_pair_no_email_or_key_reaches_a_file_and_reproductions_use_their_variables(
    tmp_path: Path, run_cli: Run
) -> None:
    from pcaps_contract.mock import DEV_API_KEY, DEV_EMAIL

    with serve(submitted_with_space) as url:
        argv = ["fuzz", "--base-url", url, "--account-id", ACCOUNT, "--email", DEV_EMAIL, "--api-key", DEV_API_KEY]
        outcome = run_cli(*argv, "--operation", "add_bucket", "--max-examples", "3", "--report-dir", str(tmp_path))
    assert outcome.code == 1
    files = read_tree(tmp_path)
    for name, text in {**files, "stdout": outcome.stdout, "stderr": outcome.stderr}.items():
        assert DEV_API_KEY not in text and DEV_EMAIL not in text, name
    assert '-H "X-Auth-Email: $CLOUDFLARE_EMAIL" -H "X-Auth-Key: $CLOUDFLARE_API_KEY"' in outcome.stdout


def test_half_the_fuzzed_deletes_aim_at_ownerships_the_run_created(tmp_path: Path, run_cli: Run) -> None:
    app = mock_app()
    with serve(app) as url:
        argv = ("--operation", "add_bucket", "--operation", "delete_bucket", "--max-examples", "10", "--seed", "6")
        outcome = run_cli(*fuzz(url, *argv, "--report-dir", str(tmp_path)))
    result = json.loads((tmp_path / "result.json").read_text())
    assert outcome.code == 0 and result["created"] > result["deleted"] > 0  # some went by fuzzed deletes
    assert result["per_operation"]["delete_bucket"]["statuses"].get("2xx", 0) > 0 and held(app) == []


def test_an_operation_draws_the_same_cases_alone_or_with_the_others(tmp_path: Path, run_cli: Run) -> None:
    def list_statuses(*operations: str) -> list[int]:
        report = tmp_path / "-".join(operations)
        with serve(mock_app()) as url:
            flags = [flag for operation in operations for flag in ("--operation", operation)]
            run_cli(*fuzz(url, *flags, "--max-examples", "8", "--seed", "9", "--report-dir", str(report)))
        events = [json.loads(line) for line in (report / "events.ndjson").read_text().splitlines()]
        return [event["status"] for event in events if event.get("operation") == "list_buckets"]

    alone = list_statuses("list_buckets")
    assert alone == list_statuses("add_bucket", "list_buckets") and len(alone) == 8


def test_a_bug_in_the_run_itself_still_ends_with_the_cleanup_and_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_cli: Run
) -> None:
    from pcaps_contract.fuzz.run import FuzzRun

    calls = 0

    def bug(self: Any, *args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise ValueError("an unexpected bug")

    monkeypatch.setattr(FuzzRun, "_use_created_ownerships", bug)
    app = mock_app()
    with serve(app) as url:
        outcome = run_cli(*fuzz(url, "--operation", "add_bucket", "--max-examples", "8", "--report-dir", str(tmp_path)))
    result = json.loads((tmp_path / "result.json").read_text())
    assert outcome.code == 2 and result["stop_reason"].startswith("internal error: please report it")
    assert result["stop_reason"].endswith(f"--seed {result['seed']} (ValueError: an unexpected bug)")
    assert held(app) == [] and (tmp_path / "report.html").is_file()


def test_the_timeline_never_draws_more_requests_a_second_than_the_rate_limit_cleanup_included(
    tmp_path: Path, run_cli: Run
) -> None:
    """Each request on the timeline at the time it was sent: the cleanup's deletes spread at the limit, no spike."""
    app = mock_app()
    with serve(app) as url:
        argv = ("--operation", "add_bucket", "--duration", "4s", "--rate-limit", "10/s", "--seed", "5")
        outcome = run_cli(*fuzz(url, *argv, "--report-dir", str(tmp_path)))
    result = json.loads((tmp_path / "result.json").read_text())
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert result["deleted"] > 10 and held(app) == []  # a cleanup longer than a second: all in one bucket would spike
    timeline = result["timeline"]
    assert sum(timeline["requests"]) == result["sender"]["requests"]
    busiest = max(timeline["requests"]) / timeline["bucket_seconds"]
    assert busiest <= 10, timeline["requests"]
