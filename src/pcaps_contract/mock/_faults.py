"""Rehearsal faults, off by default and seeded: 429 with Retry-After, 500, added latency, for API requests only."""

from __future__ import annotations

import asyncio
import random
import threading

from starlette.types import ASGIApp, Receive, Scope, Send

from pcaps_contract.mock._config import MockConfig
from pcaps_contract.mock._envelope import ApiError, ErrorCode


class FaultInjector:
    """ASGI middleware that answers a seeded share of the requests under `prefix` with a fault."""

    def __init__(self, app: ASGIApp, config: MockConfig, prefix: str) -> None:
        self.app = app
        self.config = config
        self.prefix = prefix
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()

    def draw(self) -> ApiError | None:
        """The fault for the next request, if any; the same seed gives the same sequence of draws."""
        with self._lock:
            roll = self._random.random()
        config = self.config
        if roll < config.rate_limit_rate:
            return ApiError.single(
                429,
                ErrorCode.RATE_LIMITED,
                f"rate limited (a rehearsal fault of the mock); retry after {config.retry_after} s.",
                **{"Retry-After": str(config.retry_after)},
            )
        if roll < config.rate_limit_rate + config.server_error_rate:
            return ApiError.single(
                500, ErrorCode.INJECTED_SERVER_ERROR, "internal error (a rehearsal fault of the mock); retry later."
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        fault = self.draw()
        if fault is None:
            await self.app(scope, receive, send)
        else:
            await fault.response()(scope, receive, send)
