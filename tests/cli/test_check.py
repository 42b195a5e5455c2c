"""`pcaps-contract check` end to end: exit codes, the summary, JUnit XML, the JSON report, and no leaked secret."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest

from pcaps_contract.gate import ALL_CHECKS
from pcaps_contract.judge.checks import judges
from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.openapi import api
from tests.cli.helpers import FAST, Run
from tests.cli.served import serve_not_found
from tests.gallery.broken import OTHER, OWNER, Broken, Exchange, _fail
from tests.junit import properties, read_dashboard_junit

CANARY = "canary-5f0c7e1d9b2a4c6e8f0a1b3c5d7e9f1a"
BROKEN = ["--app", "tests.gallery.broken:success_false_on_200", "--account-id", OWNER, "--account-id", OTHER]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_check_passes_the_bundled_mock_with_a_summary_seed_and_time(run_cli: Run) -> None:
    outcome = run_cli("check", "--seed", "7", *FAST)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.stdout.startswith("Target: the bundled mock (in-process)")
    assert "check  " in outcome.stdout and "list_buckets" in outcome.stdout
    assert "seed 7 (profile quick)" in outcome.stdout
    assert outcome.stdout.rstrip().endswith("the implementation keeps the contract")


def test_check_exits_1_and_shows_expected_received_and_curl_for_a_violation(run_cli: Run) -> None:
    outcome = run_cli("check", *BROKEN, "--token", "pcaps-contract-dev-token", "--seed", "1", *FAST)
    assert outcome.code == 1
    section = outcome.stdout.split("success_matches_status on ", 1)[1]
    assert "  Expected: `success: true` with status 200" in section
    assert "  Received: `success: false`" in section
    assert "curl -X " in section and '-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN"' in section
    assert "[Filtered]" not in outcome.stdout


def test_a_key_pair_is_reproduced_with_its_environment_variables(run_cli: Run) -> None:
    outcome = run_cli(
        "check", *BROKEN, "--email", "dev@example.com", "--api-key", "pcaps-contract-dev-api-key", "--seed", "1", *FAST
    )
    assert outcome.code == 1
    assert '-H "X-Auth-Email: $CLOUDFLARE_EMAIL" -H "X-Auth-Key: $CLOUDFLARE_API_KEY"' in outcome.stdout


def test_no_secret_reaches_output_junit_or_report(run_cli: Run, tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    outcome = run_cli("check", "--token", CANARY, "--junit-xml", str(junit), "--report", str(report), *FAST)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    for text in (outcome.stdout, outcome.stderr, junit.read_text(), report.read_text()):
        assert CANARY not in text


def test_no_secret_reaches_the_reproductions_of_a_failing_run(run_cli: Run, tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    token = "pcaps-contract-dev-token"  # the only token the broken apps accept, so it plays the canary here
    outcome = run_cli("check", *BROKEN, "--token", token, "--junit-xml", str(junit), "--report", str(report), *FAST)
    assert outcome.code == 1
    for text in (outcome.stdout, outcome.stderr, junit.read_text(), report.read_text()):
        assert token not in text
        assert "$CLOUDFLARE_API_TOKEN" in text or text == outcome.stderr


def test_junit_has_a_testcase_per_cell_that_applied_and_counts_the_rest(run_cli: Run, tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "result.json"
    outcome = run_cli(
        "check",
        *BROKEN,
        "--token",
        "pcaps-contract-dev-token",
        "--junit-xml",
        str(junit),
        "--report",
        str(report),
        *FAST,
    )
    assert outcome.code == 1
    root = read_dashboard_junit(junit)
    results = json.loads(report.read_text())["results"]
    applied = {(item["operation"], item["check"]) for item in results if item["status"] != "skipped"}
    cases = {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}
    assert set(cases) == applied
    # The cells a check never judges by design are neither testcases nor counted as not applicable.
    judgeable = [(operation, check) for operation in api.OPERATIONS for check in ALL_CHECKS if judges(check, operation)]
    assert int(properties(root)["not_applicable"]) == len(judgeable) - len(applied) > 0
    assert len(results) == len(judgeable) < 4 * len(ALL_CHECKS)
    failed = {key for key, case in cases.items() if case.find("failure") is not None}
    assert ("add_bucket", "success_matches_status") in failed
    assert any(float(case.get("time") or 0) > 0 for case in cases.values())  # the answers' time, per cell
    assert properties(root)["seed"] == str(json.loads(report.read_text())["seed"])


def test_options_refused_after_the_outputs_were_prepared_still_write_them(run_cli: Run, tmp_path: Path) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "result.json"
    production = ["--base-url", "https://api.cloudflare.com/client/v4", "--account-id", OWNER, "--token", CANARY]
    outcome = run_cli("check", *production, "--junit-xml", str(junit), "--report", str(report), *FAST)
    assert outcome.code == 2 and "api.cloudflare.com" in outcome.stderr
    root = read_dashboard_junit(junit)
    error = root.find("testsuite/testcase/error")
    assert root.get("errors") == "1" and error is not None and "api.cloudflare.com" in (error.get("message") or "")
    assert json.loads(report.read_text())["exit_code"] == 2
    assert CANARY not in junit.read_text() + report.read_text()
    later = run_cli("check", "--junit-xml", str(junit), "--report", str(tmp_path), *FAST)  # --report is refused
    assert later.code == 2 and "is a folder" in later.stderr
    assert "is a folder" in (read_dashboard_junit(junit).find(".//error").get("message") or "")  # type: ignore[union-attr]


def test_the_json_report_says_what_passed_failed_and_was_skipped(run_cli: Run, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    outcome = run_cli("check", *BROKEN, "--token", "pcaps-contract-dev-token", "--report", str(report), *FAST)
    assert outcome.code == 1
    data = json.loads(report.read_text())
    assert data["conforms"] is False and isinstance(data["seed"], int)
    statuses = {(item["operation"], item["check"]): item for item in data["results"]}
    failed = statuses[("add_bucket", "success_matches_status")]
    assert failed["status"] == "failed" and failed["expected"].startswith("`success: true`")
    assert failed["reproduce"][0].startswith("curl -X POST")
    assert all(item["reason"] for item in data["results"] if item["status"] == "skipped")
    assert ("list_buckets", "no_content_has_empty_body") not in statuses  # never judged there by design


def test_an_unreachable_target_exits_2(run_cli: Run) -> None:
    url = f"http://127.0.0.1:{free_port()}/client/v4"
    outcome = run_cli("check", "--base-url", url, "--token", "t", "--account-id", OWNER)
    assert outcome.code == 2
    assert outcome.stderr.startswith("error: cannot reach http://127.0.0.1:")
    assert "Traceback" not in outcome.stderr


def test_refused_credentials_exit_2_not_0(run_cli: Run) -> None:
    outcome = run_cli("check", *BROKEN, "--token", "not-the-token")
    assert outcome.code == 2
    assert "answered 403" in outcome.stderr and "credentials are refused" in outcome.stderr


def test_an_account_the_token_cannot_use_exits_2(run_cli: Run) -> None:
    outcome = run_cli(
        "check",
        "--app",
        "tests.gallery.broken:created_201",
        "--token",
        "pcaps-contract-dev-token",
        "--account-id",
        "f" * 32,
    )
    assert outcome.code == 2
    assert "listing account ffff" in outcome.stderr


def test_an_unreadable_spec_exits_2(run_cli: Run, tmp_path: Path) -> None:
    outcome = run_cli("check", "--spec", str(tmp_path / "missing.yaml"))
    assert outcome.code == 2
    assert "no such file" in outcome.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--base-url", "http://127.0.0.1:1/client/v4", "--account-id", OWNER], "no credentials"),
        (["--email", "dev@example.com"], "--api-key is missing"),
        (["--base-url", "http://127.0.0.1:1/client/v4", "--app", "x:y"], "not both"),
        (["--account-id", "0" * 33], "is not an account id"),
        (["--app", "no_such_module_here:app", "--token", "t", "--account-id", OWNER], "cannot import"),
        (["--base-url", "ftp://example.com", "--token", "t", "--account-id", OWNER], "not an http(s) URL"),
    ],
)
def test_a_usage_mistake_exits_2_with_one_sentence(run_cli: Run, arguments: list[str], message: str) -> None:
    outcome = run_cli("check", *arguments)
    assert outcome.code == 2
    assert message in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1


def test_the_credentials_come_from_the_environment(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", CANARY)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", OWNER)
    outcome = run_cli("check", *FAST)
    assert outcome.code == 0, outcome.stderr
    assert "tenancy was not judged" in outcome.stdout
    assert CANARY not in outcome.stdout


def test_the_ci_profile_sends_the_same_cases_every_run(run_cli: Run, tmp_path: Path) -> None:
    counts = []
    for attempt in ("first", "second"):
        report = tmp_path / f"{attempt}.json"
        assert run_cli("check", "--profile", "ci", "--report", str(report), *FAST).code == 0
        data = json.loads(report.read_text())
        assert data["seed"] == 20261126
        counts.append([(item["operation"], item["check"], item["passed"]) for item in data["results"]])
    assert counts[0] == counts[1]


def test_a_run_against_a_server_judges_it_and_leaves_no_bucket_behind(run_cli: Run) -> None:
    accounts = (OWNER, OTHER)
    with serve_in_thread(create_app(MockConfig(accounts=accounts))) as origin:
        base_url = f"{origin}/client/v4"
        outcome = run_cli(
            "check", "--base-url", base_url, "--token", DEV_TOKEN, "--account-id", OWNER, "--account-id", OTHER, *FAST
        )
        assert outcome.code == 0, outcome.stdout + outcome.stderr
        assert outcome.stdout.startswith(f"Target: {base_url}")
        headers = {"Authorization": f"Bearer {DEV_TOKEN}"}
        for account in accounts:
            listing = httpx.get(f"{base_url}/accounts/{account}/pcaps/ownership", headers=headers)
            assert listing.json()["result"] == []


def test_a_wsgi_app_is_loaded_in_process_and_refusal_everywhere_exits_2(run_cli: Run) -> None:
    outcome = run_cli(
        "check", "--app", "tests.gallery.broken:wsgi_refusing_everyone", "--token", "t", "--account-id", OWNER
    )
    assert outcome.code == 2
    assert "answered 403 listing account" in outcome.stderr


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--clock-skew", "nan"),
        ("--clock-skew", "inf"),
        ("--clock-skew", "-5"),
        ("--timeout", "0"),
        ("--timeout", "inf"),
        ("--max-time", "nan"),
        ("--rate-limit", "0/s"),
        ("--max-response-bytes", "0"),
        ("--max-response-bytes", "1023"),
        ("--challenge-wait", "-1"),
        ("--challenge-wait", "inf"),
    ],
)
def test_a_numeric_option_that_cannot_work_is_one_sentence_and_exit_2(
    capsys: pytest.CaptureFixture[str], flag: str, value: str
) -> None:
    from pcaps_contract._cli import main

    with pytest.raises(SystemExit) as exited:
        main(["check", flag, value])
    out, err = capsys.readouterr()
    assert exited.value.code == 2
    assert err.startswith("error: pcaps-contract check: argument ") and flag in err and len(err.splitlines()) == 1
    assert out == ""


def test_report_folders_are_created_and_a_folder_is_refused_before_anything_runs(run_cli: Run, tmp_path: Path) -> None:
    junit, report = tmp_path / "reports" / "ci" / "junit.xml", tmp_path / "out" / "result.json"
    outcome = run_cli("check", "--seed", "1", *FAST, "--junit-xml", str(junit), "--report", str(report))
    assert outcome.code == 0, outcome.stderr
    assert ElementTree.parse(junit).getroot().tag == "testsuites" and json.loads(report.read_text())["exit_code"] == 0
    refused = run_cli("check", "--junit-xml", str(tmp_path))
    assert refused.code == 2 and "is a folder" in refused.stderr and refused.stdout == ""


def test_a_run_that_cannot_judge_still_writes_junit_with_an_error_and_the_json(run_cli: Run, tmp_path: Path) -> None:
    port = free_port()
    junit, report = tmp_path / "junit.xml", tmp_path / "result.json"
    outcome = run_cli(
        "check",
        "--base-url",
        f"http://127.0.0.1:{port}/client/v4",
        "--token",
        CANARY,
        "--account-id",
        OWNER,
        "--timeout",
        "1",
        "--junit-xml",
        str(junit),
        "--report",
        str(report),
    )
    assert outcome.code == 2 and "cannot reach" in outcome.stderr
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
    assert json.loads(report.read_text())["exit_code"] == 2
    assert CANARY not in junit.read_text() + report.read_text() + outcome.stdout + outcome.stderr


def test_a_served_target_that_forgot_the_base_path_is_stopped_by_the_preflight_in_one_sentence(run_cli: Run) -> None:
    # The mock answers 404 in its envelope outside /client/v4: the list, which the API answers 200, is no route.
    with serve_in_thread(create_app(MockConfig(token=CANARY))) as origin:
        outcome = run_cli("check", "--base-url", origin, "--token", CANARY, "--account-id", OWNER, "--seed", "1", *FAST)
    assert outcome.code == 2, outcome.stdout
    [line] = outcome.stderr.splitlines()
    assert line.startswith("error: ") and line.endswith("does --base-url end in /client/v4?"), line
    assert "an error in the API's envelope" in line and outcome.stdout == ""


@pytest.mark.parametrize("kind", ["html", "plain"])
def test_a_server_that_answers_404_to_everything_is_stopped_by_the_preflight_in_one_sentence(
    run_cli: Run, kind: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    with serve_not_found(kind) as (origin, received):
        argv = ["--base-url", f"{origin}/client/v4", "--token", CANARY, "--account-id", OWNER, "--account-id", OTHER]
        outcome = run_cli("check", *argv, "--seed", "1", "--report", str(report), *FAST)
    assert outcome.code == 2, outcome.stdout
    [line] = outcome.stderr.splitlines()
    assert "answered 404 to GET" in line and "not an answer of the API" in line, line
    assert line.endswith("does --base-url end in /client/v4?") and outcome.stdout == ""
    assert received == [("GET", f"/client/v4/accounts/{OWNER}/pcaps/ownership")]  # one request, then the verdict
    assert json.loads(report.read_text())["exit_code"] == 2


def test_operations_answered_only_by_a_404_page_are_named_beside_the_violations_of_the_list(run_cli: Run) -> None:
    """The list answers (and breaks the contract: it ignores the credentials); every other route is a web server's
    404 page. The violations of the list are the verdict (exit 1); the operations never judged are named."""
    with serve_not_found("html", lists=True) as (origin, _):
        argv = ["--base-url", f"{origin}/client/v4", "--token", CANARY, "--account-id", OWNER]
        outcome = run_cli("check", *argv, "--seed", "1", *FAST)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    [note] = [line for line in outcome.stdout.splitlines() if line.startswith("note: could not judge ")]
    for operation in ("add_bucket", "delete_bucket", "validate_bucket"):
        assert f"{operation}: its " in note, note
    assert "answer(s) were all 404 without the API's envelope" in note and "list_buckets" not in note, note


def _add_is_no_route(exchange: Exchange) -> None:
    """Every add the credentials may make answers 404 in the envelope, as a server without that route would."""
    if exchange.operation == "add_bucket" and exchange.status in (200, 400):
        _fail(exchange, 404, 7000, "No route for that URI")


def _add_reaches_no_route(exchange: Exchange) -> None:
    """The mock refuses every add (400), so nothing is stored: a list showing a record of an add answered 404
    would be `failed_write_changes_nothing`'s to name."""
    if exchange.operation == "add_bucket":
        exchange.request_body = b"{}"


def test_a_served_target_whose_adds_never_create_anything_is_not_called_conforming(run_cli: Run) -> None:
    with serve_in_thread(Broken(_add_is_no_route, _add_reaches_no_route)) as origin:
        argv = ["--base-url", f"{origin}/client/v4", "--token", DEV_TOKEN, "--account-id", OWNER, "--account-id", OTHER]
        outcome = run_cli("check", *argv, "--seed", "1", *FAST)
    assert outcome.code == 2, outcome.stdout
    last = outcome.stdout.strip().splitlines()[-1]
    assert last.endswith(
        "could not judge: no add of the run answered 200 with an ownership, so the lifecycle "
        "(list, validate and delete after an add) judged nothing: does the target serve add_bucket?"
    )


def test_check_refuses_production_without_allow_production_and_plain_http_off_loopback(run_cli: Run) -> None:
    production = run_cli("check", "--base-url", "https://api.cloudflare.com/client/v4", "--token", CANARY)
    assert production.code == 2 and "--allow-production" in production.stderr
    remote = run_cli("check", "--base-url", "http://staging.example.com/client/v4", "--token", CANARY)
    assert remote.code == 2 and "plain http://" in remote.stderr


async def answers_ok_to_everything(scope: dict[str, object], receive: object, send: object) -> None:
    """An ASGI app that answers every request `200 text/plain ok`: broken in many ways on every operation."""
    assert callable(send) and scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_one_failing_check_never_hides_another_on_the_same_operation(run_cli: Run) -> None:
    app = "tests.cli.test_check:answers_ok_to_everything"
    outcome = run_cli("check", "--app", app, "--token", CANARY, "--account-id", OWNER, "--seed", "1", *FAST)
    assert outcome.code == 1, outcome.stdout[-3000:]
    header, *lines = outcome.stdout.split("\n\n")[1].splitlines()
    column = header.split().index("add_bucket")  # cells are two words: `ok N` / `FAIL N`, or `-`
    cells = {
        line.split()[0]: " ".join(line.split()[1:]).replace("ok ", "ok_").replace("FAIL ", "FAIL_").split()
        for line in lines
    }
    # Four defects of one operation, each reported: none stopped the others at its first failure.
    for check in ("content_type_conformance", "negative_data_rejection", "unsupported_method", "ignored_auth"):
        assert cells[check][column - 1].startswith("FAIL_"), (check, cells[check])


def test_a_spec_without_operations_is_refused_before_anything_runs(run_cli: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n", encoding="utf-8")
    outcome = run_cli("check", "--spec", str(empty))
    assert outcome.code == 2 and "declares no operations" in outcome.stderr, outcome.stderr
