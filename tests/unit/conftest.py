"""Fixtures of the unit tests: a module of small apps, importable as `--app` imports it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

APP_MODULE = "pcaps_unit_targets_app"
APP_SOURCE = """
async def asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"].endswith("/crash"):
        raise RuntimeError("a bug in the app")
    if scope["path"].endswith("/late-crash"):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("a bug after the answer began")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"asgi " + scope["path"].encode()})


def wsgi(environ, start_response):
    if environ["PATH_INFO"].endswith("/crash"):
        raise RuntimeError("a bug in the app")
    if environ["PATH_INFO"].endswith("/late-crash"):
        start_response("200 OK", [])
        raise RuntimeError("a bug after the answer began")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"wsgi ", environ["PATH_INFO"].encode()]


class Holder:
    app = wsgi


NOT_AN_APP = "a string"
"""


@pytest.fixture
def app_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module of small apps in the current directory, importable as `--app` imports it; removed afterwards."""
    (tmp_path / f"{APP_MODULE}.py").write_text(APP_SOURCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", str(tmp_path))])
    yield APP_MODULE
    sys.modules.pop(APP_MODULE, None)
