"""Serving the mock with uvicorn: in the foreground for the CLI, or in a thread for tests and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp

from pcaps_contract._serving import Limits, bind, in_thread, serve

__all__ = ["bind", "make_server", "serve", "serve_in_thread"]


def make_server(app: ASGIApp, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server of the app, quiet except for warnings, without an access log (it costs throughput)."""
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="off"))


@contextmanager
def serve_in_thread(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None
) -> Iterator[str]:
    """Serve an app from a background thread; yields its base URL (`http://127.0.0.1:PORT`), stops on exit."""
    with in_thread(make_server(app, "error"), host, port, limits) as url:
        yield url
