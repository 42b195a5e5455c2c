"""The sync and the async client driven alike, so that one test shows that both behave the same.

A Driver builds a PcapsClient or an AsyncPcapsClient on an in-process app, a scripted handler or a real socket,
records every status the client heard and every wait it took (its `sleep` / `async_sleep`, so nothing sleeps), and
calls an operation by name, running the coroutine of the async client on one event loop for the whole test.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
from pcaps_client import AsyncPcapsClient, PcapsClient
from starlette.testclient import TestClient
from starlette.types import ASGIApp

from pcaps_contract.mock import DEV_TOKEN

BASE_URL = "http://testserver/client/v4"
Handler = Callable[[httpx.Request], httpx.Response]
AnyClient = PcapsClient | AsyncPcapsClient


class Driver:
    """One flavour of the client (`sync` or `async`), built and called the same way."""

    def __init__(self, flavour: str, runner: asyncio.Runner) -> None:
        self.flavour = flavour
        self.is_async = flavour == "async"
        self.waits: list[float] = []
        self.statuses: list[int] = []
        self._runner = runner
        self._open: list[httpx.Client | httpx.AsyncClient] = []

    def _heard(self, response: httpx.Response) -> None:
        self.statuses.append(response.status_code)

    async def _aheard(self, response: httpx.Response) -> None:
        self._heard(response)

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def _await(self, seconds: float) -> None:
        self._wait(seconds)

    def client(
        self, base_url: str = BASE_URL, *, app: ASGIApp | None = None, handler: Handler | None = None, **options: Any
    ) -> AnyClient:
        """A client (the development token unless credentials are given) on `app` in-process, on `handler`
        (httpx.MockTransport), or else on a real socket at base_url."""
        if not {"api_token", "api_email", "api_key"} & options.keys():
            options["api_token"] = DEV_TOKEN
        if self.is_async:
            transport: httpx.AsyncBaseTransport | None = None
            if app is not None:
                transport = httpx.ASGITransport(app=app)
            elif handler is not None:
                transport = httpx.MockTransport(handler)
            ahttp = httpx.AsyncClient(transport=transport, base_url=base_url, event_hooks={"response": [self._aheard]})
            self._open.append(ahttp)
            built = AsyncPcapsClient(base_url=base_url, async_sleep=self._await, **options)
            return built.set_async_httpx_client(ahttp)
        http: httpx.Client
        if app is not None:
            http = TestClient(app, base_url=base_url)
        else:
            http = httpx.Client(transport=httpx.MockTransport(handler) if handler else None, base_url=base_url)
        http.event_hooks = {"response": [self._heard]}
        self._open.append(http)
        return PcapsClient(base_url=base_url, sleep=self._wait, **options).set_httpx_client(http)

    def call(self, client: AnyClient, operation: str, *args: Any) -> Any:
        """The operation's result; the async client's coroutine is run to its end."""
        return self.run(getattr(client, operation)(*args))

    def run(self, result: Any) -> Any:
        """A coroutine's result on this driver's event loop; anything else as it is."""
        return self._runner.run(result) if asyncio.iscoroutine(result) else result

    def challenge(self, client: AnyClient, account: str, ownership_id: str) -> str:
        """The challenge the mock wrote for a record (its test route, outside the API and its faults)."""
        http = client.get_async_httpx_client() if self.is_async else client.get_httpx_client()
        route = f"/__mock__/accounts/{account}/challenges/{ownership_id}"
        answer = self.run(http.get(http.base_url.copy_with(path=route)))
        assert isinstance(answer, httpx.Response) and answer.status_code == 200, answer
        return answer.text

    def close(self) -> None:
        """Close every httpx client this driver opened."""
        for http in self._open:
            if isinstance(http, httpx.AsyncClient):
                self._runner.run(http.aclose())
            else:
                http.close()
