"""`proxy`: a reverse proxy in front of an implementation that judges the real traffic passing through it.

Every request is forwarded unchanged (method, path and query as sent, headers, body) to the upstream's origin, and
the upstream's answer comes back unchanged (status, headers, body bytes as they came, content encoding included),
streamed: the judge keeps at most the body cap of each answer for itself. Nothing is sent on the proxy's own
initiative. Each exchange then goes to the passive judge (`passive.judging`), each violation is printed as it is found,
and on Ctrl-C or SIGTERM the reports are written. A raw ASGI app rather than Starlette routes: a route would
re-read the path and the headers, and the proxy must pass them on byte for byte.
"""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx
import uvicorn

from pcaps_contract import _serving as serving
from pcaps_contract._limits import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, MAX_PROXIED_REQUEST_BYTES
from pcaps_contract._terminal import painted, printable
from pcaps_contract._text import clip
from pcaps_contract._urls import TargetUrl
from pcaps_contract.openapi import Spec
from pcaps_contract.passive.judging import PassiveJudge
from pcaps_contract.passive.off_path import OffPathJudge
from pcaps_contract.passive.traffic import Recorded, Recording, decoded
from pcaps_contract.report import (
    EVENTS_FILE,
    TEXT_STYLES,
    Event,
    FailureFound,
    Listener,
    RunEvents,
    RunFinished,
    RunReport,
    RunStarted,
    failure_text,
    fan_out,
    shown_command,
    write_report_dir,
)

EXCHANGES_FILE = "exchanges.ndjson"
# Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection, never forwarded; Host names the upstream.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
    | {"proxy-authenticate", "proxy-authorization"}
)
_UNREACHABLE = b"pcaps-contract proxy: the upstream did not answer\n"
# What HTTP does not allow in a header of an answer (RFC 9110 section 5.5: no control characters but tab; a name
# is a token): such a header the upstream sent is dropped on its way back, never written.
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class _BodyTooLarge(Exception):
    """The client's request body passed the cap while it was being forwarded."""


class _ClientGone(Exception):
    """The client disconnected before its request body was whole."""


@dataclass
class _Body:
    """A request body on its way to the upstream: the first `keep` bytes kept for the judge, the whole counted."""

    keep: int
    kept: bytearray = field(default_factory=bytearray)
    size: int = 0

    def take(self, chunk: bytes, most: int) -> bytes:
        self.size += len(chunk)
        if self.size > most:
            raise _BodyTooLarge
        if len(self.kept) < self.keep:
            self.kept += chunk[: self.keep - len(self.kept)]
        return chunk


class ProxyApp:
    """The ASGI app: forward first (the body streamed under a cap), stream the answer back, then hand the exchange
    to the judge off the request path."""

    def __init__(
        self,
        upstream: TargetUrl,
        judge: OffPathJudge,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        log: TextIO | None = None,
        max_request_bytes: int = MAX_PROXIED_REQUEST_BYTES,
    ) -> None:
        self.upstream = upstream
        self.judge = judge
        self.cap = max_response_bytes
        self.max_request_bytes = max_request_bytes
        self.timeout = timeout
        self.log = log if log is not None else sys.stderr
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:  # made inside the server's event loop, on the first request
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.timeout), follow_redirects=False, trust_env=False
            )
        return self._client

    async def __call__(self, scope: Any, receive: Callable[[], Any], send: Callable[[Any], Any]) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        if scope["type"] != "http":
            return
        answered = [False]

        async def answer(message: dict[str, Any]) -> None:
            answered[0] = True
            await send(message)

        try:
            await self._forward(scope, receive, answer)
        except _ClientGone:
            return
        except Exception as exc:  # whatever a client or an upstream sends: no traceback, no crash
            self._say(scope, f"could not forward the request ({type(exc).__name__})")
            if not answered[0]:
                await _plain(send, 502, b"pcaps-contract proxy: the request could not be forwarded\n")

    async def _forward(self, scope: Any, receive: Callable[[], Any], send: Callable[[Any], Any]) -> None:
        method = scope["method"]
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        if not path.startswith(b"/"):  # `OPTIONS *`, an absolute URL: not a path under the upstream's origin
            await _plain(send, 400, b"pcaps-contract proxy: the request target must be a path (/...)\n")
            return
        query = scope.get("query_string") or b""
        url = self.upstream.origin + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        host = self.upstream.origin.split("://", 1)[1]
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in scope["headers"]
            if name.decode("latin-1").lower() not in _HOP_BY_HOP | {"host"}
        ]
        headers.insert(0, ("Host", host))
        declared = next((value for name, value in headers if name.lower() == "content-length"), None)
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_request_bytes:
            await self._too_large(scope, send)
            return
        body = _Body(self.cap)
        first = await receive()
        if first["type"] == "http.disconnect":
            raise _ClientGone
        content: bytes | AsyncIterator[bytes]
        if first.get("more_body"):
            content = self._stream(
                body, body.take(first.get("body", b""), self.max_request_bytes), receive, method, url
            )
        else:
            content = body.take(first.get("body", b""), self.max_request_bytes)
            self.judge.begin(method, url, bytes(body.kept))
        started = time.time()
        try:
            request = self._http().build_request(method, url, headers=headers, content=content)
        except httpx.InvalidURL:
            await _plain(send, 400, b"pcaps-contract proxy: the request target is not a URL path\n")
            return
        try:
            response = await self._http().send(request, stream=True)
        except _BodyTooLarge:
            await self._too_large(scope, send)
            return
        except httpx.HTTPError as exc:
            self.judge.lost(method, url, bytes(body.kept))
            self._say(scope, f"the upstream did not answer ({type(exc).__name__})")
            await _plain(send, 502, _UNREACHABLE)
            return
        await self._answer(scope, send, response, method, url, headers, body, started)

    async def _stream(
        self, body: _Body, first: bytes, receive: Callable[[], Any], method: str, url: str
    ) -> AsyncIterator[bytes]:
        """The request body as the client sends it, chunk by chunk, under the cap; the judge told once it is whole."""
        yield first
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            yield body.take(message.get("body", b""), self.max_request_bytes)
            if not message.get("more_body"):
                break
        self.judge.begin(method, url, bytes(body.kept))

    async def _answer(
        self,
        scope: Any,
        send: Callable[[Any], Any],
        response: httpx.Response,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: _Body,
        started: float,
    ) -> None:
        kept, total = bytearray(), 0
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": self._passable(scope, response.headers.raw),
                }
            )
            async for chunk in response.aiter_raw():
                total += len(chunk)
                if len(kept) <= self.cap:
                    kept += chunk[: self.cap + 1 - len(kept)]
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError as exc:  # the upstream broke off in the middle of its body
            self.judge.lost(method, url, bytes(body.kept))
            self._say(scope, f"the upstream broke off its answer ({type(exc).__name__})")
            return
        finally:
            await response.aclose()
        content, cut = decoded(bytes(kept), response.headers.get("content-encoding"), self.cap)
        recorded = Recorded(
            method=method,
            url=url,
            request_headers=tuple(headers),
            request_body=bytes(body.kept),
            status=response.status_code,
            response_headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw),
            response_body=content,
            started=started,
            ended=time.time(),
            truncated=cut or total > self.cap,
        )
        self.judge.feed(recorded)

    def _passable(self, scope: Any, raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The answer's headers to pass back: not hop-by-hop, and none HTTP forbids (dropped, said in one line)."""
        passed = []
        for name, value in raw:
            if name.decode("latin-1").lower() in _HOP_BY_HOP:
                continue
            if _TOKEN.fullmatch(name) is None or _BAD_VALUE.search(value) is not None:
                shown = name.decode("latin-1").encode("unicode_escape").decode("ascii")
                self._say(scope, f"dropped the upstream's header {clip(shown, 60)}: control characters in it")
                continue
            passed.append((name, value))
        return passed

    async def _too_large(self, scope: Any, send: Callable[[Any], Any]) -> None:
        self._say(scope, f"refused a request body larger than {self.max_request_bytes} bytes (413)")
        await _plain(
            send,
            413,
            f"pcaps-contract proxy: request bodies are at most {self.max_request_bytes} bytes\n".encode(),
            close=True,
        )

    def _say(self, scope: Any, what: str) -> None:
        """One line on the log about one request; its target shown escaped (it is the client's text)."""
        target = (scope.get("raw_path") or b"").decode("latin-1").encode("unicode_escape").decode("ascii")
        method = str(scope.get("method", "")).encode("unicode_escape").decode("ascii")
        print(printable(f"proxy: {method} {clip(target, 120)}: {what}"), file=self.log, flush=True)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _lifespan(self, receive: Callable[[], Any], send: Callable[[Any], Any]) -> None:
        """The server's start and stop: on stop, the connections to the upstream are closed with the event loop's."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _plain(send: Callable[[Any], Any], status: int, text: bytes, close: bool = False) -> None:
    """An answer of the proxy's own: plain text, and `Connection: close` when the rest of the request is unread."""
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(text)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})


def live_printer(target: str, out: TextIO | None = None) -> Listener:
    """The listener that prints each violation as it is found: check, operation, Expected / Received, a curl with
    variables (the credentials of the request that found it)."""

    def show(event: Event) -> None:
        if not isinstance(event, FailureFound) or event.credentials is None:
            return
        stream = out if out is not None else sys.stdout
        print(
            painted(f"VIOLATION {failure_text(event.failure, event.credentials)}\n", TEXT_STYLES, stream),
            file=stream,
            flush=True,
        )

    return show


@dataclass
class ProxyRun:
    """One proxy's judge and recording, from the first request to the reports."""

    upstream: TargetUrl
    judge: PassiveJudge
    recording: Recording | None
    report_dir: Path | None
    events: RunEvents
    judging: OffPathJudge
    command: str = ""  # the command line, secrets as $VARIABLES, for the reports to show

    @classmethod
    def start(
        cls,
        upstream: TargetUrl,
        spec: Spec,
        report_dir: Path | None,
        out: TextIO | None = None,
        argv: tuple[str, ...] = (),
    ) -> ProxyRun:
        """The judge, the recording and the event log of a proxy about to serve; `argv` its command line's words."""
        judge = PassiveJudge(spec)
        # Secrets are learned from the traffic as it passes: each line is redacted with what is known by then.
        command = shown_command(argv, judge.secrets.redact)
        events = RunEvents(report_dir / EVENTS_FILE if report_dir is not None else None, judge.secrets.redact, command)
        judge.listener = fan_out(live_printer(upstream.base_url, out), events)
        judge.warm()  # before the proxy is announced: no client's first answer waits for a schema to compile
        events(RunStarted(judge.report(upstream.base_url, "proxy")))
        recording = Recording(report_dir / EXCHANGES_FILE, judge.secrets) if report_dir is not None else None
        return cls(upstream, judge, recording, report_dir, events, OffPathJudge(judge, recording), command)

    def finish(self) -> RunReport:
        """The report of everything seen, written into the report folder (JSON, JUnit, HTML, the event log's last
        line); the recording closed."""
        self.judging.close()  # everything forwarded so far judged and recorded first
        if self.recording is not None:
            self.recording.close()
        report = self.judge.report(self.upstream.base_url, "proxy")
        report.command = self.command
        if self.report_dir is not None:
            write_report_dir(report, self.report_dir, "proxy")
        self.events(RunFinished(report))
        return report


def _server(app: ProxyApp) -> uvicorn.Server:
    # No Date or Server header of uvicorn's own: the upstream's come back as they were.
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        server_header=False,
        date_header=False,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


def serve(run: ProxyRun, app: ProxyApp, sock: socket.socket) -> RunReport:
    """Serve in the foreground until SIGINT or SIGTERM, then write the reports."""
    host, port = sock.getsockname()[:2]
    banner = (
        f"proxy: http://{host}:{port} -> {run.upstream.origin} (judging {run.upstream.base_url}); "
        "Ctrl-C writes the reports"
    )
    if exposed := serving.exposure_warning(sock, "this proxy, and through it the upstream"):
        banner += "\n" + exposed
    serving.serve(_server(app), sock, banner)
    return run.finish()


def serve_in_thread(app: ProxyApp, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
    """Serve the proxy from a background thread (tests, benchmarks); yields its URL, stops on exit."""
    return serving.in_thread(_server(app), host, port)
