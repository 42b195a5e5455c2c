"""Serving the mock with uvicorn: in the foreground for the CLI, or in a thread for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from pcaps_contract.errors import UsageError


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


def _server(app: ASGIApp, log_level: str) -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off"))


def serve(app: ASGIApp, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    _server(app, log_level).run(sockets=[sock])


@contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve an app from a background thread; yields its base URL (`http://127.0.0.1:PORT`), stops on exit."""
    sock = bind(host, port)
    server = _server(app, "error")
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
