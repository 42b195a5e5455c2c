"""Serving an ASGI app with uvicorn on a socket of our own: the mock and the proxy both listen this way.

The socket is bound before uvicorn starts, so that a bad address is one sentence (a `UsageError`) rather than
uvicorn's log, and so that port 0 can be resolved to the port picked before anything is announced.

Every connection is served under a `_Guard`, the one place that bounds what a client may hold, with either of
uvicorn's parsers: a request head not complete within `Limits.head_seconds` ends the connection (408 when part of it
came), a head over `Limits.head_bytes` is answered 431, a body not complete within `Limits.body_seconds` after its
head ends it too, and past `Limits.connections` open connections the one that has waited longest for a whole
request is closed to make room (a request already being answered is never cut).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import resource
import signal
import socket
import sys
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar, Literal, cast

import h11
import httptools
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from pcaps_contract._errors import UsageError
from pcaps_contract._limits import BODY_SECONDS, HEAD_SECONDS, MAX_CONNECTIONS, MAX_HEAD_BYTES, MIN_CONNECTIONS
from pcaps_contract._terminal import printable
from pcaps_contract._text import clip


@dataclass(frozen=True)
class Limits:
    """What one client may hold of a server of ours; `connections=None` takes half the open-file limit.

    `http` names uvicorn's HTTP parser (httptools, the fast default, or h11): the bounds hold for both alike.
    """

    head_seconds: float = HEAD_SECONDS
    head_bytes: int = MAX_HEAD_BYTES
    body_seconds: float = BODY_SECONDS
    connections: int | None = None
    http: Literal["httptools", "h11"] = "httptools"

    def connection_cap(self) -> int:
        if self.connections is not None:
            return self.connections
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return MAX_CONNECTIONS
        return max(MIN_CONNECTIONS, min(MAX_CONNECTIONS, soft // 2))


# Where a request head ends: an empty line (parsers take a bare LF for CRLF too).
_END_OF_HEAD = re.compile(rb"\n\r?\n")


class _Guard:
    """One connection's deadlines for reading a request (its head, then its body) and the head's size, and the
    connection's place under the server's connection cap.

    Its protocol calls `opened`, `admit` (before each read is parsed), `head_done`, `body_done`, `await_head`
    (after each answer, when no request is already waiting) and `closed`.
    """

    def __init__(self, limits: Limits, cap: int, others: Collection[object]) -> None:
        self.limits = limits
        self.cap = cap
        self.others = others  # every open connection of the server (uvicorn's own set), this one included
        self.transport: asyncio.Transport | None = None
        # When it began to wait for the request it is reading; None once a request is whole (being answered).
        self.reading_since: float | None = None
        self._in_head = False
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._seen = 0  # bytes of the head being waited for
        self._tail = b""  # the last bytes of it, where an end of head may begin

    def opened(self, transport: asyncio.Transport) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport = transport
        self.await_head()
        self._make_room()

    def await_head(self) -> None:
        self.closed()
        self.reading_since = self.loop.time()
        self._in_head = True
        self._head_timer = self.loop.call_later(self.limits.head_seconds, self._head_too_slow)
        self._seen, self._tail = 0, b""

    def head_done(self) -> None:
        """The head is whole: the body, if any, has `body_seconds` to come."""
        if not self._in_head:
            return
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._body_timer = self.loop.call_later(self.limits.body_seconds, self._body_too_slow)

    def body_done(self) -> None:
        """The request is whole: the app answers it, for as long as it takes."""
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        if not self._in_head:
            self.reading_since = None

    def closed(self) -> None:
        self._in_head = False
        self.body_done()
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def admit(self, data: bytes) -> bool:
        """Whether a read may be parsed; False when it takes the head past its size (431 sent, connection closed).

        A head must end within `head_bytes`; a read that ends it may carry a body or the next request beyond.
        """
        if not self._in_head:
            return True
        bound, seen = self.limits.head_bytes, self._seen
        self._seen += len(data)
        window = self._tail + data[: max(0, bound - seen)]
        self._tail = window[-3:]
        if self._seen <= bound or (seen < bound and _END_OF_HEAD.search(window)):
            return True
        self.refuse(431, "Request Header Fields Too Large")
        return False

    def refuse(self, status: int, reason: str) -> None:
        """Answer with a bare status and close: no request was read, so no parser can answer it."""
        self.closed()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(
                f"HTTP/1.1 {status} {reason}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()
            )
            self.transport.close()

    def _close(self) -> None:
        self.closed()
        if self.transport is not None:
            self.transport.close()

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._in_head:
            return
        if self._seen:
            self.refuse(408, "Request Timeout")  # part of a head came: say why the connection ends
        else:
            self._close()

    def _body_too_slow(self) -> None:
        self._body_timer = None
        if self.reading_since is not None and not self._in_head:
            self._close()  # the app may be reading it: only the connection can end, not with an answer

    def _make_room(self) -> None:
        """Past the cap, close the open connection that has waited longest for a whole request (this one if every
        other is answering one)."""
        guards = [guard for other in self.others if isinstance(guard := getattr(other, "guard", None), _Guard)]
        open_now = [guard for guard in guards if guard.transport is not None and not guard.transport.is_closing()]
        if len(open_now) <= self.cap:
            return
        waiting = [guard for guard in open_now if guard is not self and guard.reading_since is not None]
        if waiting:
            min(waiting, key=lambda guard: guard.reading_since or 0.0)._close()
        else:
            self._close()


# uvicorn's warning of a request its parser refused says neither who sent it nor what was wrong: each guarded
# protocol says both instead (`_refused`), and this filter drops uvicorn's.
_BARE_INVALID = "Invalid HTTP request received."


def _not_bare_invalid(record: logging.LogRecord) -> bool:
    return record.msg != _BARE_INVALID


def _refused(protocol: Any, reason: str) -> None:
    """Log, in one line, a request the parser refused: the peer, what was wrong (the parser's words up to any quote
    of the request, which may carry a credential), and the answer."""
    client = protocol.client
    peer = f"{client[0]}:{client[1]}" if client else "an unknown peer"
    what = printable(clip(reason.partition(":")[0].strip() or "unreadable", 80))
    protocol.logger.warning("Invalid HTTP request from %s (%s): answered 400 and closed.", peer, what)


class _Head(h11.Connection):
    """h11's connection, keeping the status h11 suggests when it refuses what a client sent (431: a head too big)
    and its reason."""

    refused_with = 400
    refused_because = ""

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as error:
            self.refused_with = error.error_status_hint
            self.refused_because = str(error)
            raise


class _Reasoned:
    """httptools' parser of one connection, keeping the reason of the error it raises on what a client sent."""

    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.because = ""

    def feed_data(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.because = str(error)
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.parser, name)


class _Guarded(asyncio.Protocol):
    """What both guarded protocols share: a `_Guard` made with the connection, told when it opens and closes."""

    limits: ClassVar[Limits] = Limits()
    cap: ClassVar[int] = MAX_CONNECTIONS

    def __init__(self, *args: Any, server_state: ServerState, **kwargs: Any) -> None:
        super().__init__(*args, server_state=server_state, **kwargs)  # type: ignore[call-arg]
        self.guard = _Guard(self.limits, self.cap, server_state.connections)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.guard.opened(cast(asyncio.Transport, transport))  # a TCP connection's (uvloop's is no subclass)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.closed()
        super().connection_lost(exc)


class GuardedH11Protocol(_Guarded, H11Protocol):
    """uvicorn's h11 protocol, each connection under a `_Guard`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head = _Head(h11.SERVER, self.limits.head_bytes)
        self.conn = self._head

    def data_received(self, data: bytes) -> None:
        if self.guard.admit(data):
            super().data_received(data)
            state = self.conn.their_state
            if state is not h11.IDLE:
                self.guard.head_done()
            if state is not h11.SEND_BODY:
                self.guard.body_done()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self.guard.await_head()

    def send_400_response(self, msg: str) -> None:
        if self._head.refused_with == 431:
            self.guard.refuse(431, "Request Header Fields Too Large")
        else:
            _refused(self, self._head.refused_because)
            super().send_400_response(msg)


class GuardedHttpToolsProtocol(_Guarded, HttpToolsProtocol):
    """uvicorn's httptools protocol, each connection under a `_Guard` (httptools has no bound of its own)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.parser = cast(httptools.HttpRequestParser, _Reasoned(self.parser))

    def send_400_response(self, msg: str) -> None:
        _refused(self, cast(_Reasoned, self.parser).because)
        super().send_400_response(msg)

    def data_received(self, data: bytes) -> None:
        if self.guard.admit(data):
            super().data_received(data)

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.guard.head_done()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.guard.body_done()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self.guard.await_head()


def guard(config: uvicorn.Config, limits: Limits | None = None) -> None:
    """Serve every connection of the config through a guarded protocol, bounded by `limits`."""
    limits = limits or Limits()
    base = GuardedHttpToolsProtocol if limits.http == "httptools" else GuardedH11Protocol
    protocol = type(base.__name__, (base,), {"limits": limits, "cap": limits.connection_cap()})
    config.http = protocol
    config.h11_max_incomplete_event_size = limits.head_bytes
    logging.getLogger("uvicorn.error").addFilter(_not_bare_invalid)  # once: a filter is added only when not there
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


def exposure_warning(sock: socket.socket, what: str) -> str | None:
    """The warning that a listening socket is reachable beyond this machine (None on a loopback address)."""
    host = str(sock.getsockname()[0])
    try:
        address = ipaddress.ip_address(host.partition("%")[0])
    except ValueError:  # not an IP socket: nothing on the network reaches it
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None
    where = f"every interface ({host})" if address.is_unspecified else host
    return (
        f"warning: listening on {where}: anyone on the network can reach {what}; "
        "--host 127.0.0.1 keeps it to this machine."
    )


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
