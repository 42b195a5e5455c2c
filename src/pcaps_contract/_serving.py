"""Serving an ASGI app with uvicorn on a socket of our own: the mock and the proxy both listen this way.

The socket is bound before uvicorn starts, so that a bad address is one sentence (a `UsageError`) rather than
uvicorn's log, and so that port 0 can be resolved to the port picked before anything is announced.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn

from pcaps_contract._errors import UsageError


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


def serve(server: uvicorn.Server, sock: socket.socket, banner: str = "") -> None:
    """Print the banner to stderr, then serve until SIGINT or SIGTERM; a second SIGINT forces the shutdown."""

    def stop(signum: int, frame: FrameType | None) -> None:
        server.force_exit = server.should_exit and signum == signal.SIGINT
        server.should_exit = True

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
def in_thread(server: uvicorn.Server, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve from a background thread (tests, benchmarks); yields the base URL (`http://127.0.0.1:PORT`)."""
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
