"""`check --bucket`: the gate reads challenge files from a real bucket (moto's S3 server) and judges validation.

The mock is served on 127.0.0.1 with `--s3-endpoint`, so it writes each challenge into the bucket; the gate
reads it back through the S3 API, as a user would, and validates with its content over real sockets.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from pcaps_contract._targets import MOCK_ACCOUNTS
from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import FAST, Outcome, Run
from tests.gallery.broken import Broken, _on_records

BUCKET = "s3://pcaps-test?region=us-east-1"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 holding an empty bucket `pcaps-test`; keys in the standard variables."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "pcaps-test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "pcaps-test-secret")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket="pcaps-test")
        yield endpoint
    finally:
        server.stop()


def _accounts() -> list[str]:
    return [flag for account in MOCK_ACCOUNTS for flag in ("--account-id", account)]


def _check_with_bucket(run_cli: Run, origin: str, s3_endpoint: str, *extra: str) -> Outcome:
    return run_cli(
        "check",
        "--base-url",
        f"{origin}/client/v4",
        "--token",
        DEV_TOKEN,
        *_accounts(),
        "--bucket",
        BUCKET,
        "--s3-endpoint",
        s3_endpoint,
        "--seed",
        "1",
        *extra,
        *FAST,
    )


def _cell(report: Path, operation: str, check: str) -> dict[str, Any]:
    """The report's cell of one operation x check."""
    results = json.loads(report.read_text())["results"]
    return next(entry for entry in results if (entry["operation"], entry["check"]) == (operation, check))


def test_check_with_a_bucket_judges_validation_on_a_served_mock(run_cli: Run, s3_endpoint: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    with serve_in_thread(create_app(MockConfig(s3_endpoint=s3_endpoint, accounts=MOCK_ACCOUNTS))) as origin:
        outcome = _check_with_bucket(run_cli, origin, s3_endpoint, "--report", str(report), "--junit-xml", str(junit))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    results = json.loads(report.read_text())
    cell = _cell(report, "validate_bucket", "validation_sets_status")
    assert cell["status"] == "passed" and cell["passed"] > 0, cell
    delivered = _cell(report, "add_bucket", "challenge_file_is_delivered")
    assert delivered["status"] == "passed" and delivered["passed"] > 0, delivered
    assert "validation_sets_status" not in results["never_judged"]
    assert "validated_is_not_before_submitted" not in results["never_judged"]
    assert "never judged: validation_sets_status" not in outcome.stdout
    assert "no validation succeeded" not in junit.read_text()


def test_check_without_a_source_says_why_validation_was_never_judged(run_cli: Run, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with serve_in_thread(create_app(MockConfig(accounts=MOCK_ACCOUNTS[:1]))) as origin:
        base = ["check", "--base-url", f"{origin}/client/v4", "--token", DEV_TOKEN, "--account-id", MOCK_ACCOUNTS[0]]
        outcome = run_cli(*base, "--seed", "1", "--report", str(report), "--verbose", *FAST)
        strict = run_cli(*base, "--seed", "1", "--require-all", *FAST)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    never = json.loads(report.read_text())["never_judged"]
    assert "give --bucket" in never["validated_is_not_before_submitted"]
    assert "give --bucket" in never["validation_sets_status"]
    assert "two --account-id" in never["foreign_ownership_is_not_listed"]
    assert "note: never judged: validated_is_not_before_submitted: no validation succeeded" in outcome.stdout
    assert strict.code == 2, strict.stdout
    assert "--require-all" in strict.stdout


def test_a_bucket_that_is_no_s3_or_r2_uri_is_refused_before_anything_is_sent(run_cli: Run) -> None:
    outcome = run_cli("check", "--bucket", "gs://pcaps-test", *FAST)
    assert outcome.code == 2
    assert "--bucket" in outcome.stdout + outcome.stderr
    outcome = run_cli("check", "--s3-endpoint", "http://127.0.0.1:9", *FAST)
    assert outcome.code == 2
    assert "--bucket" in outcome.stdout + outcome.stderr


class _Recorder:
    """An ASGI app in front of another that keeps the method and path of every request it passes on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


def _elsewhere(record: dict[str, Any]) -> None:
    """Every answer names the challenge file under another name than the one the mock wrote it under."""
    if isinstance(record.get("filename"), str):
        record["filename"] = "elsewhere-" + record["filename"]


def test_a_challenge_file_that_never_reaches_the_bucket_fails_challenge_file_is_delivered(
    run_cli: Run, s3_endpoint: str, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    # The mock writes each file under the name it chose; its answers name another: that file never appears.
    app = Broken(_on_records(_elsewhere), config=MockConfig(s3_endpoint=s3_endpoint, accounts=MOCK_ACCOUNTS))
    with serve_in_thread(app) as origin:
        outcome = _check_with_bucket(run_cli, origin, s3_endpoint, "--challenge-wait", "1", "--report", str(report))
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert "challenge_file_is_delivered" in outcome.failed_checks()
    assert "no such file in the bucket 1s after the add" in outcome.stdout
    cell = _cell(report, "add_bucket", "challenge_file_is_delivered")
    assert cell["status"] == "failed", cell
    assert "a challenge could not be read" not in outcome.stdout  # a contract matter now, not a reading problem


@pytest.mark.parametrize("wrong", ["endpoint", "bucket"])
def test_a_bucket_the_run_cannot_read_stops_it_in_one_sentence_before_anything_is_written(
    run_cli: Run, s3_endpoint: str, wrong: str
) -> None:
    app = _Recorder(create_app(MockConfig(s3_endpoint=s3_endpoint, accounts=MOCK_ACCOUNTS)))
    endpoint = f"http://127.0.0.1:{_closed_port()}" if wrong == "endpoint" else s3_endpoint
    bucket = BUCKET if wrong == "endpoint" else "s3://no-such-bucket?region=us-east-1"
    with serve_in_thread(app) as origin:
        base = ["check", "--base-url", f"{origin}/client/v4", "--token", DEV_TOKEN, *_accounts()]
        outcome = run_cli(*base, "--bucket", bucket, "--s3-endpoint", endpoint, "--seed", "1", *FAST)
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    [line] = outcome.stderr.strip().splitlines()
    said = "cannot be reached" if wrong == "endpoint" else "cannot be read at"
    assert line.startswith("error: --bucket ") and said in line, line
    assert app.requests == []  # stopped before the preflight: nothing sent to the target, let alone written
    assert outcome.stdout == ""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
