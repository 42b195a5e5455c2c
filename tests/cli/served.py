"""Servers and traffic for the end-to-end tests: the mock and gallery variants of it served on 127.0.0.1, a server
that answers 404 to everything, and a HAR by hand."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import Outcome, Run
from tests.gallery import broken
from tests.gallery.broken import OWNER

# The caller's token in `har_of_a_broken_list`: no report may show it.
HAR_SECRET = "a-secret-token-of-a-user-1234"


@contextmanager
def served_mock() -> Iterator[str]:
    """The correct mock (any account, the development credentials); yields its base URL ending in /client/v4."""
    with serve_in_thread(create_app(MockConfig())) as url:
        yield url + "/client/v4"


@contextmanager
def served_variant(name: str) -> Iterator[str]:
    """A gallery variant in front of a mock that accepts any account, so that a plain `schemathesis run` (which
    cannot pin the account) reaches the success paths; yields its base URL ending in /client/v4."""
    original = getattr(broken, name)
    variant = broken.Broken(original.respond, original.request)
    variant._app = create_app(MockConfig())
    with serve_in_thread(variant) as url:
        yield url + "/client/v4"


def har_of_a_broken_list(path: Path) -> Path:
    """One exchange: a list answered 200 with `success: false` and the caller's token echoed in the body."""
    entry = {
        "startedDateTime": "2026-05-01T10:00:00.000Z",
        "time": 5,
        "request": {
            "method": "GET",
            "url": f"https://api.example.com/client/v4/accounts/{OWNER}/pcaps/ownership",
            "headers": [{"name": "Authorization", "value": f"Bearer {HAR_SECRET}"}],
        },
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"text": json.dumps({"success": False, "errors": [], "messages": [], "result": [HAR_SECRET]})},
        },
    }
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}), encoding="utf-8")
    return path


def verify_text(run_cli: Run, folder: Path, text: str) -> Outcome:
    """`verify` of a file holding `text`, which it must refuse: exit 2, one line, no traceback."""
    path = folder / "traffic.har"
    path.write_text(text, encoding="utf-8")
    outcome = run_cli("verify", str(path))
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    assert outcome.stderr.count("\n") == 1 and "Traceback" not in outcome.stderr, outcome.stderr
    return outcome


# What a web server that is not the API answers on any path: a page of its own, or a line of text.
NOT_FOUND_BODIES = {
    "html": ("text/html; charset=utf-8", b"<html><body><h1>404 Not Found</h1><p>nginx</p></body></html>"),
    "plain": ("text/plain", b"404 page not found"),
}


LISTED_NOTHING = json.dumps({"errors": [], "messages": [], "result": [], "success": True}).encode()


class _NotFound(BaseHTTPRequestHandler):
    """Answers 404 with the server's body to every request, and keeps the method and path of each."""

    protocol_version = "HTTP/1.1"
    timeout = 10.0  # a connection that sends nothing for this long is closed
    server: Any

    def _answer(self) -> None:
        length = self.headers.get("Content-Length", "0")
        if length.isdigit():
            self.rfile.read(int(length))
        with self.server.lock:
            self.server.received.append((self.command, self.path))
        content_type, body = self.server.body
        status = 404
        if self.server.lists and self.command == "GET" and self.path.endswith("/pcaps/ownership"):
            content_type, body, status = "application/json", LISTED_NOTHING, 200
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_TRACE = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_not_found(kind: str, *, lists: bool = False) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A server on 127.0.0.1 that answers 404 with an HTML page or a line of text (`kind`) to every request (but
    a list, which it answers with an empty listing when `lists`); yields its origin and the (method, path) of
    every request it received. It stops when the block ends."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    server.daemon_threads = True
    server.body = NOT_FOUND_BODIES[kind]
    server.lists = lists
    server.lock = threading.Lock()
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
