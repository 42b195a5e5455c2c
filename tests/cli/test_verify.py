"""`verify` judges recorded traffic: a HAR written by `schemathesis run --report har` against a broken
implementation is named by the same checks as `check` names for it; a conforming recording passes; bad input is
one sentence and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import FAST, ROOT, Outcome, Run
from tests.cli.served import HAR_SECRET, har_of_a_broken_list, served_mock, served_variant, verify_text
from tests.gallery.broken import BREAKS, OTHER, OWNER

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SPEC = ROOT / "spec" / "pcaps-ownership.openapi.yaml"
TOKEN = "pcaps-contract-dev-token"
# One variant per kind of rule: a field's format, a header, the lifecycle across answers.
VARIANTS = ["submitted_with_space", "wrong_content_type", "created_not_listed"]


def record_har(base_url: str, path: Path) -> Path:
    """A HAR of a plain `schemathesis run` of the spec against the target (it cannot pin the account)."""
    done = subprocess.run(
        [
            *(str(SCHEMATHESIS), "run", str(SPEC), "--url", base_url, "-H", f"Authorization: Bearer {TOKEN}"),
            *("--max-examples", "5", "--seed", "1", "--report", "har", "--report-har-path", str(path)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=path.parent,
    )
    assert path.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    return path


def check_run(run_cli: Run, base_url: str) -> Outcome:
    accounts = ["--account-id", OWNER, "--account-id", OTHER]
    return run_cli("check", "--base-url", base_url, "--token", TOKEN, *accounts, "--seed", "1", *FAST)


@pytest.mark.parametrize("name", VARIANTS)
def test_verify_names_what_check_names_on_a_schemathesis_har(run_cli: Run, tmp_path: Path, name: str) -> None:
    with served_variant(name) as base_url:
        har = record_har(base_url, tmp_path / "run.har")
        checked = check_run(run_cli, base_url)
    verified = run_cli("verify", str(har))
    assert verified.code == 1, verified.stdout + verified.stderr
    assert BREAKS[name] in checked.failed_checks(), checked.stdout
    assert BREAKS[name] in verified.failed_checks(), verified.stdout
    # Whatever verify names from the recording, check names too (it also judges what only its own requests show).
    assert verified.failed_checks() <= checked.failed_checks(), (verified.failed_checks(), checked.failed_checks())


def test_verify_passes_a_har_of_the_correct_mock(run_cli: Run, tmp_path: Path) -> None:
    with served_mock() as base_url:
        har = record_har(base_url, tmp_path / "run.har")
    outcome = run_cli("verify", str(har), "--report", str(tmp_path / "result.json"))
    assert outcome.code == 0, outcome.stdout
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["conforms"] is True and result["exit_code"] == 0


def test_verify_writes_junit_and_json_without_secrets(run_cli: Run, tmp_path: Path) -> None:
    secret = HAR_SECRET
    har = har_of_a_broken_list(tmp_path / "browser.har")
    junit, report = tmp_path / "out" / "junit.xml", tmp_path / "out" / "result.json"
    outcome = run_cli("verify", str(har), "--junit-xml", str(junit), "--report", str(report))
    assert outcome.code == 1
    assert {"success_matches_status", "response_schema_conformance"} <= outcome.failed_checks()
    for text in (outcome.stdout, junit.read_text(encoding="utf-8"), report.read_text(encoding="utf-8")):
        assert secret not in text
    assert "$CLOUDFLARE_API_TOKEN" in outcome.stdout


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        ('{"log": {"version": "1.2", "entries": []}}', "no exchange to judge"),
        (
            json.dumps(
                {
                    "log": {
                        "entries": [
                            {
                                "startedDateTime": "2026-05-01T10:00:00Z",
                                "time": 1,
                                "request": {"method": "GET", "url": "https://example.com/zones", "headers": []},
                                "response": {"status": 200, "headers": [], "content": {"text": "{}"}},
                            }
                        ]
                    }
                }
            ),
            "no exchange of this API",
        ),
        ("not traffic", "neither a HAR file nor NDJSON"),
    ],
)
def test_verify_of_what_it_cannot_judge_is_one_sentence_and_exit_2(
    run_cli: Run, tmp_path: Path, content: str, sentence: str
) -> None:
    assert sentence in verify_text(run_cli, tmp_path, content).stderr


def test_verify_of_a_recording_against_a_base_url_without_client_v4_says_nothing_was_judged(
    run_cli: Run, tmp_path: Path
) -> None:
    with served_mock() as base_url:  # schemathesis aimed at the origin: the mock answers 404 in its envelope
        har = record_har(base_url.removesuffix("/client/v4"), tmp_path / "run.har")
    outcome = run_cli("verify", str(har), "--report-dir", str(tmp_path / "report"))
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    [line] = outcome.stderr.splitlines()
    assert line.startswith(f"error: {har}: every answer was 404 (") and line.count("?") == 1, line
    assert line.endswith("did the clients' base URL end in /client/v4?")
    assert json.loads((tmp_path / "report" / "result.json").read_text(encoding="utf-8"))["exit_code"] == 2


def test_verify_of_a_har_of_html_404s_says_nothing_was_judged(run_cli: Run, tmp_path: Path) -> None:
    entries = [
        {
            "startedDateTime": f"2026-05-01T10:00:0{index}Z",
            "time": 1,
            "request": {"method": method, "url": f"https://staging.example.com{path}", "headers": []},
            "response": {
                "status": 404,
                "headers": [{"name": "Content-Type", "value": "text/html"}],
                "content": {"text": "<html><body><h1>404 Not Found</h1></body></html>"},
            },
        }
        for index, (method, path) in enumerate(
            [
                ("GET", f"/accounts/{OWNER}/pcaps/ownership"),
                ("POST", f"/accounts/{OWNER}/pcaps/ownership"),
                ("DELETE", f"/accounts/{OWNER}/pcaps/ownership/{'0' * 32}"),
            ]
        )
    ]
    har = tmp_path / "browser.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}), encoding="utf-8")
    outcome = run_cli("verify", str(har))
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    [line] = outcome.stderr.splitlines()
    assert "every answer was 404 (3 exchange(s), 3 saying the URL is no route of the API)" in line, line
