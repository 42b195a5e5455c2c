"""`proxy` under hostile traffic, over sockets on 127.0.0.1: it forwards before it judges, streams request bodies
under a cap (413 above it), answers odd request targets 400, drops headers HTTP forbids, and its judge neither
delays a client nor ends the proxy."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcaps_contract._limits import MAX_PROXIED_REQUEST_BYTES
from pcaps_contract._urls import parse_target
from pcaps_contract.openapi.spec import Spec
from pcaps_contract.passive.judging import PassiveJudge
from pcaps_contract.passive.off_path import OffPathJudge
from pcaps_contract.passive.proxy import ProxyApp, serve_in_thread
from tests.cli.test_proxy import proxy

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
LIST = f"/client/v4/accounts/{ACCOUNT}/pcaps/ownership"
ENVELOPE = {"success": True, "errors": [], "messages": [], "result": []}
REFUSED = {"success": False, "errors": [{"code": 1000, "message": "bad body"}], "messages": [], "result": None}
DEEP = b"[" * 100_000 + b"]" * 100_000


class Upstream(BaseHTTPRequestHandler):
    """GET: a list, nested 100,000 deep under `?deep`, with the raw header of `?header=HEX` added; POST: the body
    read whole (length or chunks), then 400, as the API answers a body it cannot read."""

    protocol_version = "HTTP/1.1"
    received: list[int]

    def log_message(self, *_: Any) -> None:
        pass

    def do_GET(self) -> None:
        query = self.path.partition("?")[2]
        body = DEEP if query == "deep" else json.dumps(ENVELOPE).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if query.startswith("header="):
            name, _, value = bytes.fromhex(query[len("header=") :]).partition(b":")
            self._headers_buffer.append(name + b": " + value + b"\r\n")  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        size = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while (length := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                size += len(self.rfile.read(length))
                self.rfile.readline()
            self.rfile.readline()
        else:
            size = len(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        type(self).received.append(size)
        body = json.dumps(REFUSED).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def upstream() -> Iterator[tuple[str, list[int]]]:
    received: list[int] = []
    handler = type("Handler", (Upstream,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def proxied(spec: Spec, log: io.StringIO) -> Iterator[tuple[str, OffPathJudge, list[int]]]:
    """The proxy app in a thread in front of `upstream()`, its log kept."""
    with upstream() as (origin, received):
        judging = OffPathJudge(PassiveJudge(spec), log=log)
        app = ProxyApp(parse_target(f"{origin}/client/v4", allow_production=True), judging, log=log)
        try:
            with serve_in_thread(app) as url:
                yield url, judging, received
        finally:
            judging.close()


def raw_request(url: str, request: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and answer.split(b"\r\n\r\n", 1)[0].count(b"\r\n") >= 1:
                head, _, rest = answer.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    None,
                )
                if length is not None and len(rest) >= length:
                    break
        return answer


def test_an_upstream_answer_nested_100_000_deep_is_forwarded_recorded_and_judged_by_its_status(tmp_path: Path) -> None:
    with upstream() as (origin, _), proxy(f"{origin}/client/v4", tmp_path) as running:
        answer = httpx.get(f"{running.url}{LIST}?deep", timeout=30)
        assert answer.status_code == 200 and answer.content == DEEP
        outcome = running.stop()
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert "nesting JSON more than 64 levels deep" in outcome.stdout
    [line] = (tmp_path / "exchanges.ndjson").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["response"]["status"] == 200


def test_a_proxy_that_judged_nothing_says_so_and_exits_2(tmp_path: Path) -> None:
    with upstream() as (origin, _), proxy(f"{origin}/client/v4", tmp_path) as running:
        assert httpx.get(f"{running.url}/somewhere/else", timeout=30).status_code == 200
        outcome = running.stop()
    assert outcome.code == 2 and "nothing judged" in outcome.stderr and "Traceback" not in outcome.stderr


def test_a_body_nested_20_000_deep_gets_the_upstream_s_answer(spec: Spec) -> None:
    log = io.StringIO()
    with proxied(spec, log) as (url, _, received):
        body = b'{"destination_conf": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
        answer = httpx.post(f"{url}{LIST}/validate", content=body, timeout=30)
    assert answer.status_code == 400 and answer.json() == REFUSED
    assert received == [len(body)]
    assert "Traceback" not in log.getvalue()


def test_a_declared_body_over_the_cap_is_413_before_anything_is_forwarded(spec: Spec) -> None:
    log = io.StringIO()
    with proxied(spec, log) as (url, _, received):
        head = f"POST {LIST} HTTP/1.1\r\nHost: x\r\nContent-Length: {int(1.1 * (1 << 30))}\r\n\r\n".encode()
        answer = raw_request(url, head + b"{")
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert received == []
    assert "larger than" in log.getvalue() and "Traceback" not in log.getvalue()


def test_a_streamed_body_over_the_cap_is_413_and_never_held_whole(spec: Spec) -> None:
    log = io.StringIO()
    piece = b"x" * (1 << 20)

    def chunks() -> Iterator[bytes]:
        for _ in range(MAX_PROXIED_REQUEST_BYTES // len(piece) + 4):
            yield piece

    with proxied(spec, log) as (url, _, received):
        try:
            status = httpx.post(f"{url}{LIST}", content=chunks(), timeout=60).status_code
        except httpx.HTTPError:  # the proxy may close the connection while the client still sends
            status = 413
        under = httpx.post(f"{url}{LIST}", content=iter([piece, piece]), timeout=60)
    assert status == 413
    assert under.status_code == 400 and (1 << 21) in received  # a body under the cap still goes through
    assert "Traceback" not in log.getvalue()


@pytest.mark.parametrize(
    ("target", "status"),
    [
        (b"*", b"HTTP/1.1 400 Bad Request"),  # asterisk-form: nothing under the upstream's base to forward it to
        (b"http://elsewhere.example/x", b"HTTP/1.1 501 Not Implemented"),  # absolute-form: its path, forwarded
    ],
)
def test_an_odd_request_target_is_answered_400_or_forwarded_without_a_traceback(
    spec: Spec, target: bytes, status: bytes
) -> None:
    log = io.StringIO()
    with proxied(spec, log) as (url, _, _received):
        answer = raw_request(url, b"OPTIONS " + target + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert answer.split(b"\r\n", 1)[0] == status  # the upstream (stdlib) has no OPTIONS: its 501
    assert "Traceback" not in log.getvalue()


def test_an_upstream_header_with_a_control_character_is_dropped_with_one_line(spec: Spec) -> None:
    log = io.StringIO()
    with proxied(spec, log) as (url, _judging, _):
        header = b"X-Bad:a\x01b".hex()
        answer = httpx.get(f"{url}{LIST}?header={header}", timeout=30)
        again = httpx.get(f"{url}{LIST}", timeout=30)
    assert answer.status_code in (200, 502) and "x-bad" not in answer.headers
    assert again.status_code == 200
    assert "Traceback" not in log.getvalue()
    assert log.getvalue().count("\n") == 1, log.getvalue()


HEADER_BYTES = st.binary(min_size=1, max_size=12).filter(lambda value: b"\r" not in value and b"\n" not in value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.one_of(st.sampled_from([b"X-Test", b"Bad Name", b"X\x7f"]), HEADER_BYTES.filter(lambda v: b":" not in v)),
    value=HEADER_BYTES,
    body=st.one_of(
        st.binary(max_size=256),
        st.integers(min_value=0, max_value=30_000).map(lambda depth: b"[" * depth + b"]" * depth),
    ),
)
def test_whatever_a_client_sends_and_an_upstream_answers_the_proxy_answers_without_a_traceback(
    spec: Spec, name: bytes, value: bytes, body: bytes
) -> None:
    log = io.StringIO()
    with proxied(spec, log) as (url, _judging, received):
        got = httpx.get(f"{url}{LIST}?header={(name + b':' + value).hex()}", timeout=30)
        posted = httpx.post(f"{url}{LIST}/validate", content=body, timeout=30)
    assert got.status_code in (200, 502) and posted.status_code == 400
    assert received[-1] == len(body)
    assert "Traceback" not in log.getvalue() and log.getvalue().count("\n") <= 2
