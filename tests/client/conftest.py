"""Fixtures of the generated client's tests: the mock in-process, and ways to break its answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Unpack

import httpx
import pytest
from pcaps_client import PcapsClient
from starlette.applications import Starlette
from starlette.testclient import TestClient

from pcaps_contract.mock import DEV_API_KEY, DEV_EMAIL, DEV_TOKEN, MockConfig, create_app
from tests.client.drivers import Driver
from tests.client.helpers import Credentials

BASE_URL = "http://testserver/client/v4"
CREDENTIAL_STYLES: dict[str, Credentials] = {
    "bearer token": {"api_token": DEV_TOKEN},
    "email and key": {"api_email": DEV_EMAIL, "api_key": DEV_API_KEY},
}
Rewrite = Callable[[dict[str, Any]], None]
ClientOn = Callable[..., PcapsClient]


@pytest.fixture(autouse=True)
def no_cloudflare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the credentials they set: none leak in from the developer's shell."""
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY", "CLOUDFLARE_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def mock_app() -> Starlette:
    """One in-process mock for the session; each test uses its own account."""
    return create_app(MockConfig())


@pytest.fixture
def mock_http(mock_app: Starlette) -> Iterator[TestClient]:
    """An httpx.Client (starlette's TestClient) that talks to the in-process mock."""
    with TestClient(mock_app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture
def account() -> str:
    """An account id no other test uses."""
    return uuid.uuid4().hex


# Typed as the httpx.Client it is: starlette types TestClient against httpx2, so mypy would see its answers as Any.
@pytest.fixture
def broken_mock(mock_http: httpx.Client) -> Callable[[Rewrite], httpx.Client]:
    """An httpx.Client whose JSON answers come from the mock, then pass through a rewrite (a broken server)."""

    def make(rewrite: Rewrite) -> httpx.Client:
        def handler(request: httpx.Request) -> httpx.Response:
            answer = mock_http.send(request)
            if not answer.content:
                return answer
            body = answer.json()
            rewrite(body)
            return httpx.Response(answer.status_code, json=body)

        return httpx.Client(transport=httpx.MockTransport(handler), base_url=BASE_URL)

    return make


@pytest.fixture(params=list(CREDENTIAL_STYLES.values()), ids=list(CREDENTIAL_STYLES))
def credentials(request: pytest.FixtureRequest) -> Credentials:
    """Each credential style the mock accepts, as PcapsClient keyword arguments."""
    style: Credentials = request.param
    return style.copy()


@pytest.fixture
def client_on() -> ClientOn:
    """A PcapsClient (development token unless credentials are given) that sends through an httpx.Client."""

    def make(http: httpx.Client, strict: bool = True, **credentials: Unpack[Credentials]) -> PcapsClient:
        if not credentials:
            credentials = {"api_token": DEV_TOKEN}
        client = PcapsClient(base_url=BASE_URL, strict=strict, **credentials)
        return client.set_httpx_client(http)

    return make


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """PcapsClient, then AsyncPcapsClient, built and called the same way, their waits recorded instead of slept."""
    with asyncio.Runner() as runner:
        built = Driver(request.param, runner)
        yield built
        built.close()
