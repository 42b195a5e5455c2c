"""Serving an ASGI app with uvicorn on a socket of our own: the mock and the proxy both listen this way.

The socket is bound before uvicorn starts, so that a bad address is one sentence (a `UsageError`) rather than
uvicorn's log, and so that port 0 can be resolved to the port picked before anything is announced.

Every connection is served by `GuardedProtocol` (h11, whatever else is installed), the one place that bounds what a
client may hold: a request head not complete within `Limits.head_seconds` ends the connection (408 when part of it
came), a head over `Limits.head_bytes` is answered 431, and past `Limits.connections` open connections the one that
has waited longest for a head is closed to make room (a request already being answered is never cut).
"""

from __future__ import annotations

import asyncio
import re
import resource
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from pcaps_contract._errors import UsageError
from pcaps_contract._limits import HEAD_SECONDS, MAX_CONNECTIONS, MAX_HEAD_BYTES, MIN_CONNECTIONS


@dataclass(frozen=True)
class Limits:
    """What one client may hold of a server of ours; `connections=None` takes half the open-file limit."""

    head_seconds: float = HEAD_SECONDS
    head_bytes: int = MAX_HEAD_BYTES
    connections: int | None = None

    def connection_cap(self) -> int:
        if self.connections is not None:
            return self.connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return MAX_CONNECTIONS
        return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, soft // 2))


# Where a request head ends: an empty line (h11 takes a bare LF for CRLF too).
_END_OF_HEAD = re.compile(rb"\n\r?\n")


def _status_line(status: int, reason: str) -> bytes:
    return f"HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode("ascii")


class _Head(h11.Connection):
    """h11's connection, keeping the status h11 suggests when it refuses what a client sent (431: a head too big)."""

    refused_with = 400

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as error:
            self.refused_with = error.error_status_hint
            raise


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline and a size for each request head, and a cap on open connections."""

    limits: ClassVar[Limits] = Limits()
    cap: ClassVar[int] = MAX_CONNECTIONS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head = _Head(h11.SERVER, self.limits.head_bytes)
        self.conn = self._head
        self.waiting_since: float | None = None  # when it began waiting for a request head; None in a request
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.waiting_since is not None and self._head_too_big(data):
            self._refuse(431, "Request Header Fields Too Large")
            return
        super().data_received(data)
        if self.waiting_since is not None and self.conn.their_state is not h11.IDLE:
            self._stop_waiting()  # the head is complete (or refused): the request is the app's now

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._await_head()

    def send_400_response(self, msg: str) -> None:
        if self._head.refused_with == 431:
            self._refuse(431, "Request Header Fields Too Large")
        else:
            super().send_400_response(msg)

    def _head_too_big(self, data: bytes) -> bool:
        """Whether the head being read does not end within `head_bytes` (h11 bounds only a head still incomplete,
        so a bigger one that arrives whole in one read would pass it)."""
        bound = self.limits.head_bytes
        buffered = self.conn.trailing_data[0]
        if len(buffered) + len(data) <= bound:
            return False
        return _END_OF_HEAD.search((buffered + data)[:bound]) is None

    def _await_head(self) -> None:
        self._stop_waiting()
        self.waiting_since = self.loop.time()
        self._head_timer = self.loop.call_later(self.limits.head_seconds, self._head_too_slow)

    def _stop_waiting(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self.waiting_since = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self.waiting_since is None or self.transport.is_closing():
            return
        if self.conn.trailing_data[0]:
            self._refuse(408, "Request Timeout")  # part of a head came: say why the connection ends
        else:
            self._stop_waiting()
            self.transport.close()

    def _refuse(self, status: int, reason: str) -> None:
        """Answer with a bare status and close: h11 cannot, since no request was read."""
        self._stop_waiting()
        self.transport.write(_status_line(status, reason))
        self.transport.close()

    def _make_room(self) -> None:
        """Past the cap, close the open connection that has waited longest for a head (this one if none waits)."""
        open_now = [other for other in self.connections if not other.transport.is_closing()]
        if len(open_now) <= self.cap:
            return
        waiting = [
            other
            for other in open_now
            if isinstance(other, GuardedProtocol) and other is not self and other.waiting_since is not None
        ]
        if waiting:
            oldest = min(waiting, key=lambda other: other.waiting_since or 0.0)
            oldest._stop_waiting()
            oldest.transport.close()
        else:
            self._stop_waiting()
            self.transport.close()


def guard(config: uvicorn.Config, limits: Limits | None = None) -> None:
    """Serve every connection of the config through GuardedProtocol, bounded by `limits`."""
    limits = limits or Limits()
    protocol = type("GuardedProtocol", (GuardedProtocol,), {"limits": limits, "cap": limits.connection_cap()})
    config.http = protocol
    config.h11_max_incomplete_event_size = limits.head_bytes
    if config.loaded:
        config.http_protocol_class = protocol


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or a UsageError that says why the address cannot be used."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OverflowError):
        raise UsageError(f"cannot listen on {host}:{port}: the host is not a known address; try 127.0.0.1.") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port.") from None
    sock.set_inheritable(True)
    return sock


def serve(server: uvicorn.Server, sock: socket.socket, banner: str = "", limits: Limits | None = None) -> None:
    """Print the banner to stderr, then serve until SIGINT or SIGTERM; a second SIGINT forces the shutdown."""

    def stop(signum: int, frame: FrameType | None) -> None:
        server.force_exit = server.should_exit and signum == signal.SIGINT
        server.should_exit = True

    guard(server.config, limits)
    # Installed before anything is announced, so that a signal sent right after the announcement still ends the
    # server cleanly; uvicorn swaps in its own handlers while it serves and gives the signal back to these after.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    if banner:
        print(banner, file=sys.stderr, flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


@contextmanager
def in_thread(
    server: uvicorn.Server, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None
) -> Iterator[str]:
    """Serve from a background thread (tests, benchmarks); yields the base URL (`http://127.0.0.1:PORT`)."""
    guard(server.config, limits)
    sock = bind(host, port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server thread stopped before it started serving")
            threading.Event().wait(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
