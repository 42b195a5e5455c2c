"""`check --bucket`: the gate reads challenge files from a real bucket (moto's S3 server) and judges validation.

The mock (or the independent peer) is served on 127.0.0.1 with `--s3-endpoint`, so it writes each challenge into
the bucket; the gate reads it back through the S3 API, as a user would, and validates with its content over real
sockets: success with the delivered challenge, the record's later views agreeing, a `pending` waited out within
`--validation-wait`. Without a bucket, a served mock hands its challenges out on its development-only route.
"""

from __future__ import annotations

import html
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from pcaps_contract.engine.targets import MOCK_ACCOUNTS
from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._app import CHALLENGE_HEADER
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import FAST, Outcome, Run
from tests.gallery.broken import Broken, _on_records
from tests.peers.server import BUCKET_DEFECTS, PEER_ACCOUNTS, serve_peer

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


def _check_with_bucket(
    run_cli: Run, origin: str, s3_endpoint: str, *extra: str, token: str = DEV_TOKEN, seed: int = 1
) -> Outcome:
    """`check` of the server at `origin` (its API under /client/v4) with the moto bucket."""
    return run_cli(
        "check",
        "--base-url",
        f"{origin}/client/v4",
        "--token",
        token,
        *_accounts(),
        "--bucket",
        BUCKET,
        "--s3-endpoint",
        s3_endpoint,
        "--seed",
        str(seed),
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
    """A target that is not the mock (the peer) and no --bucket: the run cannot know a challenge."""
    report = tmp_path / "report.json"
    with serve_peer(accounts=PEER_ACCOUNTS[:1]) as (base_url, _):
        base = ["check", "--base-url", base_url, "--token", "peer-token", "--account-id", PEER_ACCOUNTS[0]]
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
    """An ASGI app in front of another that keeps the method and path of every request it passes on, and the
    paths of those that carried credentials; `advertise=False` drops the mock's challenge header from every
    answer, as any server that is not the mock answers, and `route` puts another value in it."""

    def __init__(self, app: Any, *, advertise: bool = True, route: str | None = None) -> None:
        self.app = app
        self.advertise = advertise
        self.route = route
        self.requests: list[tuple[str, str]] = []
        self.credentialed: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests.append((scope["method"], scope["path"]))
        if {name.lower() for name, _ in scope["headers"]} & {b"authorization", b"x-auth-key", b"x-auth-email"}:
            self.credentialed.append(scope["path"])

        async def answer(message: Any) -> None:
            if message["type"] == "http.response.start" and not self.advertise:
                kept = [
                    (name, value) for name, value in message["headers"] if name.lower() != CHALLENGE_HEADER.encode()
                ]
                if self.route is not None:
                    kept.append((CHALLENGE_HEADER.encode(), self.route.encode()))
                message = {**message, "headers": kept}
            await send(message)

        await self.app(scope, receive, answer)


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


def _check(run_cli: Run, origin: str, *extra: str) -> Outcome:
    """`check` of the server at `origin` without a bucket."""
    base = ["check", "--base-url", f"{origin}/client/v4", "--token", DEV_TOKEN, *_accounts(), "--seed", "1"]
    return run_cli(*base, *extra, *FAST)


def test_check_against_a_served_mock_judges_validation_with_the_challenges_it_hands_out(
    run_cli: Run, tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    app = _Recorder(create_app(MockConfig(accounts=MOCK_ACCOUNTS)))
    with serve_in_thread(app) as origin:
        outcome = _check(run_cli, origin, "--report", str(report))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    cell = _cell(report, "validate_bucket", "validation_sets_status")
    assert cell["status"] == "passed" and cell["passed"] > 0, cell
    never = json.loads(report.read_text())["never_judged"]
    assert "validation_sets_status" not in never and "validated_is_not_before_submitted" not in never, never
    read = [path for _, path in app.requests if path.startswith("/__mock__/")]
    assert read, app.requests
    assert not [path for path in app.credentialed if not path.startswith("/client/v4/")]  # the token stays home


@pytest.mark.parametrize("route", [None, "/__mock__/elsewhere/{account_id}/{ownership_id}", "/client/v4/x"])
def test_a_target_that_does_not_advertise_the_mock_s_route_gets_no_request_off_the_api(
    run_cli: Run, tmp_path: Path, route: str | None
) -> None:
    """No header, or one naming any other route: the run reads no challenge and sends nothing outside the API."""
    report = tmp_path / "report.json"
    app = _Recorder(create_app(MockConfig(accounts=MOCK_ACCOUNTS)), advertise=False, route=route)
    with serve_in_thread(app) as origin:
        outcome = _check(run_cli, origin, "--report", str(report))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert app.requests and all(path.startswith("/client/v4/") for _, path in app.requests), app.requests
    assert "/client/v4/x" not in {path for _, path in app.requests}
    assert "give --bucket" in json.loads(report.read_text())["never_judged"]["validation_sets_status"]


@pytest.mark.parametrize("seed", range(1, 4))  # 10 seeds and the soak's in BENCHMARKS.md
def test_a_validation_pending_first_and_success_later_passes(
    run_cli: Run, s3_endpoint: str, tmp_path: Path, seed: int
) -> None:
    """The peer verifies in the background: validate answers `pending`, a later list shows `success`."""
    report = tmp_path / "report.json"
    with serve_peer(variant="settles_later", s3_endpoint=s3_endpoint) as (base_url, peer):
        origin = base_url.removesuffix("/client/v4")
        outcome = _check_with_bucket(
            run_cli, origin, s3_endpoint, "--report", str(report), token="peer-token", seed=seed
        )
        leftovers = peer.leftovers()
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "validation_sets_status" not in json.loads(report.read_text())["never_judged"]
    settled = _cell(report, "list_buckets", "validation_sets_status")
    assert settled["status"] == "passed", settled  # judged on the list that showed the record settled
    assert leftovers == 0


@pytest.mark.parametrize("defect", sorted(BUCKET_DEFECTS))
def test_check_with_a_bucket_names_the_validation_flow_s_defect(run_cli: Run, s3_endpoint: str, defect: str) -> None:
    with serve_peer(defects={defect}, s3_endpoint=s3_endpoint) as (base_url, _):
        origin = base_url.removesuffix("/client/v4")
        outcome = _check_with_bucket(run_cli, origin, s3_endpoint, token="peer-token")
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert BUCKET_DEFECTS[defect] in outcome.failed_checks(), outcome.stdout


def test_a_validation_that_stays_pending_is_named_not_judged_never_passed(
    run_cli: Run, s3_endpoint: str, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    with serve_peer(defects={"validation_keeps_pending"}, s3_endpoint=s3_endpoint) as (base_url, _):
        origin = base_url.removesuffix("/client/v4")
        extra = ("--validation-wait", "3", "--report-dir", str(reports))
        outcome = _check_with_bucket(run_cli, origin, s3_endpoint, *extra, token="peer-token")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    said = "stayed `pending` for 3s (--validation-wait)"
    result = json.loads((reports / "result.json").read_text())
    assert said in result["never_judged"]["validation_sets_status"], result["never_judged"]
    assert said in outcome.stdout
    assert said in (reports / "junit.xml").read_text()
    assert said in html.unescape((reports / "report.html").read_text())
