"""`proxy` end to end: the command in a subprocess in front of a served implementation, real clients through it.

The official SDK through the proxy in front of the mock keeps the contract; in front of a broken gallery variant or
a defect of the independent peer, the right check is printed live, before the proxy is stopped; Ctrl-C and SIGTERM
write the reports, and what the client receives is what the upstream sent, byte for byte.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import cloudflare
import httpx
import pytest
from cloudflare import Cloudflare

from pcaps_contract.judge.checks import judges
from pcaps_contract.mock import DEV_API_KEY, DEV_EMAIL, DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import ROOT, Outcome
from tests.cli.served import serve_not_found
from tests.gallery import broken
from tests.gallery.broken import BREAKS, OTHER, OWNER
from tests.peers.server import DEFECTS, PEER_ACCOUNTS, serve_peer

S3, GS = "s3://pcaps-bucket?region=us-east-1", "gs://pcaps-other"
CHECK_LINE = re.compile(r"^VIOLATION (\w+) on (\w+)$", re.MULTILINE)


@dataclass
class Proxy:
    """A running `pcaps-contract proxy` and what it printed so far."""

    url: str
    process: subprocess.Popen[str]
    out: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    def named(self) -> set[str]:
        return {found[0] for found in CHECK_LINE.findall(self.stdout)}

    def wait_for(self, check: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check in self.named():
                return True
            time.sleep(0.05)
        return False

    def stop(self, signum: int = signal.SIGINT) -> Outcome:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=60)
        if self.reader is not None:
            self.reader.join(timeout=10)
        assert self.process.stderr is not None
        return Outcome(code, self.stdout, self.process.stderr.read())


@contextmanager
def proxy(upstream: str, report_dir: Path | None = None) -> Iterator[Proxy]:
    """The command in a subprocess on a free port of 127.0.0.1, with no Cloudflare variables set."""
    running: Proxy | None = None
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDFLARE_")}
    command = [sys.executable, "-m", "pcaps_contract._cli", "proxy", "--upstream", upstream, "--port", "0"]
    if report_dir is not None:
        command += ["--report-dir", str(report_dir)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    ) as process:
        try:
            assert process.stderr is not None and process.stdout is not None
            banner = process.stderr.readline()
            found = re.match(r"proxy: (http://127\.0\.0\.1:\d+) -> ", banner)
            assert found, banner + process.stderr.read()
            running = Proxy(found[1], process)
            stdout = process.stdout

            def read() -> None:
                for line in stdout:
                    running.out.append(line)

            running.reader = threading.Thread(target=read, daemon=True)
            running.reader.start()
            yield running
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
            if running is not None and running.reader is not None:
                running.reader.join(timeout=10)


def sdk_session(client: Cloudflare, owner: str, other: str, challenge: str | None = None) -> None:
    """What an SDK user does: list, add in two accounts, list, validate, delete (twice), list again."""
    ownership = client.magic_transit.pcaps.ownership
    list(ownership.get(account_id=owner))
    created = ownership.create(account_id=owner, destination_conf=S3)
    list(ownership.get(account_id=owner))
    ownership.create(account_id=other, destination_conf=GS)
    list(ownership.get(account_id=other))
    ownership.validate(account_id=owner, destination_conf=S3, ownership_challenge=challenge or created.filename)
    with suppress(cloudflare.APIStatusError):
        ownership.delete(created.id, account_id=other)  # someone trying another account's id: refused
    with suppress(cloudflare.APIStatusError):
        ownership.delete(created.id, account_id=owner)
    list(ownership.get(account_id=owner))
    with suppress(cloudflare.APIStatusError):
        ownership.delete(created.id, account_id=owner)  # a retry after a lost answer: 404
    list(ownership.get(account_id=owner))


def test_the_official_sdk_through_the_proxy_in_front_of_the_mock_keeps_the_contract(tmp_path: Path) -> None:
    with serve_in_thread(create_app(MockConfig())) as mock, proxy(f"{mock}/client/v4", tmp_path / "report") as running:
        base = f"{running.url}/client/v4"
        with Cloudflare(base_url=base, api_token=DEV_TOKEN, max_retries=0) as client:
            sdk_session(client, OWNER, OTHER)
        with Cloudflare(base_url=base, api_email=DEV_EMAIL, api_key=DEV_API_KEY, max_retries=0) as client:
            sdk_session(client, "a" * 32, "b" * 32)
        outcome = running.stop()
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "VIOLATION" not in outcome.stdout
    report = tmp_path / "report"
    result = json.loads((report / "result.json").read_text(encoding="utf-8"))
    assert result["conforms"] is True
    judged = {cell["check"] for cell in result["results"] if cell["status"] == "passed"}
    assert {"created_ownership_is_listed", "deleted_ownership_is_not_listed", "second_delete_is_not_found"} <= judged
    assert {"foreign_ownership_is_not_listed", "foreign_ownership_is_not_deleted"} <= judged
    recording = (report / "exchanges.ndjson").read_text(encoding="utf-8")
    assert len(recording.splitlines()) == 2 * 11
    events = [json.loads(line)["event"] for line in (report / "events.ndjson").read_text(encoding="utf-8").splitlines()]
    assert events == ["run_started", "run_finished"]
    for path in report.iterdir():
        text = path.read_text(encoding="utf-8")
        assert DEV_TOKEN not in text and DEV_API_KEY not in text and DEV_EMAIL not in text, path
    assert "Bearer $CLOUDFLARE_API_TOKEN" in recording and "$CLOUDFLARE_API_KEY" in recording


PROXIED_VARIANTS = [
    "created_not_listed",
    "deleted_still_listed",
    "second_delete_answers_204",
    "validate_returns_another_id",
    "accounts_share_one_store",
    "delete_ignores_account",
    "submitted_with_space",
]


@pytest.mark.parametrize("name", PROXIED_VARIANTS)
def test_the_proxy_names_a_broken_implementation_live(tmp_path: Path, name: str) -> None:
    with serve_in_thread(getattr(broken, name)) as upstream, proxy(f"{upstream}/client/v4", tmp_path) as running:
        with Cloudflare(base_url=f"{running.url}/client/v4", api_token=DEV_TOKEN, max_retries=0) as client:
            sdk_session(client, OWNER, OTHER)
        assert running.wait_for(BREAKS[name]), running.stdout  # printed while the proxy still runs
        outcome = running.stop(signal.SIGTERM)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert "Expected:" in outcome.stdout and "curl -X " in outcome.stdout
    assert "Authorization: Bearer $CLOUDFLARE_API_TOKEN" in outcome.stdout and DEV_TOKEN not in outcome.stdout
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert BREAKS[name] in {cell["check"] for cell in result["results"] if cell["status"] == "failed"}
    assert f'name="{BREAKS[name]}"' in (tmp_path / "junit.xml").read_text(encoding="utf-8")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'data-check="{BREAKS[name]}" data-state="failed"' in page and DEV_TOKEN not in page
    log = (tmp_path / "events.ndjson").read_text(encoding="utf-8")
    events = [json.loads(line) for line in log.splitlines()]
    assert events[0]["event"] == "run_started" and events[-1]["event"] == "run_finished"
    assert events[-1]["exit_code"] == 1 and DEV_TOKEN not in log
    # The whole command line, the same at the start of the log as in the report; the passive judge keeps to
    # the operations each check declares; ctrf.json fails the broken check too.
    assert events[0]["command"] == result["command"] and result["command"].startswith("pcaps-contract proxy ")
    judged = [cell for cell in result["results"] if cell["passed"] or cell["failed"]]
    assert judged and all(judges(cell["check"], cell["operation"]) for cell in judged)
    ctrf = json.loads((tmp_path / "ctrf.json").read_text(encoding="utf-8"))
    assert BREAKS[name] in {test["extra"]["check"] for test in ctrf["results"]["tests"] if test["status"] == "failed"}
    assert BREAKS[name] in {event["check"] for event in events if event["event"] == "failure"}


def peer_session(base: str) -> None:
    """The same session over plain httpx, as any client of the peer (with its own token) would send it."""
    owner, other = PEER_ACCOUNTS
    # A generous timeout: the box these tests run on may be shared with other suites.
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer peer-token"}, timeout=30) as client:
        client.get(f"/accounts/{owner}/pcaps/ownership")
        created = client.post(f"/accounts/{owner}/pcaps/ownership", json={"destination_conf": S3}).json()["result"]
        client.get(f"/accounts/{owner}/pcaps/ownership")
        client.post(f"/accounts/{other}/pcaps/ownership", json={"destination_conf": GS})
        client.get(f"/accounts/{other}/pcaps/ownership")
        client.post(
            f"/accounts/{owner}/pcaps/ownership/validate",
            json={"destination_conf": S3, "ownership_challenge": created["filename"]},
        )
        client.get(f"/accounts/{owner}/pcaps/ownership")
        client.delete(f"/accounts/{other}/pcaps/ownership/{created['id']}")
        client.delete(f"/accounts/{owner}/pcaps/ownership/{created['id']}")
        client.get(f"/accounts/{owner}/pcaps/ownership")
        client.delete(f"/accounts/{owner}/pcaps/ownership/{created['id']}")
        client.post(f"/accounts/{owner}/pcaps/ownership", json={})  # a client's mistake: the peer refuses it


PROXIED_DEFECTS = [
    "list_merges_accounts",
    "delete_remembers_tombstones",
    "list_cache_kept_after_delete",
    "list_served_as_text_plain",
    "error_code_is_http_status",
    "submitted_is_str_of_datetime",
]


@pytest.mark.parametrize("defect", PROXIED_DEFECTS)
def test_the_proxy_names_a_defect_of_the_independent_implementation(defect: str) -> None:
    with serve_peer(defects={defect}) as (base_url, _), proxy(base_url) as running:
        peer_session(f"{running.url}/client/v4")
        assert running.wait_for(DEFECTS[defect]), running.stdout
        outcome = running.stop()
    assert outcome.code == 1, outcome.stdout + outcome.stderr


@pytest.mark.parametrize("variant", [None, "gzip", "charset", "fractions"])
def test_the_proxy_passes_the_correct_independent_implementation(variant: str | None) -> None:
    with serve_peer(variant=variant) as (base_url, _), proxy(base_url) as running:
        peer_session(f"{running.url}/client/v4")
        outcome = running.stop()
    assert outcome.code == 0, outcome.stdout + outcome.stderr


def test_the_client_receives_what_the_upstream_sent_byte_for_byte() -> None:
    owner = PEER_ACCOUNTS[0]
    headers = {"Authorization": "Bearer peer-token", "Accept-Encoding": "gzip"}

    def fetch(base: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        with (
            httpx.Client(headers=headers) as client,
            client.stream("GET", f"{base}/accounts/{owner}/pcaps/ownership") as answer,
        ):
            raw = b"".join(answer.iter_raw())
            # Header names compared without case: ASGI servers write them in lower case (HTTP ignores it).
            kept = [(key.lower(), value) for key, value in answer.headers.raw if key.lower() != b"date"]
            return answer.status_code, kept, raw

    with serve_peer(variant="gzip") as (base_url, _), proxy(base_url) as running:
        with httpx.Client(headers=headers) as client:
            client.post(f"{base_url}/accounts/{owner}/pcaps/ownership", json={"destination_conf": S3})
        direct, proxied = fetch(base_url), fetch(f"{running.url}/client/v4")
        running.stop()
    assert (b"content-encoding", b"gzip") in direct[1]
    # The same headers, and the gzip bytes as the peer wrote them (gzip stamps each answer with its second, so the
    # two answers are compared inflated; the proxied body is still the peer's gzip, of the length it announced).
    assert proxied[:2] == direct[:2]
    assert proxied[2][:2] == b"\x1f\x8b" and (b"content-length", str(len(proxied[2])).encode()) in proxied[1]
    assert gzip.decompress(proxied[2]) == gzip.decompress(direct[2])


@pytest.mark.parametrize(
    ("upstream", "sentence"),
    [
        ("http://staging.example.com/client/v4", "refusing to send credentials over plain http://"),
        ("https://user@staging.example.com/client/v4", "carries a user name"),
    ],
)
def test_an_unsafe_upstream_is_refused_in_one_sentence(upstream: str, sentence: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pcaps_contract._cli", "proxy", "--upstream", upstream, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert sentence in done.stderr and "Traceback" not in done.stderr


def test_clients_that_forgot_client_v4_leave_the_proxy_with_nothing_judged_in_one_sentence(tmp_path: Path) -> None:
    # The mock answers 404 in its envelope outside /client/v4: no answer of the traffic is one of the API's.
    with serve_in_thread(create_app(MockConfig())) as mock, proxy(f"{mock}/client/v4", tmp_path) as running:
        with Cloudflare(base_url=running.url, api_token=DEV_TOKEN, max_retries=0) as client:
            ownership = client.magic_transit.pcaps.ownership
            for call in (
                lambda: list(ownership.get(account_id=OWNER)),
                lambda: ownership.create(account_id=OWNER, destination_conf=S3),
            ):
                with pytest.raises(cloudflare.NotFoundError):
                    call()
        outcome = running.stop()
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    last = outcome.stderr.strip().splitlines()[-1]
    assert last.startswith("error: nothing judged: every answer was 404 (2 exchange(s)"), last
    assert last.endswith("did the clients' base URL end in /client/v4?") and last.count("?") == 1
    assert json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))["exit_code"] == 2


@pytest.mark.parametrize("kind", ["html", "plain"])
def test_an_upstream_that_answers_404_to_everything_leaves_the_proxy_with_nothing_judged(kind: str) -> None:
    with serve_not_found(kind) as (origin, received), proxy(f"{origin}/client/v4") as running:
        with httpx.Client(base_url=f"{running.url}/client/v4", headers={"Authorization": "Bearer x"}) as client:
            assert client.get(f"/accounts/{OWNER}/pcaps/ownership").status_code == 404
            assert client.post(f"/accounts/{OWNER}/pcaps/ownership", json={"destination_conf": S3}).status_code == 404
            assert client.delete(f"/accounts/{OWNER}/pcaps/ownership/{'0' * 32}").status_code == 404
        outcome = running.stop()
    assert len(received) == 3
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    last = outcome.stderr.strip().splitlines()[-1]
    assert "every answer was 404 (3 exchange(s), 3 saying the URL is no route of the API)" in last, last
    assert last.endswith("did the clients' base URL end in /client/v4?")


def paging_session(base: str, pages: int = 2) -> None:
    """A client reading the owner's three records two a page, `pages` pages in order, then deleting them."""
    owner = PEER_ACCOUNTS[0]
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer peer-token"}, timeout=30) as client:
        ids = [
            client.post(f"/accounts/{owner}/pcaps/ownership", json={"destination_conf": S3}).json()["result"]["id"]
            for _ in range(3)
        ]
        client.get(f"/accounts/{owner}/pcaps/ownership", params={"per_page": 2})
        for page in range(2, pages + 1):
            client.get(f"/accounts/{owner}/pcaps/ownership", params={"page": page, "per_page": 2})
        for ownership_id in ids:
            client.delete(f"/accounts/{owner}/pcaps/ownership/{ownership_id}")


def test_the_proxy_judges_the_pages_of_a_listing_together() -> None:
    with serve_peer(variant="paging") as (base_url, _), proxy(base_url) as running:
        paging_session(f"{running.url}/client/v4")
        outcome = running.stop()
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert re.search(r"pages_deliver_what_they_claim\s+ok 1\b", outcome.stdout), outcome.stdout


@pytest.mark.parametrize(("defect", "pages"), [("page_parameter_ignored", 2), ("pages_claim_one_more", 3)])
def test_the_proxy_names_pages_that_do_not_deliver_what_they_claim(defect: str, pages: int) -> None:
    with serve_peer(defects={defect}) as (base_url, _), proxy(base_url) as running:
        paging_session(f"{running.url}/client/v4", pages)
        assert running.wait_for("pages_deliver_what_they_claim"), running.stdout
        outcome = running.stop()
    assert outcome.code == 1, outcome.stdout + outcome.stderr
