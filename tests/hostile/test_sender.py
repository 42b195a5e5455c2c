"""The one sending layer against the hostile server, over real sockets: every rule of the road, kept and broken."""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import ssl
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from pcaps_contract._json import too_deep
from pcaps_contract.engine.ratelimit import RateLimiter, RetryPolicy
from pcaps_contract.engine.sender import (
    CrossOriginRefused,
    PoliteAdapter,
    ResponseLimits,
    ResponseRefused,
    SendStats,
    polite_session,
)
from tests.hostile.server import serve_hostile, serve_recorder

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
HEADERS = {"Authorization": "Bearer hostile-token"}


def session_for(base_url: str, timeout: float = 1.0, retries: int = 0) -> requests.Session:
    policy = RetryPolicy(timeout=timeout, transport_retries=retries, backoff_base=0.05)
    adapter = PoliteAdapter(RateLimiter(1000), policy, SendStats(), origin=base_url)
    return polite_session(adapter, HEADERS)


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[tuple[requests.Session, str]]:
    """A session aimed at a hostile server whose preflight has been answered: the next request meets the mode."""
    with serve_hostile(request.param) as base_url:
        session = session_for(base_url)
        assert session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership").status_code == 200
        yield session, base_url


@pytest.mark.parametrize("hostile", ["drip", "hang-after-first"], indirect=True)
def test_an_answer_that_does_not_arrive_whole_within_the_deadline_times_out(
    hostile: tuple[requests.Session, str],
) -> None:
    session, base_url = hostile
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")
    assert time.monotonic() - started < 5  # 1 s deadline, no retry: a drip of a byte every 2 s never resets it


@pytest.mark.parametrize("hostile", ["drip", "hang-after-first"], indirect=True)
def test_a_deadline_that_ran_out_is_a_read_timeout_schemathesis_can_name(hostile: tuple[requests.Session, str]) -> None:
    """schemathesis reads a read timeout's message as requests shapes it; a plain text there broke its engine."""
    from schemathesis.core.errors import get_request_error_message

    session, base_url = hostile
    with pytest.raises(requests.ReadTimeout) as timed_out:
        session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")
    assert re.fullmatch(r"Read timed out after 1(\.0)? seconds", get_request_error_message(timed_out.value))


@pytest.mark.parametrize("hostile", ["huge", "chunked-endless", "gzip-bomb"], indirect=True)
def test_an_answer_larger_than_the_cap_after_decompression_is_refused_in_bounded_memory(
    hostile: tuple[requests.Session, str],
) -> None:
    session, base_url = hostile
    tracemalloc.start()
    try:
        with pytest.raises(ResponseRefused, match="larger than 1048576 bytes"):
            session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 << 20, f"peak {peak} bytes"


@pytest.mark.parametrize("hostile", ["deep-json"], indirect=True)
def test_json_nested_deeper_than_the_limit_is_refused(hostile: tuple[requests.Session, str]) -> None:
    session, base_url = hostile
    with pytest.raises(ResponseRefused, match="more than 64 levels deep"):
        session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")


@pytest.mark.parametrize("hostile", ["many-headers"], indirect=True)
def test_ten_thousand_headers_are_a_connection_error_not_a_stall(hostile: tuple[requests.Session, str]) -> None:
    session, base_url = hostile
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("mode", ["redirect-302", "redirect-307", "redirect-308"])
def test_a_redirect_is_an_answer_and_nothing_reaches_the_other_host(mode: str) -> None:
    with serve_recorder() as (elsewhere, received), serve_hostile(mode, redirect_to=elsewhere) as base_url:
        session = session_for(base_url)
        session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")
        answer = session.post(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership", json={"destination_conf": "s3://b"})
        assert answer.status_code in (302, 307, 308)
        assert received == []


def test_a_request_to_another_origin_is_refused_before_it_is_sent() -> None:
    with serve_recorder() as (elsewhere, received), serve_hostile("hang-after-first") as base_url:
        with pytest.raises(CrossOriginRefused):
            session_for(base_url).get(f"{elsewhere}/client/v4/accounts/{ACCOUNT}/pcaps/ownership")
        assert received == []


class _Plain(BaseHTTPRequestHandler):
    """Well-behaved answers: a gzipped envelope when asked for it, else a plain one."""

    protocol_version = "HTTP/1.1"
    body = json.dumps({"success": True, "errors": [], "messages": [], "result": [{"a": [[[1]]]}] * 2000}).encode()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = gzip.compress(self.body) if "gzip" in self.headers.get("Accept-Encoding", "") else self.body
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        if body is not self.body:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_well_behaved_answer_under_every_limit_is_read_whole() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base_url = f"http://127.0.0.1:{server.server_address[1]}/client/v4"
        answer = session_for(base_url).get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")
        assert answer.content == _Plain.body and answer.json()["success"] is True
        too_small = PoliteAdapter(
            RateLimiter(1000), RetryPolicy(timeout=1.0), SendStats(), origin=base_url, limits=ResponseLimits(1024)
        )
        with pytest.raises(ResponseRefused):
            polite_session(too_small).get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership")
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("content", "deep"),
    [
        (b"[" * 65 + b"]" * 65, True),
        (b"[" * 64 + b"]" * 64, False),
        (b'{"a": "' + b"[" * 500 + b'"}', False),  # brackets inside a string do not nest
        (b'{"a": "\\"' + b"[" * 100 + b'"}', False),  # nor after an escaped quote
        (b'["\\\\"' + b", [" * 70 + b"]" * 70 + b"]", True),  # an escaped backslash ends before the quote
    ],
)
def test_json_depth_counts_only_brackets_outside_strings(content: bytes, deep: bool) -> None:
    assert too_deep(content, 64) is deep


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made here (no network, no openssl binary)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class _Drip(_Plain):
    def do_GET(self) -> None:
        if not self.path.endswith("/drip"):
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Length", "40")
        self.end_headers()
        with contextlib.suppress(OSError):
            for _ in range(40):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.3)


def test_over_tls_answers_are_read_whole_on_reused_connections_and_a_drip_still_times_out(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base_url = f"https://127.0.0.1:{server.server_address[1]}/client/v4"
        session = session_for(base_url)
        session.verify = str(cert)
        for _ in range(3):  # the same TLS connection, kept alive
            assert session.get(f"{base_url}/accounts/{ACCOUNT}/pcaps/ownership").content == _Plain.body
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            session.get(f"{base_url}/drip")  # a byte every 0.3 s: only the whole-answer deadline (1 s) ends it
        assert time.monotonic() - started < 5
    finally:
        server.shutdown()
        server.server_close()
