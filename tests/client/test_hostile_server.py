"""The generated client against a hostile or broken server: huge or slow bodies, gzip bombs, bodies that are not
JSON, redirects to another host; each rule on an answer that breaks it and on one that keeps it."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import http.server
import json
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from pcaps_client import (
    AuthenticatedClient,
    Client,
    ContractViolation,
    PcapsApiError,
    PcapsClient,
    ResponseTooLarge,
    ResponseTooSlow,
)
from pcaps_client.api.ownership import list_buckets
from pcaps_client.types import MAX_JSON_DEPTH, parse_json

from tests.client.helpers import Credentials

BASE_URL = "http://api.test/client/v4"
MIB = 1_048_576
RECORD = {
    "id": "9883874ecac311ec8475433579a6bf5f",
    "destination_conf": "s3://pcaps-bucket?region=us-east-1",
    "filename": "ownership-challenge-9883874ecac311ec8475433579a6bf5f.txt",
    "status": "success",
    "submitted": "2020-01-01T08:00:00Z",
    "validated": "2020-01-01T08:05:00Z",
}
Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


def _envelope(result: Any) -> bytes:
    return json.dumps({"errors": [], "messages": [], "result": result, "success": True}).encode()


class _Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that has not been read yet, as a socket delivers it: the client must stream it."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[bytes]:
        yield from self._pieces

    async def __aiter__(self) -> Any:
        for piece in self._pieces:
            yield piece


def _answering(status: int, pieces: Iterable[bytes], headers: dict[str, str] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, stream=_Pieces(pieces))

    return handler


def _client(handler: Any, **options: Any) -> PcapsClient:
    """A client on one scripted answer, tried once: the retries are test_retries.py's."""
    options.setdefault("max_retries", 0)
    transport = httpx.MockTransport(handler)
    client = PcapsClient(base_url=BASE_URL, api_token="t0ken", **options)
    return client.set_httpx_client(httpx.Client(transport=transport, base_url=BASE_URL))


@contextmanager
def _serving(host: str, handle: Handler) -> Iterator[str]:
    """A tiny HTTP/1.1 server on host (a free port) in a thread; yields its origin."""

    class _Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer((host, 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _send(handler: http.server.BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", **headers}.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


# -- the default timeout -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: PcapsClient(api_token="t"),
        lambda: Client(base_url=BASE_URL),
        lambda: AuthenticatedClient(base_url=BASE_URL, token="t"),
    ],
    ids=["PcapsClient", "Client", "AuthenticatedClient"],
)
def test_every_client_defaults_to_the_official_sdks_timeout_of_60_s_and_5_s_to_connect(make: Any) -> None:
    built = make()

    assert built.get_httpx_client().timeout == httpx.Timeout(60.0, connect=5.0)
    assert asyncio.run(_async_timeout(built)) == httpx.Timeout(60.0, connect=5.0)


async def _async_timeout(built: Client | AuthenticatedClient) -> httpx.Timeout:
    async with built.get_async_httpx_client() as http:
        return http.timeout


def test_a_timeout_the_user_passes_wins_over_the_default() -> None:
    assert PcapsClient(api_token="t", timeout=httpx.Timeout(3.0)).get_httpx_client().timeout == httpx.Timeout(3.0)


# -- a bounded body ------------------------------------------------------------------------------------------------


def test_a_body_over_the_cap_raises_response_too_large_once_the_cap_is_passed() -> None:
    sent: list[int] = []

    def two_mib() -> Iterator[bytes]:
        for _ in range(32):
            sent.append(65_536)
            yield b" " * 65_536

    with pytest.raises(ResponseTooLarge) as raised:
        _client(_answering(200, two_mib())).list_buckets("acc")

    assert raised.value.limit == MIB
    assert "larger than 1048576 bytes" in str(raised.value)
    assert sum(sent) <= MIB + 65_536, "the client went on reading past the cap"


def test_a_900_kib_body_under_the_cap_is_read_and_parsed() -> None:
    body = _envelope([RECORD] * 3400)
    assert 850 * 1024 < len(body) < MIB

    records = _client(_answering(200, [body[i : i + 65_536] for i in range(0, len(body), 65_536)])).list_buckets("acc")

    assert len(records) == 3400


@pytest.mark.parametrize(("cap", "passes"), [(1000, True), (999, False)], ids=["at the cap", "one byte over"])
def test_the_cap_counts_bytes_exactly_and_is_a_keyword(cap: int, passes: bool) -> None:
    body = _envelope([]).ljust(1000)
    client = _client(_answering(200, [body]), max_response_bytes=cap)

    if passes:
        assert client.list_buckets("acc") == []
    else:
        with pytest.raises(ResponseTooLarge):
            client.list_buckets("acc")


def test_a_body_the_transport_already_read_is_held_to_the_cap_too() -> None:
    client = _client(lambda request: httpx.Response(200, content=b" " * (2 * MIB)))

    with pytest.raises(ResponseTooLarge):
        client.list_buckets("acc")


def test_a_failure_body_over_the_cap_raises_response_too_large_not_pcaps_api_error() -> None:
    with pytest.raises(ResponseTooLarge):
        _client(_answering(500, [b" " * (2 * MIB)])).list_buckets("acc")


def _gzip_of_zeros(size: int) -> bytes:
    """gzip of `size` zero bytes, built a MiB at a time (about 50 KB for 50 MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(MIB)
    return b"".join([*(packer.compress(zeros) for _ in range(size // MIB)), packer.flush()])


def test_a_gzip_bomb_raises_response_too_large_without_inflating_it_in_memory() -> None:
    bomb = _gzip_of_zeros(50 * MIB)
    assert len(bomb) < 100_000
    client = _client(_answering(200, [bomb], {"Content-Encoding": "gzip"}))

    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLarge):
            client.list_buckets("acc")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 10 * MIB, f"inflating the bomb allocated {peak / MIB:.1f} MiB"


def _bare_deflate(body: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda body: ("gzip", gzip.compress(body)), id="gzip"),
        pytest.param(lambda body: ("deflate", zlib.compress(body)), id="deflate with its zlib header"),
        pytest.param(lambda body: ("deflate", _bare_deflate(body)), id="bare deflate"),
        pytest.param(lambda body: ("gzip, gzip", gzip.compress(gzip.compress(body))), id="gzip twice"),
        pytest.param(lambda body: ("identity", body), id="identity"),
    ],
)
def test_a_compressed_body_under_the_cap_is_inflated_and_parsed(encode: Any) -> None:
    encoding, encoded = encode(_envelope([RECORD] * 100))
    pieces = [encoded[i : i + 1000] for i in range(0, len(encoded), 1000)]

    assert len(_client(_answering(200, pieces, {"Content-Encoding": encoding})).list_buckets("acc")) == 100


def test_the_client_asks_only_for_the_encodings_it_inflates_itself() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, content=_envelope([]))

    _client(handler).list_buckets("acc")

    assert sent[0].headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize(
    ("encoding", "body", "expected"),
    [("br", b"\x1b\x00", "Content-Encoding"), ("gzip", b"not gzip at all", "(gzip)")],
    ids=["an encoding not asked for", "corrupt gzip"],
)
def test_a_body_that_does_not_decode_as_its_content_encoding_is_a_contract_violation(
    encoding: str, body: bytes, expected: str
) -> None:
    with pytest.raises(ContractViolation) as raised:
        _client(_answering(200, [body], {"Content-Encoding": encoding})).list_buckets("acc")

    assert expected in raised.value.expected


def test_the_async_functions_keep_the_cap_too() -> None:
    async def call(body: bytes, cap: int) -> Any:
        client = PcapsClient(base_url=BASE_URL, api_token="t", max_response_bytes=cap)
        transport = httpx.MockTransport(_answering(200, [body], {"Content-Encoding": "gzip"}))
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            client.set_async_httpx_client(http)
            return (await list_buckets.asyncio_detailed("acc", client=client)).parsed

    assert asyncio.run(call(gzip.compress(_envelope([])), MIB)).result == []
    with pytest.raises(ResponseTooLarge):
        asyncio.run(call(_gzip_of_zeros(50 * MIB), MIB))


# -- a whole-response deadline -------------------------------------------------------------------------------------


def _dripping(handler: http.server.BaseHTTPRequestHandler) -> None:
    """Announces 100 bytes, then sends one every 0.1 s: no single read ever waits long."""
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    try:
        for _ in range(100):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        pass


@pytest.mark.sockets
def test_a_server_dripping_its_body_raises_response_too_slow_at_the_deadline() -> None:
    with _serving("127.0.0.1", _dripping) as origin:
        client = PcapsClient(base_url=origin, api_token="t", timeout=httpx.Timeout(0.5))
        started = time.monotonic()
        with pytest.raises(ResponseTooSlow) as raised:
            client.list_buckets("acc")
        took = time.monotonic() - started
        client.get_httpx_client().close()

    assert raised.value.seconds == 0.5
    assert took < 2.0, f"the deadline of 0.5 s let the drip go on for {took:.1f} s"


def test_a_body_in_pieces_within_the_deadline_is_read() -> None:
    def pieces() -> Iterator[bytes]:
        body = _envelope([RECORD])
        for i in range(0, len(body), 50):
            time.sleep(0.01)
            yield body[i : i + 50]

    assert len(_client(_answering(200, pieces()), timeout=httpx.Timeout(5.0)).list_buckets("acc")) == 1


# -- a broken body -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[" * 100_000, f"nested at most {MAX_JSON_DEPTH} levels deep (got 100000)"),
        (b'{"success": true, "result": "\xff\xfe"}', "UTF-8"),
        (b"<html>bad gateway</html>", "a JSON body"),
        (b'{"errors": [], "messages": [], "result": NaN, "success": true}', "a JSON body"),
        (b"", "a JSON body"),
    ],
    ids=["100,000 levels of [", "invalid UTF-8", "html", "NaN", "empty"],
)
def test_a_success_body_that_is_not_json_raises_contract_violation(body: bytes, expected: str) -> None:
    with pytest.raises(ContractViolation) as raised:
        _client(_answering(200, [body])).list_buckets("acc")

    assert expected in raised.value.expected
    assert raised.value.value == body[:64]
    assert str(raised.value).startswith("the response breaks the contract\nExpected: ")


@pytest.mark.parametrize("body", [b"[" * 100_000, b"\xff\xfe", b"<html>"], ids=["deep", "invalid UTF-8", "html"])
def test_a_failure_body_that_is_not_json_is_still_a_pcaps_api_error(body: bytes) -> None:
    with pytest.raises(PcapsApiError) as raised:
        _client(_answering(502, [body])).list_buckets("acc")

    assert (raised.value.status_code, raised.value.errors) == (502, ())


def test_nesting_up_to_the_limit_parses_and_brackets_inside_strings_do_not_count() -> None:
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH

    assert parse_json(at_limit) is not None
    assert parse_json(json.dumps({"a": "[{" * 10_000 + '\\"' + "[" * 100}).encode())["a"].startswith("[{")
    with pytest.raises(ContractViolation, match="levels deep"):
        parse_json(b"[" + at_limit + b"]")


def test_the_depth_guard_stays_linear_on_an_unterminated_string_of_escapes() -> None:
    body = b"[" * 65 + b'"' + b'\\"' * 500_000
    started = time.thread_time()  # the time this thread computed: a loaded machine does not stretch it

    with pytest.raises(ContractViolation):
        parse_json(body)

    assert time.thread_time() - started < 1.0


# -- no redirect is followed ---------------------------------------------------------------------------------------


@contextmanager
def _redirect_to_another_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A server on 127.0.0.1 that answers 302 to one on 127.0.0.2, which records every request it receives."""
    received: list[dict[str, str]] = []

    def elsewhere(handler: http.server.BaseHTTPRequestHandler) -> None:
        received.append({"path": handler.path, **dict(handler.headers.items())})
        _send(handler, 200, _envelope([]))

    with _serving("127.0.0.2", elsewhere) as other:

        def redirecting(handler: http.server.BaseHTTPRequestHandler) -> None:
            _send(handler, 302, b"", Location=f"{other}{handler.path}")

        with _serving("127.0.0.1", redirecting) as origin:
            yield origin, received


@pytest.mark.sockets
@pytest.mark.parametrize(
    "credentials",
    [{"api_token": "s3cret-t0ken"}, {"api_email": "me@example.com", "api_key": "s3cret-k3y"}],
    ids=["bearer token", "email and key"],
)
def test_a_redirect_to_another_host_is_a_pcaps_api_error_and_nothing_reaches_that_host(
    credentials: Credentials,
) -> None:
    with _redirect_to_another_host() as (origin, received):
        client = PcapsClient(base_url=origin, **credentials)
        with pytest.raises(PcapsApiError) as raised:
            client.list_buckets("acc")
        client.get_httpx_client().close()

    assert raised.value.status_code == 302
    assert received == []


@pytest.mark.sockets
def test_the_stock_functions_and_a_given_httpx_client_follow_no_redirect_either() -> None:
    with _redirect_to_another_host() as (origin, received):
        stock = AuthenticatedClient(base_url=origin, token="s3cret-t0ken")
        with pytest.raises(ContractViolation):  # a 302 with no failure envelope
            list_buckets.sync_detailed("acc", client=stock)
        stock.get_httpx_client().close()

        with httpx.Client(base_url=origin, follow_redirects=True) as following:
            given = PcapsClient(base_url=origin, api_token="s3cret-t0ken").set_httpx_client(following)
            with pytest.raises(PcapsApiError):
                given.list_buckets("acc")

    assert received == []


@pytest.mark.sockets
def test_the_redirect_servers_do_reach_the_other_host_when_following_is_asked_for() -> None:
    with _redirect_to_another_host() as (origin, received):
        client = PcapsClient(base_url=origin, api_token="s3cret-t0ken", follow_redirects=True)
        assert client.list_buckets("acc") == []
        client.get_httpx_client().close()

    assert [request["path"] for request in received] == ["/accounts/acc/pcaps/ownership"]


# -- Retry-After ---------------------------------------------------------------------------------------------------


def _in_seconds(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


@pytest.mark.parametrize(
    ("header", "low", "high"),
    [
        (lambda: "7", 7.0, 7.0),
        (lambda: " 120 ", 120.0, 120.0),
        (lambda: _in_seconds(30), 28.0, 30.5),
        (lambda: _in_seconds(-300), 0.0, 0.0),
    ],
    ids=["seconds", "seconds with spaces", "an HTTP date", "a date in the past"],
)
def test_retry_after_is_parsed_from_seconds_or_an_http_date(header: Any, low: float, high: float) -> None:
    headers = {"Retry-After": header()}
    failure = json.dumps(
        {"errors": [{"code": 1010, "message": "rate limited"}], "messages": [], "result": None, "success": False}
    ).encode()

    with pytest.raises(PcapsApiError) as raised:
        _client(_answering(429, [failure], headers)).list_buckets("acc")

    assert raised.value.retry_after is not None
    assert low <= raised.value.retry_after <= high
    assert raised.value.errors[0].code == 1010


@pytest.mark.parametrize(
    "headers", [{}, {"Retry-After": "soon"}, {"Retry-After": "-5"}], ids=["absent", "words", "negative"]
)
def test_retry_after_is_none_when_absent_or_unreadable(headers: dict[str, str]) -> None:
    with pytest.raises(PcapsApiError) as raised:
        _client(_answering(429, [b"{}"], headers)).list_buckets("acc")

    assert raised.value.retry_after is None
