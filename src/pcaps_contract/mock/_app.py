"""The mock as a Starlette app: the spec's four operations under `/client/v4`, plus one test-support route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pcaps_contract._errors import SpecError
from pcaps_contract._text import clip
from pcaps_contract.mock._auth import authenticate, authorize_account
from pcaps_contract.mock._challenges import ChallengeDelivery
from pcaps_contract.mock._config import MockConfig
from pcaps_contract.mock._envelope import ApiError, ErrorCode, success
from pcaps_contract.mock._faults import FaultInjector
from pcaps_contract.mock._rules import OperationRule, RouteRule, SpecRules
from pcaps_contract.mock._state import Ownership, Store
from pcaps_contract.openapi import Spec, api, load_spec

API_PREFIX = "/client/v4"
CHALLENGE_ROUTE = "/__mock__/accounts/{account_id}/challenges/{ownership_id}"
# Every answer of the API says, in this header, that the challenge route is served beside it (its value is the
# route): a checker reads a record's challenge there, so that the success path of validation is judged over a
# network too. A development-only route, off the API's prefix, that no real server has.
CHALLENGE_HEADER = "x-pcaps-mock-challenges"

Handler = Callable[[dict[str, str], Any], Awaitable[Response]]


class OwnershipApi:
    """The four operations over one store; every request is routed, authenticated and checked by the spec's rules."""

    def __init__(self, config: MockConfig, rules: SpecRules) -> None:
        self.config = config
        self.rules = rules
        self.store = Store(config.max_records, config.max_stored_bytes, config.max_account_bytes)
        self.delivery = ChallengeDelivery(config.s3_endpoint)
        self.handlers: dict[str, Handler] = {
            api.ADD: self.add_bucket,
            api.LIST: self.list_buckets,
            api.DELETE: self.delete_bucket,
            api.VALIDATE: self.validate_bucket,
        }
        declared = {operation.operation_id for route in rules.routes for operation in route.operations.values()}
        if declared != set(self.handlers):
            raise SpecError(
                f"the mock implements {sorted(self.handlers)} but {rules.spec.path} declares {sorted(declared)}; "
                "give the spec exactly the mock's operations."
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every request under the API prefix (an ASGI app, so that it receives every HTTP method)."""
        try:
            response = await self._dispatch(Request(scope, receive))
        except ApiError as error:
            response = error.response()
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        path = "/" + request.path_params["api_path"]
        route, operation, params = self._route(request.method, path)
        authenticate(request.headers, self.config)
        for route_param in route.params:
            route_param.check(params[route_param.name])
        authorize_account(params.get("account_id", ""), self.config)
        body = None
        if operation.body_schema is not None:
            raw = await self._read_body(request)
            body = self.rules.parse_body(operation, request.headers.get("content-type"), raw)
        return await self.handlers[operation.operation_id](params, body)

    def _route(self, method: str, path: str) -> tuple[RouteRule, OperationRule, dict[str, str]]:
        """The operation for a method and path; 404 when no path matches, 405 with `Allow` when no method does."""
        found = self.rules.match(path)
        if found is None:
            raise ApiError.single(
                404, ErrorCode.NO_ROUTE, f"No route for that URI: {API_PREFIX}{clip(path, 80, '...')}; check the path."
            )
        route, params = found
        operation = route.operations.get(method)
        if operation is None:
            allow = ", ".join(sorted(route.operations))
            raise ApiError.single(
                405,
                ErrorCode.METHOD_NOT_ALLOWED,
                f"Method {clip(method, 80, '...')} not allowed for that URI; use {allow}.",
                Allow=allow,
            )
        return route, operation, params

    async def _read_body(self, request: Request) -> bytes:
        """The request body, refused with 413 as soon as it exceeds the limit, before it is all read."""
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
        return b"".join(chunks)

    async def add_bucket(self, params: dict[str, str], body: Any) -> Response:
        record = Ownership.new(body["destination_conf"])
        if self.delivery.delivers(record.destination_conf):
            await run_in_threadpool(self.delivery.deliver, record)
        full = self.store.add(params["account_id"], record)
        if full is not None:
            raise ApiError.single(400, ErrorCode.MOCK_FULL, full)
        return success(record.to_json())

    async def list_buckets(self, params: dict[str, str], body: Any) -> Response:
        records = [record.to_json() for record in self.store.list(params["account_id"])]
        count = len(records)
        info = {"page": 1, "per_page": count, "count": count, "total_count": count, "total_pages": 1}
        return success(records, {"result_info": info})

    async def delete_bucket(self, params: dict[str, str], body: Any) -> Response:
        if not self.store.delete(params["account_id"], params["ownership_id"]):
            raise _no_such_ownership()
        return Response(status_code=204)

    async def validate_bucket(self, params: dict[str, str], body: Any) -> Response:
        record = self.store.validate(params["account_id"], body["destination_conf"], body["ownership_challenge"])
        if record is None:
            raise ApiError.single(
                404,
                ErrorCode.OWNERSHIP_NOT_FOUND,
                "no bucket with this destination_conf was added to the account; add it before validating.",
                "/destination_conf",
            )
        return success(record.to_json())

    async def challenge(self, request: Request) -> Response:
        """Test support: the challenge content of a record, as the bucket would hold it."""
        content = self.store.challenge(request.path_params["account_id"], request.path_params["ownership_id"])
        if content is None:
            return _no_such_ownership().response()
        return PlainTextResponse(content)


def _too_large(limit: int) -> ApiError:
    return ApiError.single(
        413,
        ErrorCode.BODY_TOO_LARGE,
        f"the request body is larger than {limit} bytes; send a small JSON object.",
        Connection="close",
    )


def _no_such_ownership() -> ApiError:
    return ApiError.single(
        404, ErrorCode.OWNERSHIP_NOT_FOUND, "no bucket with this id in the account; list the buckets to find its id."
    )


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (outside the API prefix) in the failure envelope."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        method = clip(request.method, 80, "...")
        code, message = ErrorCode.METHOD_NOT_ALLOWED, f"Method {method} not allowed for that URI."
    else:
        code, message = ErrorCode.NO_ROUTE, f"No route for that URI; the API lives under {API_PREFIX}."
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    return ApiError.single(status, code, message, **headers).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    error = ApiError.single(500, ErrorCode.INJECTED_SERVER_ERROR, "internal error of the mock; please report it.")
    return error.response()


def create_app(config: MockConfig | None = None, spec: Spec | None = None) -> Starlette:
    """The mock as an ASGI app.

    Args:
        config: credentials, account scope, S3 endpoint and faults; the defaults when None.
        spec: the spec whose rules the mock enforces; the bundled spec when None.
    """
    config = config or MockConfig()
    api = OwnershipApi(config, SpecRules(spec or load_spec()))
    app = Starlette(
        routes=[
            Route(API_PREFIX + "/{api_path:path}", api),
            Route(CHALLENGE_ROUTE, api.challenge, methods=["GET"]),
        ],
        exception_handlers={HTTPException: _http_exception, Exception: _server_error},
    )
    app.add_middleware(ApiLane, api=api, prefix=API_PREFIX + "/")
    if config.faults_enabled:
        app.add_middleware(FaultInjector, config=config, prefix=API_PREFIX + "/")
    app.state.api = api
    return app


_ADVERTISED = (CHALLENGE_HEADER.encode(), CHALLENGE_ROUTE.encode())


def _advertising(send: Send) -> Send:
    """`send` with the challenge route's header added to the answer's head."""

    async def advertise(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), _ADVERTISED]}
        await send(message)

    return advertise


class ApiLane:
    """Hands API requests straight to the API, past Starlette's router and exception layers.

    The API answers every request under its prefix itself (its errors are responses, not exceptions), so the
    layers only cost time: about a third of a create request. Starlette's error middleware still wraps it.
    """

    def __init__(self, app: ASGIApp, api: OwnershipApi, prefix: str) -> None:
        self.app = app
        self.api = api
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Lifespan scopes carry no path: only HTTP requests are looked at.
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            scope["path_params"] = {"api_path": scope["path"][len(self.prefix) :]}
            await self.api(scope, receive, _advertising(send))
        else:
            await self.app(scope, receive, send)
