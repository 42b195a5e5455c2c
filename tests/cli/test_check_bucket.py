"""`check --bucket`: the gate reads challenge files from a real bucket (moto's S3 server) and judges validation.

The mock is served on 127.0.0.1 with `--s3-endpoint`, so it writes each challenge into the bucket; the gate
reads it back through the S3 API, as a user would, and validates with its content over real sockets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from pcaps_contract._targets import MOCK_ACCOUNTS
from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import FAST, Run

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


def test_check_with_a_bucket_judges_validation_on_a_served_mock(run_cli: Run, s3_endpoint: str, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    junit = tmp_path / "junit.xml"
    with serve_in_thread(create_app(MockConfig(s3_endpoint=s3_endpoint, accounts=MOCK_ACCOUNTS))) as origin:
        outcome = run_cli(
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
            "--report",
            str(report),
            "--junit-xml",
            str(junit),
            *FAST,
        )
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    results = json.loads(report.read_text())
    cell = next(
        entry
        for entry in results["results"]
        if entry["check"] == "validation_sets_status" and entry["operation"] == "validate_bucket"
    )
    assert cell["status"] == "passed" and cell["passed"] > 0, cell
    assert "validation_sets_status" not in results["never_judged"]
    assert "validated_is_not_before_submitted" not in results["never_judged"]
    assert "never judged: validation_sets_status" not in outcome.stdout
    assert "no validation succeeded" not in junit.read_text()


def test_check_without_a_source_says_why_validation_was_never_judged(run_cli: Run, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with serve_in_thread(create_app(MockConfig(accounts=MOCK_ACCOUNTS[:1]))) as origin:
        base = ["check", "--base-url", f"{origin}/client/v4", "--token", DEV_TOKEN, "--account-id", MOCK_ACCOUNTS[0]]
        outcome = run_cli(*base, "--seed", "1", "--report", str(report), *FAST)
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
