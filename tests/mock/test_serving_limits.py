"""A server of ours under abuse, over real sockets on 127.0.0.1: what one client may hold of it is bounded.

Served through `_serving` (as the mock and the proxy both are), with its limits lowered so that each test is quick:
a request head that drips is cut off, one too big is answered 431, half-sent requests cannot lock out a real
client, and the mock's records stop at a byte budget with its failure envelope.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcaps_contract._serving import Limits
from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.mock._state import Ownership
from pcaps_contract.openapi.spec import Spec

BEARER = {"Authorization": f"Bearer {DEV_TOKEN}"}
LIST = "/client/v4/accounts/a/pcaps/ownership"
HEAD_BYTES = 8 * 1024
# A head that takes longer than this is cut off; the tests wait a few times longer before they call it a hang.
HEAD_SECONDS = 1.5
PATIENCE = 15.0


# Both of uvicorn's parsers: httptools (what the servers use) has no bound of its own, h11 has some.
PARSERS = ["httptools", "h11"]


@pytest.fixture(params=PARSERS)
def http(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@contextmanager
def served(http: str, config: MockConfig | None = None, **limits: Any) -> Iterator[tuple[str, tuple[str, int]]]:
    """The mock over 127.0.0.1 with lowered limits and the given parser; yields its URL and its address."""
    bounds = Limits(**{"head_seconds": HEAD_SECONDS, "head_bytes": HEAD_BYTES, "http": http, **limits})
    with serve_in_thread(create_app(config or MockConfig()), limits=bounds) as url:
        address = urlsplit(url)
        yield url, (str(address.hostname), int(address.port or 0))


def read_until_closed(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """What the server sends until it closes the connection, and when it closed (or `within` if it did not)."""
    started = time.monotonic()
    received = b""
    sock.settimeout(0.2)
    while time.monotonic() - started < within:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except ConnectionError:
            break
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - started


def drip_head(address: tuple[str, int], path: str, gap: float, patience: float) -> tuple[bytes, float]:
    """Send a request line, then one header line every `gap` seconds (a slowloris client) until the server answers
    or closes, or `patience` runs out; what it answered and after how long."""
    with socket.create_connection(address, timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode())
        answer = b""
        for line in range(int(patience / gap)):
            try:
                sock.sendall(f"X-Line-{line}: drip\r\n".encode())
            except ConnectionError:
                break
            answer, _ = read_until_closed(sock, gap)
            if answer:
                break
        return answer, time.monotonic() - started


def test_a_head_sent_one_line_at_a_time_is_cut_off_with_408(http: str) -> None:
    with served(http) as (_, address):
        answer, elapsed = drip_head(address, LIST, 0.5, PATIENCE)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert elapsed < PATIENCE, f"the dripping head was served for {elapsed:.1f}s"


def test_a_connection_that_never_sends_a_head_is_closed(http: str) -> None:
    with served(http) as (_, address), socket.create_connection(address, timeout=5) as sock:
        answer, elapsed = read_until_closed(sock, PATIENCE)
    assert answer == b"" and elapsed < PATIENCE


def test_a_keep_alive_connection_gets_a_new_head_deadline_after_each_answer(http: str) -> None:
    with served(http) as (_, address), socket.create_connection(address, timeout=5) as sock:
        sock.sendall(f"GET {LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {DEV_TOKEN}\r\n\r\n".encode())
        first = sock.recv(65536)
        sock.sendall(b"GET /client/v4/accounts/a/pcaps/ownership HTTP/1.1\r\n")  # the second head never ends
        rest, elapsed = read_until_closed(sock, PATIENCE)
    assert first.startswith(b"HTTP/1.1 200 ")
    assert rest.startswith(b"HTTP/1.1 408 ") and elapsed < PATIENCE


@pytest.fixture(scope="module", params=PARSERS)
def mock_address(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    with served(str(request.param)) as (_, address):
        yield address


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    size=st.integers(min_value=1, max_value=4 * HEAD_BYTES),
    line=st.integers(min_value=1, max_value=4000),
    pieces=st.integers(min_value=1, max_value=4),
)
def test_a_head_over_the_size_bound_is_answered_431_and_one_within_it_is_served(
    mock_address: tuple[str, int], size: int, line: int, pieces: int
) -> None:
    """Headers of about `size` bytes in lines of `line` bytes, sent in `pieces` writes: 431 exactly past the bound."""
    lines = [f"X-{index}: ".encode() + b"a" * line for index in range(max(1, size // (line + 8)))]
    head = f"GET {LIST} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {DEV_TOKEN}\r\n".encode()
    head += b"\r\n".join(lines) + b"\r\n\r\n"
    step = -(-len(head) // pieces)
    with socket.create_connection(mock_address, timeout=5) as sock:
        try:
            for start in range(0, len(head), step):
                sock.sendall(head[start : start + step])
                time.sleep(0.01)
        except ConnectionError:
            pass  # refused mid-head: the answer is read below
        answer, _ = read_until_closed(sock, PATIENCE)
    status = answer.split(b"\r\n", 1)[0]
    expected = b"HTTP/1.1 431 Request Header Fields Too Large" if len(head) > HEAD_BYTES else b"HTTP/1.1 200 OK"
    assert status == expected, (len(head), answer[:200])


@pytest.mark.parametrize(("extra", "status"), [(0, b"200 OK"), (1, b"431 Request Header Fields Too Large")])
def test_the_head_size_bound_counts_every_byte_up_to_the_empty_line(
    mock_address: tuple[str, int], extra: int, status: bytes
) -> None:
    start = f"GET {LIST} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {DEV_TOKEN}\r\nX-Pad: "
    head = start.encode() + b"a" * (HEAD_BYTES - len(start) - 4 + extra) + b"\r\n\r\n"
    assert len(head) == HEAD_BYTES + extra
    with socket.create_connection(mock_address, timeout=5) as sock:
        sock.sendall(head)
        answer, _ = read_until_closed(sock, PATIENCE)
    assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 " + status


def test_endless_header_lines_are_refused_431_after_the_bound_not_read_on(http: str) -> None:
    with served(http) as (_, address), socket.create_connection(address, timeout=5) as sock:
        sock.sendall(f"GET {LIST} HTTP/1.1\r\nHost: x\r\n".encode())
        sent = 0
        try:
            while sent < 64 * HEAD_BYTES:  # far past the bound; the server stops reading long before
                sock.sendall(b"X-Endless: " + b"a" * 1000 + b"\r\n")
                sent += 1013
        except ConnectionError:
            pass
        answer, _ = read_until_closed(sock, PATIENCE)
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]


def test_half_sent_requests_past_the_connection_cap_do_not_lock_out_a_real_client(http: str) -> None:
    """300 connections each holding half a head, against a cap of 50 and a head deadline they never reach."""
    with served(http, head_seconds=60.0, connections=50) as (url, address), ExitStack() as stack:
        held = []
        for _ in range(300):
            sock = stack.enter_context(socket.create_connection(address, timeout=5))
            sock.sendall(f"GET {LIST} HTTP/1.1\r\nHost: x\r\n".encode())
            held.append(sock)
        answer = httpx.get(url + LIST, headers=BEARER, timeout=PATIENCE)
        still_open = 0
        for sock in held:
            sock.setblocking(False)
            try:
                still_open += sock.recv(1) != b""
            except BlockingIOError:
                still_open += 1
            except ConnectionError:
                pass
    assert answer.status_code == 200
    assert still_open <= 50, f"{still_open} half-sent requests held open past a cap of 50"


ADD_HEAD = (
    f"POST {LIST} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {DEV_TOKEN}\r\n"
    "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
).encode()


def test_a_body_sent_a_byte_at_a_time_is_cut_off_after_its_deadline(http: str) -> None:
    with served(http, body_seconds=HEAD_SECONDS) as (_, address), socket.create_connection(address) as sock:
        sock.sendall(ADD_HEAD)
        started = time.monotonic()
        with suppress(ConnectionError):
            while time.monotonic() - started < PATIENCE:
                sock.sendall(b" ")
                answer, _ = read_until_closed(sock, 0.5)
                if answer or sock.fileno() < 0:
                    break
        elapsed = time.monotonic() - started
    assert elapsed < PATIENCE, f"the dripping body was read for {elapsed:.1f}s"


def test_half_sent_bodies_past_the_connection_cap_do_not_lock_out_a_real_client(http: str) -> None:
    """Heads whole, bodies never: they are not being answered, so they make room as half-sent heads do."""
    with served(http, head_seconds=60.0, body_seconds=60.0, connections=20) as (url, address), ExitStack() as stack:
        for _ in range(60):
            stack.enter_context(socket.create_connection(address, timeout=5)).sendall(ADD_HEAD + b'{"destination')
        answer = httpx.get(url + LIST, headers=BEARER, timeout=PATIENCE)
    assert answer.status_code == 200


def test_a_request_being_answered_is_never_cut_to_make_room(http: str) -> None:
    """Past the cap with every slot busy answering, the newcomer is turned away rather than a request in flight."""
    fresh = httpx.Limits(max_keepalive_connections=0)
    with (
        served(http, MockConfig(latency=2.0), head_seconds=60.0, connections=2) as (url, _),
        httpx.Client(timeout=PATIENCE, limits=fresh) as client,
        ThreadPoolExecutor(3) as pool,
    ):
        slow = [pool.submit(client.get, url + LIST, headers=BEARER) for _ in range(2)]
        time.sleep(0.5)
        late = pool.submit(client.get, url + LIST, headers=BEARER)
        answers = [future.result().status_code for future in slow]
        with pytest.raises(httpx.TransportError):
            late.result()
    assert answers == [200, 200]


def add(client: httpx.Client, url: str, account: str) -> httpx.Response:
    return client.post(f"{url}/client/v4/accounts/{account}/pcaps/ownership", json={"destination_conf": LARGE})


LARGE = "s3://bucket?pad=" + "a" * (60 * 1024)


def test_large_adds_stop_at_the_byte_budget_of_an_account_and_of_the_mock_with_the_failure_envelope(
    spec: Spec,
) -> None:
    cost = Ownership.new(LARGE).stored_bytes + 1  # the record and its one-letter account
    config = MockConfig(max_account_bytes=1 << 20, max_stored_bytes=3 << 19)  # 1 MiB an account, 1.5 MiB in all
    with served("httptools", config) as (url, _), httpx.Client(headers=BEARER, timeout=PATIENCE) as client:
        first = [add(client, url, "a") for _ in range(40)]
        second = [add(client, url, "b") for _ in range(40)]
        held = client.get(f"{url}/client/v4/accounts/a/pcaps/ownership").json()["result"]
        client.delete(f"{url}/client/v4/accounts/a/pcaps/ownership/{held[0]['id']}")
        after_a_delete = add(client, url, "b")
    in_a = (1 << 20) // cost
    assert [answer.status_code for answer in first] == [200] * in_a + [400] * (40 - in_a)
    assert [answer.status_code for answer in second] == [200] * ((3 << 19) // cost - in_a) + [400] * (
        40 - ((3 << 19) // cost - in_a)
    )
    for refused, bound in ((first[-1], "per account"), (second[-1], "across accounts")):
        body = refused.json()
        assert spec.errors("/components/schemas/FailureResponse", body) == []
        assert body["errors"][0]["code"] == 1007 and bound in body["errors"][0]["message"], body
    assert after_a_delete.status_code == 200  # what a delete frees is free again


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def server_warnings() -> Iterator[list[str]]:
    """What the servers' logger warns of meanwhile (enter it once the server is up: uvicorn sets its logging up as it
    starts, and a served mock of the tests logs errors only)."""
    logger = logging.getLogger("uvicorn.error")
    kept, level = _Kept(), logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.WARNING)
    try:
        yield kept.lines
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)


@pytest.mark.parametrize(
    "head",
    [b"GET /a HTTP/1.1\r\nHost: x\r\nBad\x01Header: SECRET-9f3e\r\n\r\n", b"SECRET-9f3e\x00 / HTTP/1.1\r\n\r\n"],
)
def test_a_request_no_parser_can_read_is_logged_with_its_peer_and_what_was_wrong(http: str, head: bytes) -> None:
    with (
        served(http) as (_, address),
        server_warnings() as warned,
        socket.create_connection(address, timeout=PATIENCE) as client,
    ):
        client.sendall(head)
        answer, _ = read_until_closed(client, PATIENCE)
        peer = client.getsockname()[1]

    assert answer.startswith(b"HTTP/1.1 400")
    said = [line for line in warned if "Invalid HTTP request" in line]
    assert len(said) == 1, warned
    assert re.fullmatch(
        rf"Invalid HTTP request from 127\.0\.0\.1:{peer} \([^()\n]+\): answered 400 and closed\.", said[0]
    )
    assert "SECRET" not in said[0]
