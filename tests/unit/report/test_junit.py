"""The gate's JUnit XML as dashboards read it: applicable cells as testcases with their time, totals that match,
the run's metadata, and an error for a run that could not judge and for each ownership left behind."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pcaps_contract._credentials import Credentials
from pcaps_contract.engine.ownerships import Leftover
from pcaps_contract.fuzz.findings import Exemplar, Finding
from pcaps_contract.fuzz.report import Reporter
from pcaps_contract.fuzz.result import EXIT_LEFTOVERS, FuzzResult
from pcaps_contract.judge.ledger import Failure, Ledger, Step
from pcaps_contract.report.run_report import RunReport
from tests.junit import properties, read_dashboard_junit

TOKEN = "t0ken-5e1c0f"
OPERATIONS = ["add_bucket", "list_buckets"]
CHECKS = ["not_a_server_error", "success_matches_status", "no_content_has_empty_body", "tenancy_is_isolated"]


def _report(**fields: object) -> RunReport:
    ledger = Ledger(OPERATIONS, CHECKS)
    ledger.passed("add_bucket", "not_a_server_error", 0.25)
    ledger.passed("add_bucket", "not_a_server_error", 0.5)
    ledger.passed("list_buckets", "not_a_server_error", 0.125)
    step = Step("POST", f"http://t/client/v4/accounts/a/pcaps/ownership?k={TOKEN}", body='{"destination_conf": "x"}')
    ledger.failed(Failure("add_bucket", "success_matches_status", "`success: true`", "false", (step,)), 1.0)
    ledger.passed("add_bucket", "success_matches_status", 0.5)
    report = RunReport(
        "http://t/client/v4",
        7,
        "quick",
        ledger,
        Credentials(token=TOKEN),
        seconds=12.5,
        never_judged={"tenancy_is_isolated": "give two --account-id values the credentials can use"},
        started_at="2025-01-02T03:04:05Z",
        spec_sha256="ab" * 32,
    )
    for name, value in fields.items():
        setattr(report, name, value)
    return report


def _cases(root: object) -> dict[tuple[str, str], object]:
    from xml.etree import ElementTree

    assert isinstance(root, ElementTree.Element)
    return {(case.get("classname", ""), case.get("name", "")): case for case in root.iter("testcase")}


def test_only_cells_that_passed_or_failed_are_testcases_and_the_rest_are_counted(tmp_path: Path) -> None:
    _report().write_junit(tmp_path / "junit.xml")
    root = read_dashboard_junit(tmp_path / "junit.xml")
    assert set(_cases(root)) == {
        ("add_bucket", "not_a_server_error"),
        ("list_buckets", "not_a_server_error"),
        ("add_bucket", "success_matches_status"),
    }
    assert root.get("tests") == "3" and root.get("failures") == "1" and root.get("errors") == "0"
    assert root.get("skipped") == "0" and root.find(".//skipped") is None
    # no_content_has_empty_body judges delete_bucket alone: its two cells here are blank by design, counted nowhere
    assert properties(root)["not_applicable"] == str(len(OPERATIONS) * len(CHECKS) - 2 - 3)
    listing = root.findtext("testsuite/system-out") or ""
    assert "tenancy_is_isolated on every operation: give two --account-id values" in listing
    assert "no_content_has_empty_body" not in listing
    assert "success_matches_status on list_buckets" in listing


def test_each_testcase_takes_the_time_its_answers_took_and_the_suite_the_run(tmp_path: Path) -> None:
    _report().write_junit(tmp_path / "junit.xml")
    root = read_dashboard_junit(tmp_path / "junit.xml")
    cases = _cases(root)
    assert cases[("add_bucket", "not_a_server_error")].get("time") == "0.750"  # type: ignore[attr-defined]
    assert cases[("add_bucket", "success_matches_status")].get("time") == "1.500"  # type: ignore[attr-defined]
    assert root.get("time") == "12.500" and root.find("testsuite").get("time") == "12.500"  # type: ignore[union-attr]


def test_the_ledger_adds_time_side_by_side_without_losing_any() -> None:
    ledger = Ledger(["op"], ["check"])

    def record() -> None:
        for _ in range(1000):
            ledger.passed("op", "check", 0.001)

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cell = ledger.cells[("op", "check")]
    assert cell.passed == 4000 and cell.seconds == pytest.approx(4.0) and ledger.latest == "op"


def test_the_run_is_described_by_its_properties(tmp_path: Path) -> None:
    _report().write_junit(tmp_path / "junit.xml")
    found = properties(read_dashboard_junit(tmp_path / "junit.xml"))
    assert found["tool"].startswith("pcaps-contract ")
    assert found["spec_sha256"] == "ab" * 32 and found["target"] == "http://t/client/v4"
    assert found["profile"] == "quick" and found["seed"] == "7" and found["started_at"] == "2025-01-02T03:04:05Z"


def test_findings_are_failures_and_a_stop_and_leftovers_are_errors_side_by_side(tmp_path: Path) -> None:
    leftovers = [Leftover("a", "id-1", "delete answered 500"), Leftover("a", "id-2", "delete answered 500")]
    _report(error="the target stopped answering", leftovers=leftovers).write_junit(tmp_path / "junit.xml")
    root = read_dashboard_junit(tmp_path / "junit.xml")
    assert root.get("failures") == "1" and root.get("errors") == "3" and root.get("tests") == "6"
    errors = {case.get("name"): case.find("error") for case in root.iter("testcase") if case.find("error") is not None}
    judged = errors["the run judges the target"]
    assert judged is not None and judged.get("message") == "the target stopped answering"
    left = errors["ownership id-2 is deleted"]
    assert left is not None and "id-2 of account a (delete answered 500)" in (left.get("message") or "")


def test_no_secret_reaches_the_junit_and_the_failure_keeps_its_reproduction(tmp_path: Path) -> None:
    _report().write_junit(tmp_path / "junit.xml")
    text = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert TOKEN not in text and "$CLOUDFLARE_API_TOKEN" in text
    failure = read_dashboard_junit(tmp_path / "junit.xml").find(".//failure")
    assert failure is not None and failure.get("message") == "Expected: `success: true` / Received: false"
    assert "curl -X POST" in (failure.text or "")


def _fuzz_result(**fields: object) -> FuzzResult:
    exemplar = Exemplar("add_bucket", "POST", "http://t/client/v4/accounts/a/pcaps/ownership", body="{}", status=500)
    finding = Finding("add_bucket", "not_a_server_error", "status 500", "a status below 500", "status 500", exemplar)
    result = FuzzResult(
        target="http://t/client/v4",
        accounts=["a"],
        seed=1,
        operations=["add_bucket", "list_buckets"],
        budget="1m",
        rate="20/s",
        workers=1,
        started_at="2025-01-02T03:04:05Z",
        seconds=60.0,
        stop_reason="the budget was used",
        passes={"list_buckets not_a_server_error": 5},
        findings=[finding],
        leftovers=[Leftover("a", "id-9", "delete answered 500")],
    )
    for name, value in fields.items():
        setattr(result, name, value)
    return result


def test_a_fuzz_run_with_findings_and_leftovers_says_both_and_exits_3(tmp_path: Path) -> None:
    result = _fuzz_result()
    assert result.exit_code() == EXIT_LEFTOVERS
    assert result.verdict() == (
        "1 new finding(s); 1 ownership(s) could not be deleted: remove them by hand (ids above)"
    )
    Reporter(result, Credentials(token=TOKEN)).run_report().write_junit(tmp_path / "junit.xml")
    root = read_dashboard_junit(tmp_path / "junit.xml")
    assert root.get("failures") == "1" and root.get("errors") == "1" and root.get("tests") == "3"


def test_the_fuzz_verdict_still_says_each_outcome_alone() -> None:
    assert _fuzz_result(leftovers=[]).verdict() == "1 new finding(s)"
    assert _fuzz_result(findings=[]).verdict() == (
        "1 ownership(s) could not be deleted: remove them by hand (ids above)"
    )
    crashed = _fuzz_result(leftovers=[], findings=[], crashed=True, stop_reason="a check crashed: boom")
    assert crashed.verdict() == "the run stopped early: a check crashed: boom"
    assert _fuzz_result(leftovers=[], interrupted=True).verdict() == "interrupted; 1 new finding(s)"
    assert _fuzz_result(leftovers=[], findings=[]).verdict() == "0 new finding(s)"
