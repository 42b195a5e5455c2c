"""`proxy`: a reverse proxy in front of an implementation that judges the real traffic passing through it.

Every request is forwarded unchanged (method, path and query as sent, headers, body) to the upstream's origin, and
the upstream's answer comes back unchanged (status, headers, body bytes as they came, content encoding included),
streamed: the judge keeps at most the body cap of each answer for itself. Nothing is sent on the proxy's own
initiative. Each exchange then goes to the passive judge (`_passive`), each violation is printed as it is found,
and on Ctrl-C or SIGTERM the reports are written. A raw ASGI app rather than Starlette routes: a route would
re-read the path and the headers, and the proxy must pass them on byte for byte.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import httpx
import uvicorn

from pcaps_contract._credentials import Credentials
from pcaps_contract._errors import UsageError
from pcaps_contract._limits import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT
from pcaps_contract._passive import PassiveJudge
from pcaps_contract._report import Failure, GateReport, Ledger
from pcaps_contract._report_dir import write_report_dir
from pcaps_contract._spec import Spec
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
            print(f"proxy: {method} {url}: the upstream did not answer ({type(exc).__name__})", file=self.log)
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
            print(f"proxy: {method} {url}: the upstream broke off its answer ({type(exc).__name__})", file=self.log)
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
        print(f"VIOLATION {view.render_failure(failure)}\n", file=out if out is not None else sys.stdout, flush=True)

    return show


@dataclass
class ProxyRun:
    """One proxy's judge and recording, from the first request to the reports."""

    upstream: TargetUrl
    judge: PassiveJudge
    recording: Recording | None
    report_dir: Path | None

    @classmethod
    def start(cls, upstream: TargetUrl, spec: Spec, report_dir: Path | None, out: TextIO | None = None) -> ProxyRun:
        judge = PassiveJudge(spec, on_failure=live_printer(upstream.base_url, out))
        judge.warm()  # before the proxy is announced: no client's first answer waits for a schema to compile
        recording = Recording(report_dir / EXCHANGES_FILE, judge.secrets) if report_dir is not None else None
        return cls(upstream, judge, recording, report_dir)

    def finish(self) -> GateReport:
        """The report of everything seen; written into the report folder (JSON, JUnit, HTML), the recording closed."""
        if self.recording is not None:
            self.recording.close()
        report = self.judge.report(self.upstream.base_url, "proxy")
        if self.report_dir is not None:
            write_report_dir(report, self.report_dir, "proxy")
        return report


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or a UsageError that says why the address cannot be used."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError, OverflowError):
        raise UsageError(f"cannot listen on {host}:{port}: the host is not a known address; try 127.0.0.1.") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port.") from None
    return sock


def _server(app: ProxyApp) -> uvicorn.Server:
    # No Date or Server header of uvicorn's own: the upstream's come back as they were.
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", server_header=False, date_header=False
    )
    return uvicorn.Server(config)


def serve(run: ProxyRun, app: ProxyApp, sock: socket.socket) -> GateReport:
    """Serve in the foreground until SIGINT or SIGTERM, then write the reports."""
    server = _server(app)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    # Ours before uvicorn's: uvicorn gives a signal it caught back to these once it has shut down.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    host, port = sock.getsockname()[:2]
    print(
        f"proxy: http://{host}:{port} -> {run.upstream.origin} (judging {run.upstream.base_url}); "
        "Ctrl-C writes the reports",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return run.finish()


@contextmanager
def serve_in_thread(app: ProxyApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the proxy from a background thread (tests, benchmarks); yields its URL, stops on exit."""
    sock = listen(host, port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the proxy thread stopped before it started serving")
            time.sleep(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
