"""What the gate judges: the bundled mock or another app in-process, or a server at a base URL."""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from pcaps_contract._credentials import Credentials
from pcaps_contract._errors import PcapsContractError, UsageError

if TYPE_CHECKING:
    from pcaps_contract._urls import TargetUrl

API_BASE_PATH = "/client/v4"
IN_PROCESS_ORIGIN = "http://localhost"
# The accounts the bundled mock serves when none are given: two, so that tenancy is judged too.
MOCK_ACCOUNTS = ("023e105f4ecef8ad9ca31a8372d0c353", "9a7806061c88ada191ed06f989cc3dac")


class TargetError(PcapsContractError):
    """The target cannot be reached or refuses the credentials: the run cannot judge it."""


class _AsgiServer:
    """An ASGI app as a server shows it: an unhandled exception answers 500 instead of crashing the gate."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Any) -> None:
            nonlocal started
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            if started:
                raise
            await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"Internal Server Error"})


def _wsgi_server(app: Any) -> Any:
    """A WSGI app as a server shows it: an unhandled exception answers 500 instead of crashing the gate."""

    def serve(environ: Any, start_response: Any) -> Any:
        started = False

        def tracked(status: str, headers: Any, exc_info: Any = None) -> Any:
            nonlocal started
            started = True
            return start_response(status, headers, exc_info)

        try:
            return list(app(environ, tracked))
        except Exception:
            if started:
                raise  # a second start_response would need exc_info, with which httpx and werkzeug re-raise anyway
            # Without exc_info: given it, httpx's and werkzeug's WSGI drivers re-raise instead of answering 500.
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"Internal Server Error"]

    return serve


def as_server(app: Any) -> Any:
    """The in-process app wrapped so that its crashes are 500 answers, as behind any real server."""
    from schemathesis.transport import is_asgi_app

    return _AsgiServer(app) if is_asgi_app(app) else _wsgi_server(app)


@dataclass(frozen=True)
class Target:
    """An implementation to judge: an ASGI/WSGI app in-process, or a base URL."""

    description: str
    base_url: str
    app: Any = None
    # A served target's base URL as `_urls.parse_target` read it, once (the same URL as `base_url`: not compared).
    url: TargetUrl | None = field(default=None, compare=False, repr=False)

    @classmethod
    def served_at(cls, url: TargetUrl) -> Target:
        """The server at a base URL already read (and refused where it had to be) by `_urls.parse_target`."""
        return cls(url.base_url, url.base_url, url=url)

    @property
    def in_process(self) -> bool:
        return self.app is not None

    def client(self, headers: Mapping[str, str] | None = None, timeout: float = 30.0) -> httpx.Client:
        """An HTTP client whose relative URLs start at the API base (e.g. `/accounts/...`)."""
        transport: httpx.BaseTransport | None = None
        if self.app is not None:
            from schemathesis.transport import is_asgi_app

            if is_asgi_app(self.app):
                from starlette.exceptions import StarletteDeprecationWarning

                with warnings.catch_warnings():
                    # Starlette 1.x prefers `httpx2` for its test client; the pinned `httpx` works the same.
                    warnings.simplefilter("ignore", StarletteDeprecationWarning)
                    from starlette.testclient import TestClient

                return TestClient(self.app, base_url=self.base_url, headers=dict(headers or {}))
            transport = httpx.WSGITransport(app=self.app)
        return httpx.Client(base_url=self.base_url, headers=dict(headers or {}), transport=transport, timeout=timeout)


@dataclass(frozen=True)
class TargetName:
    """What a run judges, as the person named it: a server's base URL, an app's `MODULE:ATTR`, or neither (the
    bundled mock). Plain data: nothing is imported or served until the run opens it (`open_target`)."""

    url: TargetUrl | None = None  # read once and refused by `urls.parse_target` (`base_url_target`)
    app: str | None = None  # `MODULE:ATTR`, its shape checked (`app_target`)

    @property
    def in_process(self) -> bool:
        return self.url is None

    @property
    def base_url(self) -> str:
        return self.url.base_url if self.url is not None else IN_PROCESS_ORIGIN + API_BASE_PATH

    @property
    def description(self) -> str:
        if self.url is not None:
            return self.url.base_url
        return f"{self.app} (in-process)" if self.app is not None else BUNDLED_MOCK


BUNDLED_MOCK = "the bundled mock (in-process)"


def open_target(name: TargetName, credentials: Credentials, accounts: tuple[str, ...]) -> Target:
    """The target a run sends to, opened once when it starts: the app imported (`load_app`), or the bundled mock
    built to accept exactly these credentials for exactly these accounts.

    Raises:
        UsageError: the app cannot be imported or is not an app, in one sentence.
    """
    if name.url is not None:
        return Target.served_at(name.url)
    if name.app is not None:
        return load_app(name.app)
    return bundled_mock(credentials, accounts)


def mock_credentials() -> Credentials:
    """The bundled mock's development token: public on purpose, used when no credentials are given."""
    from pcaps_contract.mock import DEV_TOKEN

    return Credentials(token=DEV_TOKEN)


def bundled_mock(credentials: Credentials, accounts: tuple[str, ...]) -> Target:
    """The bundled mock, in-process, accepting exactly these credentials for exactly these accounts."""
    from pcaps_contract.mock import MockConfig, create_app

    config = MockConfig(
        token=credentials.token or "",
        email=credentials.email or "",
        api_key=credentials.api_key or "",
        accounts=accounts,
    )
    return Target(BUNDLED_MOCK, IN_PROCESS_ORIGIN + API_BASE_PATH, as_server(create_app(config)))


def app_target(reference: str) -> TargetName:
    """`--app MODULE:ATTR` as named, its shape checked before anything is imported.

    Raises:
        UsageError: the reference is not `MODULE:ATTRIBUTE`.
    """
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"--app {reference!r} is not MODULE:ATTRIBUTE, e.g. `myservice.main:app`.")
    return TargetName(app=reference)


def load_app(reference: str) -> Target:
    """The ASGI or WSGI app named `module:attribute` (the current directory is importable)."""
    app_target(reference)
    module_name, _, attribute = reference.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"--app: cannot import {module_name} ({exc}); check the module path.") from None
    app: Any = module
    for part in attribute.split("."):
        app = getattr(app, part, None)
        if app is None:
            raise UsageError(f"--app: {module_name} has no attribute {attribute}; check the name.")
    if not callable(app):
        raise UsageError(f"--app: {reference} is not an ASGI or WSGI app.")
    return Target(f"{reference} (in-process)", IN_PROCESS_ORIGIN + API_BASE_PATH, as_server(app))


def base_url_target(base_url: str | None, *, allow_production: bool = False) -> TargetName:
    """A server at a base URL such as `http://127.0.0.1:8787/client/v4`, read and refused by `urls.parse_target`."""
    from pcaps_contract._urls import parse_target

    return TargetName(url=parse_target(base_url, allow_production=allow_production))
