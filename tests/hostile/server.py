"""A hostile HTTP server (stdlib only): a correct preflight answer, then each way a server can misbehave."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = (
    "hang",
    "hang-after-first",
    "drip",
    "huge",
    "chunked-endless",
    "gzip-bomb",
    "deep-json",
    "bad-utf8",
    "many-headers",
    "unauthorized",
    "throttle-forever",
    "redirect-302",
    "redirect-307",
    "redirect-308",
)
# Modes with a test of their own (not run through every command by the parametrized tests): a 429 whose
# `Retry-After` (300 s) is honoured, so only the run's budget or a signal can end the wait.
SLOW_MODES = ("throttle-300",)
# Every connection ends by itself after this long, so that no test can hang on a handler thread.
CONNECTION_SECONDS = 60.0
# A read or a write that makes no progress for this long ends the connection.
SOCKET_SECONDS = 10.0
GIB = 1 << 30

EMPTY_LIST = json.dumps({"success": True, "errors": [], "messages": [], "result": []}).encode()
UNAUTHORIZED = json.dumps(
    {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}], "messages": [], "result": None}
).encode()
THROTTLED = json.dumps(
    {"success": False, "errors": [{"code": 971, "message": "Please wait and retry."}], "messages": [], "result": None}
).encode()
# Bytes that are no UTF-8 at all, an invalid continuation and an encoded surrogate, in an envelope.
BAD_UTF8 = b'{"success":true,"errors":[],"messages":["\xff\xfe\xc3\x28"],"result":["\xed\xa0\x80"]}'
PREFLIGHT = re.compile(r"^/client/v4/accounts/[^/?]+/pcaps/ownership/?(\?.*)?$")


@functools.cache
def gzip_bomb() -> bytes:
    """About 1 GiB of JSON whitespace then an envelope, gzipped once to about 1 MiB (valid JSON once inflated)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    spaces = b" " * (1 << 20)
    parts = [compressor.compress(spaces) for _ in range(GIB // len(spaces))]
    parts += [compressor.compress(EMPTY_LIST), compressor.flush()]
    return b"".join(parts)


def _has_credentials(headers: Any) -> bool:
    bearer = headers.get("Authorization", "")
    return (bearer.startswith("Bearer ") and len(bearer) > 7) or bool(
        headers.get("X-Auth-Email") and headers.get("X-Auth-Key")
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A refused connection would hide a hang behind a connection error: keep a deep backlog.
    request_queue_size = 128

    def __init__(self, host: str, handler: type[BaseHTTPRequestHandler], mode: str = "", redirect_to: str = "") -> None:
        super().__init__((host, 0), handler)
        self.mode = mode
        self.redirect_to = redirect_to
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.answered = 0
        self.received: list[dict[str, Any]] = []


class _Handler(BaseHTTPRequestHandler):
    """Reads requests one after another on a connection, until the client, the deadline or the server stops it."""

    protocol_version = "HTTP/1.1"
    timeout = SOCKET_SECONDS
    server: _Server

    def handle(self) -> None:
        self.deadline = time.monotonic() + CONNECTION_SECONDS
        self.close_connection = False
        try:
            while not self.close_connection and not self.server.stopping.is_set() and self._time_left() > 0:
                self.handle_one_request()
        except OSError:
            pass  # the client gave up (reset, timeout, broken pipe): the end of this connection

    def handle_one_request(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or not self.parse_request():
            self.close_connection = True
            return
        length = self.headers.get("Content-Length", "0")
        self.body = self.rfile.read(int(length)) if length.isdigit() else b""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True  # a chunked request body is not read: the connection is out of step
        self.answer()
        self.wfile.flush()

    def answer(self) -> None:
        raise NotImplementedError

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the tests read the client's output, not the server's

    def _time_left(self) -> float:
        return self.deadline - time.monotonic()

    def _pause(self, seconds: float) -> bool:
        """Wait, unless the server stops or the connection's time is up; True when the wait was complete."""
        seconds = min(seconds, self._time_left())
        return seconds > 0 and not self.server.stopping.wait(seconds)

    def _head(self, status: str, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers.items())]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def _send(self, status: str, body: bytes, **headers: str) -> None:
        self._head(status, {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers})
        self.wfile.write(body)


class _HostileHandler(_Handler):
    def answer(self) -> None:
        server = self.server
        with server.lock:
            first = server.answered == 0
            server.answered += 1
        mode = server.mode
        if mode == "unauthorized":
            self._send("401 Unauthorized", UNAUTHORIZED)
        elif mode == "hang" or not first or not self._is_preflight():
            self.misbehave(mode)
        elif _has_credentials(self.headers):
            self._send("200 OK", EMPTY_LIST)
        else:
            self._send("401 Unauthorized", UNAUTHORIZED)

    def _is_preflight(self) -> bool:
        return self.command == "GET" and PREFLIGHT.match(self.path) is not None

    def misbehave(self, mode: str) -> None:
        if mode in ("hang", "hang-after-first"):
            self._pause(CONNECTION_SECONDS)
            self.close_connection = True
        elif mode == "drip":
            self._head("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(EMPTY_LIST))})
            for index in range(len(EMPTY_LIST)):
                self.wfile.write(EMPTY_LIST[index : index + 1])
                self.wfile.flush()
                if not self._pause(2.0):
                    break
            self.close_connection = True
        elif mode == "huge":
            self._head("200 OK", {"Content-Type": "application/json", "Content-Length": str(GIB)})
            chunk = b" " * (1 << 16)
            for _ in range(GIB // len(chunk)):
                if self.server.stopping.is_set() or self._time_left() <= 0:
                    break
                self.wfile.write(chunk)
            self.close_connection = True
        elif mode == "chunked-endless":
            self._head("200 OK", {"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
            chunk = b"%x\r\n%s\r\n" % (1 << 16, b" " * (1 << 16))
            while not self.server.stopping.is_set() and self._time_left() > 0:
                self.wfile.write(chunk)
            self.close_connection = True
        elif mode == "gzip-bomb":
            self._send("200 OK", gzip_bomb(), **{"Content-Encoding": "gzip"})
        elif mode == "deep-json":
            self._send("200 OK", b"[" * 100_000 + b"]" * 100_000)
        elif mode == "bad-utf8":
            self._send("200 OK", BAD_UTF8)
        elif mode == "many-headers":
            headers = {f"X-Hostile-{index}": "x" for index in range(10_000)}
            self._send("200 OK", EMPTY_LIST, **headers)
        elif mode == "throttle-forever":
            self._send("429 Too Many Requests", THROTTLED, **{"Retry-After": "100000"})
        elif mode == "throttle-300":
            self._send("429 Too Many Requests", THROTTLED, **{"Retry-After": "300"})
        elif mode.startswith("redirect-"):
            status = {"302": "302 Found", "307": "307 Temporary Redirect", "308": "308 Permanent Redirect"}[mode[-3:]]
            self._send(status, b"", Location=self.server.redirect_to.rstrip("/") + self.path)
        else:
            raise ValueError(f"unknown hostile mode {mode!r}")


class _RecorderHandler(_Handler):
    def answer(self) -> None:
        with self.server.lock:
            self.server.received.append({"method": self.command, "path": self.path, "headers": dict(self.headers)})
        self._send("200 OK", EMPTY_LIST)


@contextmanager
def _serving(server: _Server) -> Iterator[str]:
    """Serve from a daemon thread; on exit, stop accepting and tell every handler to end."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    host, port = server.socket.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def serve_hostile(mode: str, redirect_to: str | None = None) -> Iterator[str]:
    """Serve one hostile mode on 127.0.0.1 (a free port); yields the API base `http://127.0.0.1:PORT/client/v4`.

    The redirect modes point their `Location` at `redirect_to` (e.g. a `serve_recorder()` URL) plus the path.
    """
    if mode not in (*MODES, *SLOW_MODES):
        raise ValueError(f"unknown hostile mode {mode!r}; one of {', '.join((*MODES, *SLOW_MODES))}")
    if mode.startswith("redirect-") and redirect_to is None:
        raise ValueError(f"mode {mode!r} needs redirect_to, e.g. the URL of serve_recorder()")
    if mode == "gzip-bomb":
        gzip_bomb()  # compressed before the first request, so the answer is not late for the client
    with _serving(_Server("127.0.0.1", _HostileHandler, mode, redirect_to or "")) as url:
        yield url + "/client/v4"


@contextmanager
def serve_recorder(host: str = "127.0.0.2") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve a listener that records every request it receives; yields its URL and the list of requests."""
    server = _Server(host, _RecorderHandler)
    with _serving(server) as url:
        yield url, server.received
