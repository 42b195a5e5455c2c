"""`compare --replay`: traffic recorded through `proxy` in front of the served mock, replayed against a target.

Against another served mock it diverges nowhere; against a defect of the independent peer, where the defect shows.
Writes are replayed only with --allow-writes; the target's own credentials and accounts are used, never the recorded.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import Outcome, Run, cli_runner
from tests.cli.served import served_mock
from tests.cli.test_proxy import proxy
from tests.compare.test_compare_cli import DIVERGENCE_LINE, PEER_SECRET
from tests.peers.server import PEER_ACCOUNTS, serve_peer

pytestmark = pytest.mark.sockets  # compare served or in a process, over 127.0.0.1

S3, GS = "s3://pcaps-replayed?region=us-east-1", "gs://pcaps-replayed/captures"


def session(base: str) -> None:
    """A client's session: list, two adds, list, a validation, a delete twice, list, a refused add."""
    owner = PEER_ACCOUNTS[0]
    path = f"/accounts/{owner}/pcaps/ownership"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {DEV_TOKEN}"}, timeout=30) as client:
        client.get(path)
        first = client.post(path, json={"destination_conf": S3}).json()["result"]
        client.post(path, json={"destination_conf": GS})
        client.get(path)
        client.post(f"{path}/validate", json={"destination_conf": S3, "ownership_challenge": "0" * 32})
        client.delete(f"{path}/{first['id']}")
        client.delete(f"{path}/{first['id']}")
        client.get(path)
        client.post(path, json={})


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("recorded")
    with serve_in_thread(create_app(MockConfig())) as mock, proxy(f"{mock}/client/v4", folder) as running:
        session(running.url + "/client/v4")
        running.stop()
    return folder / "exchanges.ndjson"


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Run:
    run = cli_runner(monkeypatch)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", PEER_ACCOUNTS[0])
    return run


def replay(run_cli: Run, recording: Path, target: str, *extra: str) -> Outcome:
    return run_cli("compare", "--replay", str(recording), "--base-url", target, *extra)


def test_a_recording_replayed_against_the_same_implementation_does_not_diverge(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, recording: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEV_TOKEN)
    with served_mock() as target:
        outcome = replay(run_cli, recording, target, "--allow-writes", "--report-dir", str(tmp_path))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["mode"] == "replay" and result["cases"] == 9 and result["skipped"] == []


def test_without_allow_writes_only_the_reads_are_replayed_and_the_writes_counted(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, recording: Path
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEV_TOKEN)
    with served_mock() as target:
        outcome = replay(run_cli, recording, target)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "6 recorded write(s) (POST, DELETE) skipped: give --allow-writes" in outcome.stdout


def test_a_recording_replayed_against_a_defective_implementation_diverges_where_the_defect_shows(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, recording: Path
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", PEER_SECRET)
    with serve_peer(token=PEER_SECRET, defects={"destination_conf_query_dropped"}) as (target, peer):
        outcome = replay(run_cli, recording, target, "--allow-writes")
        held = [record for records in peer.store.values() for record in records]
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    found = set(DIVERGENCE_LINE.findall(outcome.stdout))
    assert {("add_bucket", "result.destination_conf"), ("add_bucket", "destination_conf_is_echoed")} <= found
    assert "side target breaks the contract here" in outcome.stdout  # the recording, judged too, kept it
    assert held == []  # the replay's records were deleted
    assert PEER_SECRET not in outcome.stdout + outcome.stderr
