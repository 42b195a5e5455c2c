"""`proxy`: a reverse proxy in front of an implementation that judges the real traffic passing through it.

Every request is forwarded unchanged (method, path and query as sent, headers, body) to the upstream's origin, and
the upstream's answer comes back unchanged (status, headers, body bytes as they came, content encoding included),
streamed: the judge keeps at most the body cap of each answer for itself. Nothing is sent on the proxy's own
initiative. Each exchange then goes to the passive judge (`_passive`), each violation is printed as it is found,
and on Ctrl-C or SIGTERM the reports are written. A raw ASGI app rather than Starlette routes: a route would
re-read the path and the headers, and the proxy must pass them on byte for byte.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import uvicorn

from pcaps_contract import _serving as serving
from pcaps_contract._credentials import Credentials
from pcaps_contract._limits import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT
from pcaps_contract._passive import PassiveJudge
from pcaps_contract._report import TEXT_STYLES, Failure, GateReport, Ledger
from pcaps_contract._report_dir import EVENTS_FILE, RunEvents, write_report_dir
from pcaps_contract._spec import Spec
from pcaps_contract._terminal import painted, printable
from pcaps_contract._traffic import Recorded, Recording, decoded
from pcaps_contract._urls import TargetUrl

EXCHANGES_FILE = "exchanges.ndjson"
# Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection, never forwarded; Host names the upstream.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}
    | {"proxy-authenticate", "proxy-authorization"}
)
_UNREACHABLE = b"pcaps-contract proxy: the upstream did not answer\n"


class ProxyApp:
    """The ASGI app: forward, stream back, then judge and record the exchange."""

    def __init__(
        self,
        upstream: TargetUrl,
        judge: PassiveJudge,
        recording: Recording | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        timeout: float = DEFAULT_TIMEOUT,
        log: TextIO | None = None,
    ) -> None:
        self.upstream = upstream
        self.judge = judge
        self.recording = recording
        self.cap = max_response_bytes
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
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string") or b""
        url = self.upstream.origin + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        host = self.upstream.origin.split("://", 1)[1]
        headers = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, value in scope["headers"]
            if name.decode("latin-1").lower() not in _HOP_BY_HOP | {"host"}
        ]
        headers.insert(0, ("Host", host))
        method = scope["method"]
        started = time.time()
        self.judge.begin(method, url, body)
        try:
            response = await self._http().send(httpx.Request(method, url, headers=headers, content=body), stream=True)
        except httpx.HTTPError as exc:
            self.judge.lost(method, url, body)
            print(
                printable(f"proxy: {method} {url}: the upstream did not answer ({type(exc).__name__})"), file=self.log
            )
            await send({"type": "http.response.start", "status": 502, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": _UNREACHABLE})
            return
        kept, total = bytearray(), 0
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (k, v) for k, v in response.headers.raw if k.decode("latin-1").lower() not in _HOP_BY_HOP
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                total += len(chunk)
                if len(kept) <= self.cap:
                    kept += chunk[: self.cap + 1 - len(kept)]
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except httpx.HTTPError as exc:  # the upstream broke off in the middle of its body
            self.judge.lost(method, url, body)
            print(
                printable(f"proxy: {method} {url}: the upstream broke off its answer ({type(exc).__name__})"),
                file=self.log,
            )
            return
        finally:
            await response.aclose()
        content, cut = decoded(bytes(kept), response.headers.get("content-encoding"), self.cap)
        recorded = Recorded(
            method=method,
            url=url,
            request_headers=tuple(headers),
            request_body=body,
            status=response.status_code,
            response_headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw),
            response_body=content,
            started=started,
            ended=time.time(),
            truncated=cut or total > self.cap,
        )
        self.judge.feed(recorded)
        if self.recording is not None:
            self.recording.write(recorded)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def live_printer(target: str, out: TextIO | None = None) -> Callable[[Failure, Credentials], None]:
    """What prints each violation as it is found: check, operation, Expected / Received, a curl with variables."""

    def show(failure: Failure, credentials: Credentials) -> None:
        view = GateReport(target, 0, "proxy", Ledger([], []), credentials)
        stream = out if out is not None else sys.stdout
        print(painted(f"VIOLATION {view.render_failure(failure)}\n", TEXT_STYLES, stream), file=stream, flush=True)

    return show


@dataclass
class ProxyRun:
    """One proxy's judge and recording, from the first request to the reports."""

    upstream: TargetUrl
    judge: PassiveJudge
    recording: Recording | None
    report_dir: Path | None
    events: RunEvents

    @classmethod
    def start(cls, upstream: TargetUrl, spec: Spec, report_dir: Path | None, out: TextIO | None = None) -> ProxyRun:
        show = live_printer(upstream.base_url, out)

        def found(failure: Failure, credentials: Credentials) -> None:
            show(failure, credentials)
            events.failed(failure)

        judge = PassiveJudge(spec, on_failure=found)
        # Secrets are learned from the traffic as it passes: each line is redacted with what is known by then.
        events = RunEvents(report_dir / EVENTS_FILE if report_dir is not None else None, judge.secrets.redact)
        judge.warm()  # before the proxy is announced: no client's first answer waits for a schema to compile
        events.started(judge.report(upstream.base_url, "proxy"))
        recording = Recording(report_dir / EXCHANGES_FILE, judge.secrets) if report_dir is not None else None
        return cls(upstream, judge, recording, report_dir, events)

    def finish(self) -> GateReport:
        """The report of everything seen, written into the report folder (JSON, JUnit, HTML, the event log's last
        line); the recording closed."""
        if self.recording is not None:
            self.recording.close()
        report = self.judge.report(self.upstream.base_url, "proxy")
        if self.report_dir is not None:
            write_report_dir(report, self.report_dir, "proxy")
        self.events.finished(report)
        return report


def _server(app: ProxyApp) -> uvicorn.Server:
    # No Date or Server header of uvicorn's own: the upstream's come back as they were.
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        server_header=False,
        date_header=False,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


def serve(run: ProxyRun, app: ProxyApp, sock: socket.socket) -> GateReport:
    """Serve in the foreground until SIGINT or SIGTERM, then write the reports."""
    host, port = sock.getsockname()[:2]
    banner = (
        f"proxy: http://{host}:{port} -> {run.upstream.origin} (judging {run.upstream.base_url}); "
        "Ctrl-C writes the reports"
    )
    serving.serve(_server(app), sock, banner)
    return run.finish()


def serve_in_thread(app: ProxyApp, host: str = "127.0.0.1", port: int = 0) -> AbstractContextManager[str]:
    """Serve the proxy from a background thread (tests, benchmarks); yields its URL, stops on exit."""
    return serving.in_thread(_server(app), host, port)
