"""`verify --report-dir`: the folder `check` writes (result.json, junit.xml, ctrf.json, report.html), no secret."""

from __future__ import annotations

import json
from pathlib import Path

from pcaps_contract.judge.checks import judges
from tests.cli.helpers import Run
from tests.cli.served import HAR_SECRET as SECRET
from tests.cli.served import har_of_a_broken_list


def test_verify_writes_the_report_folder_with_the_html_page(run_cli: Run, tmp_path: Path) -> None:
    har = har_of_a_broken_list(tmp_path / "browser.har")
    outcome = run_cli("verify", str(har), "--report-dir", str(tmp_path / "out"), "--report", str(tmp_path / "r.json"))
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    files = {path.name: path.read_text(encoding="utf-8") for path in (tmp_path / "out").iterdir()}
    assert sorted(files) == ["ctrf.json", "junit.xml", "report.html", "result.json"]
    assert all(SECRET not in text for text in files.values())
    assert json.loads(files["result.json"]) == json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    page = files["report.html"]
    assert 'data-operation="list_buckets" data-check="success_matches_status" data-state="failed"' in page
    assert 'id="failure-list_buckets-success_matches_status"' in page and "pcaps-contract verify" in page
    result = json.loads(files["result.json"])
    # The passive judge keeps to the operations each check declares; the command and the responses seen are there.
    judged = [entry for entry in result["results"] if entry["passed"] or entry["failed"]]
    assert judged and all(judges(entry["check"], entry["operation"]) for entry in judged)
    assert result["command"].startswith("pcaps-contract verify ") and "--report-dir" in result["command"]
    assert any(row["seen"] for row in result["coverage"] if row["operation"] == "list_buckets")
    assert json.loads(files["ctrf.json"])["results"]["summary"]["failed"] >= 1


def test_verify_with_nothing_to_judge_still_writes_the_folder_saying_why(run_cli: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.har"
    empty.write_text('{"log": {"version": "1.2", "entries": []}}', encoding="utf-8")
    outcome = run_cli("verify", str(empty), "--report-dir", str(tmp_path / "out"))
    assert outcome.code == 2 and "no exchange to judge" in outcome.stderr
    assert "no exchange to judge" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "out" / "result.json").read_text(encoding="utf-8"))["exit_code"] == 2
