"""A gallery of broken implementations: the correct mock behind ASGI middleware that breaks one rule each.

Each module attribute is an app `pcaps-contract check --app tests.gallery.broken:NAME` must fail, naming
the check in `BREAKS[NAME]`; `TOLERATED` holds apps that do what the real API legitimately does and must pass.
The mock itself has no breakage switches: the gate judges it as it would judge any implementation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pcaps_contract.engine.targets import MOCK_ACCOUNTS
from pcaps_contract.mock import MockConfig, create_app

OWNER, OTHER = MOCK_ACCOUNTS
_ACCOUNT = re.compile(r"/accounts/([^/]*)/")


@dataclass
class Exchange:
    """The request as the middleware saw it, and the response it may rewrite."""

    method: str
    path: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @json.setter
    def json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()

    @property
    def request_json(self) -> Any:
        try:
            return json.loads(self.request_body)
        except ValueError:
            return None

    @property
    def operation(self) -> str:
        path = self.path.rstrip("/")
        if path.endswith("/pcaps/ownership"):
            return {"GET": "list_buckets", "POST": "add_bucket"}.get(self.method, "")
        if path.endswith("/pcaps/ownership/validate") and self.method == "POST":
            return "validate_bucket"
        return "delete_bucket" if self.method == "DELETE" else ""

    def records(self) -> list[dict[str, Any]]:
        body = self.json
        result = body.get("result") if isinstance(body, dict) else None
        items = result if isinstance(result, list) else [result]
        return [item for item in items if isinstance(item, dict)]


class Broken:
    """An ASGI app: the correct mock, with the request and/or the response rewritten."""

    def __init__(
        self,
        respond: Callable[[Exchange], None] | None = None,
        request: Callable[[Exchange], None] | None = None,
        config: MockConfig | None = None,
    ) -> None:
        self._app: ASGIApp | None = None
        self.respond = respond
        self.request = request
        self.config = config or MockConfig(accounts=MOCK_ACCOUNTS)

    def behind(self, config: MockConfig) -> Broken:
        """The same breakage in front of a mock made with `config` (e.g. a canary token, rehearsal faults)."""
        return Broken(self.respond, self.request, config)

    @property
    def app(self) -> ASGIApp:
        """The correct mock behind this variant, created on first use (each variant has its own)."""
        if self._app is None:
            self._app = create_app(self.config)
        return self._app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        exchange = Exchange(scope["method"], scope["path"], headers, b"".join(chunks))
        if self.request is not None:
            self.request(exchange)
        scope = {
            **scope,
            "path": exchange.path,
            "raw_path": exchange.path.encode(),
            "headers": [
                (key.encode("latin-1"), value.encode("latin-1")) for key, value in exchange.request_headers.items()
            ],
        }
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": exchange.request_body, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                exchange.body += message.get("body", b"")

        await self.app(scope, replay, capture)
        if self.respond is not None:
            self.respond(exchange)
        answer_headers = [(key, value) for key, value in exchange.headers if key.lower() != b"content-length"]
        if exchange.body or exchange.status != 204:
            answer_headers.append((b"content-length", str(len(exchange.body)).encode()))
        await send({"type": "http.response.start", "status": exchange.status, "headers": answer_headers})
        await send({"type": "http.response.body", "body": exchange.body})


def _on_records(
    change: Callable[[dict[str, Any]], None], operations: tuple[str, ...] = ()
) -> Callable[[Exchange], None]:
    """A response rewrite applied to every Ownership record of successful answers."""

    def respond(exchange: Exchange) -> None:
        if exchange.status == 200 and (not operations or exchange.operation in operations):
            body = exchange.json
            records = exchange.records()
            for record in records:
                change(record)
            if isinstance(body, dict) and records:
                result = body["result"]
                body["result"] = records if isinstance(result, list) else records[0]
                exchange.json = body

    return respond


def _on_envelope(change: Callable[[Exchange, dict[str, Any]], None]) -> Callable[[Exchange], None]:
    def respond(exchange: Exchange) -> None:
        body = exchange.json
        if isinstance(body, dict):
            change(exchange, body)
            exchange.json = body

    return respond


def _set(record: dict[str, Any], **values: Any) -> None:
    record.update(values)


# --- the envelope ------------------------------------------------------------------------------------


def _success_false(exchange: Exchange, body: dict[str, Any]) -> None:
    if exchange.status == 200:
        body["success"] = False


def _success_true_on_error(exchange: Exchange, body: dict[str, Any]) -> None:
    if exchange.status >= 400:
        body["success"] = True


def _drop_result(exchange: Exchange, body: dict[str, Any]) -> None:
    if exchange.status == 200 and exchange.operation == "add_bucket":
        del body["result"]


def _result_on_failure(exchange: Exchange, body: dict[str, Any]) -> None:
    if exchange.status >= 400:
        body["result"] = {}


def _no_errors_on_failure(exchange: Exchange, body: dict[str, Any]) -> None:
    if exchange.status >= 400:
        body["errors"] = []


def _code_999(exchange: Exchange, body: dict[str, Any]) -> None:
    for error in body.get("errors") or []:
        error["code"] = 999


def _body_on_204(exchange: Exchange) -> None:
    if exchange.status == 204:
        exchange.json = {"success": True, "errors": [], "messages": [], "result": None}


def _created_201(exchange: Exchange) -> None:
    if exchange.status == 200 and exchange.operation == "add_bucket":
        exchange.status = 201


def _text_plain(exchange: Exchange) -> None:
    exchange.headers = [(k, b"text/plain" if k.lower() == b"content-type" else v) for k, v in exchange.headers]


def _fail(exchange: Exchange, status: int, code: int, message: str) -> None:
    exchange.status = status
    exchange.json = {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}


def _sent_conf(exchange: Exchange) -> str:
    body = exchange.request_json
    return str(body.get("destination_conf", "")) if isinstance(body, dict) else ""


def _server_error_on_r2(exchange: Exchange) -> None:
    if _sent_conf(exchange).startswith("r2://"):
        _fail(exchange, 500, 10000, "internal")


def _accept_invalid(exchange: Exchange) -> None:
    if exchange.status == 400 and exchange.operation == "add_bucket":
        exchange.status = 200
        exchange.json = {
            "success": True,
            "errors": [],
            "messages": [],
            "result": {
                "id": "0" * 32,
                "destination_conf": "s3://accepted",
                "filename": "ownership-challenge-0.txt",
                "status": "pending",
                "submitted": "2026-01-01T00:00:00Z",
            },
        }


def _reject_valid_s3(exchange: Exchange) -> None:
    if exchange.status == 200 and _sent_conf(exchange).startswith("s3://"):
        _fail(exchange, 400, 1002, "bad bucket")


def _crash_on_gs(exchange: Exchange) -> None:
    if _sent_conf(exchange).startswith("gs://"):
        raise RuntimeError("unhandled: no GCS client configured")


def _no_auth_needed(exchange: Exchange) -> None:
    if "authorization" not in exchange.request_headers and "x-auth-key" not in exchange.request_headers:
        exchange.request_headers["authorization"] = "Bearer pcaps-contract-dev-token"


def _put_answers_200(exchange: Exchange) -> None:
    if exchange.status == 405:
        exchange.status = 200
        exchange.json = {"success": True, "errors": [], "messages": [], "result": []}


# --- the lifecycle and tenancy -----------------------------------------------------------------------


class _Memory:
    """What a broken middleware remembers across requests."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.owner: dict[str, str] = {}
        self.deleted: set[str] = set()


def _empty_list(exchange: Exchange) -> None:
    if exchange.status == 200 and exchange.operation == "list_buckets":
        body = exchange.json
        body["result"] = []
        exchange.json = body


def _deleted_still_listed() -> Broken:
    memory = _Memory()

    def respond(exchange: Exchange) -> None:
        if exchange.status == 200 and exchange.operation == "add_bucket":
            record = exchange.records()[0]
            memory.records[record["id"]] = record
        elif exchange.status == 204:
            memory.deleted.add(exchange.path.rsplit("/", 1)[-1])
        elif exchange.status == 200 and exchange.operation == "list_buckets":
            body = exchange.json
            body["result"] = (body["result"] or []) + [memory.records[i] for i in memory.deleted if i in memory.records]
            exchange.json = body

    return Broken(respond)


def _second_delete_204(exchange: Exchange) -> None:
    if exchange.operation == "delete_bucket" and exchange.status == 404:
        exchange.status = 204
        exchange.body = b""
        exchange.headers = [(k, v) for k, v in exchange.headers if k.lower() != b"content-type"]


def _delete_never_finds(exchange: Exchange) -> None:
    if exchange.operation == "delete_bucket" and exchange.status == 204:
        _fail(exchange, 404, 1004, "not found")
        exchange.headers = [(k, v) for k, v in exchange.headers if k.lower() != b"content-length"]
        exchange.headers.append((b"content-type", b"application/json"))


def _validate_other_id(record: dict[str, Any]) -> None:
    record["id"] = "f" * 32


def _shared_store(exchange: Exchange) -> None:
    exchange.path = exchange.path.replace(f"/accounts/{OTHER}/", f"/accounts/{OWNER}/")


def _owner_routing(operation: str) -> Broken:
    """A server that finds records by id (or bucket) alone, ignoring the account of the path for one operation."""
    memory = _Memory()

    def request(exchange: Exchange) -> None:
        if exchange.operation != operation:
            return
        if operation == "delete_bucket":
            owner = memory.owner.get(exchange.path.rsplit("/", 1)[-1])
        else:
            body = exchange.request_json
            owner = memory.owner.get(body.get("destination_conf", "")) if isinstance(body, dict) else None
        if owner is not None:
            exchange.path = _ACCOUNT.sub(f"/accounts/{owner}/", exchange.path, count=1)

    def respond(exchange: Exchange) -> None:
        if exchange.status == 200 and exchange.operation == "add_bucket":
            record = exchange.records()[0]
            account = _ACCOUNT.search(exchange.path)
            if account is not None:
                memory.owner[record["id"]] = account.group(1)
                memory.owner[record["destination_conf"]] = account.group(1)

    return Broken(respond, request)


# --- the gallery: app -> the check that must name its breakage ---------------------------------------

success_false_on_200 = Broken(_on_envelope(_success_false))
success_true_on_error = Broken(_on_envelope(_success_true_on_error))
result_missing_on_success = Broken(_on_envelope(_drop_result))
result_not_null_on_failure = Broken(_on_envelope(_result_on_failure))
errors_empty_on_failure = Broken(_on_envelope(_no_errors_on_failure))
error_code_999 = Broken(_on_envelope(_code_999))
body_on_204 = Broken(_body_on_204)
status_outside_enum = Broken(_on_records(lambda r: _set(r, status="verified")))
short_id = Broken(_on_records(lambda r: _set(r, id=r["id"][:31])))
submitted_with_space = Broken(_on_records(lambda r: _set(r, submitted=r["submitted"].replace("T", " "))))
submitted_without_offset = Broken(_on_records(lambda r: _set(r, submitted=r["submitted"].rstrip("Z"))))
submitted_in_future = Broken(_on_records(lambda r: _set(r, submitted="2999-01-01T00:00:00Z")))
validated_before_submitted = Broken(_on_records(lambda r: _set(r, validated="2000-01-01T00:00:00Z")))
destination_conf_not_echoed = Broken(_on_records(lambda r: _set(r, destination_conf=r["destination_conf"] + "x")))
created_201 = Broken(_created_201)
wrong_content_type = Broken(_text_plain)
server_error_on_r2 = Broken(_server_error_on_r2)
crashes_on_gs_buckets = Broken(request=_crash_on_gs)
accepts_invalid_bucket = Broken(_accept_invalid)
rejects_valid_s3_bucket = Broken(_reject_valid_s3)
accepts_requests_without_auth = Broken(request=_no_auth_needed)
undeclared_method_answers_200 = Broken(_put_answers_200)
created_not_listed = Broken(_empty_list)
deleted_still_listed = _deleted_still_listed()
second_delete_answers_204 = Broken(_second_delete_204)
delete_never_finds_the_ownership = Broken(_delete_never_finds)
validate_returns_another_id = Broken(_on_records(_validate_other_id, ("validate_bucket",)))
accounts_share_one_store = Broken(request=_shared_store)
validate_ignores_account = _owner_routing("validate_bucket")
delete_ignores_account = _owner_routing("delete_bucket")

BREAKS: dict[str, str] = {
    "success_false_on_200": "success_matches_status",
    "success_true_on_error": "success_matches_status",
    "result_missing_on_success": "success_has_result",
    "result_not_null_on_failure": "failure_has_null_result",
    "errors_empty_on_failure": "failure_has_errors",
    "error_code_999": "response_schema_conformance",
    "body_on_204": "no_content_has_empty_body",
    "status_outside_enum": "response_schema_conformance",
    "short_id": "response_schema_conformance",
    "submitted_with_space": "timestamps_are_rfc3339",
    "submitted_without_offset": "timestamps_are_rfc3339",
    "submitted_in_future": "submitted_is_not_in_future",
    "validated_before_submitted": "validated_is_not_before_submitted",
    "destination_conf_not_echoed": "destination_conf_is_echoed",
    "created_201": "response_schema_conformance",
    "wrong_content_type": "content_type_conformance",
    "server_error_on_r2": "not_a_server_error",
    "crashes_on_gs_buckets": "not_a_server_error",
    "accepts_invalid_bucket": "negative_data_rejection",
    "rejects_valid_s3_bucket": "positive_data_acceptance",
    "accepts_requests_without_auth": "ignored_auth",
    "undeclared_method_answers_200": "unsupported_method",
    "created_not_listed": "created_ownership_is_listed",
    "deleted_still_listed": "deleted_ownership_is_not_listed",
    "second_delete_answers_204": "second_delete_is_not_found",
    "delete_never_finds_the_ownership": "created_ownership_can_be_deleted",
    "validate_returns_another_id": "validate_returns_same_id",
    "accounts_share_one_store": "foreign_ownership_is_not_listed",
    "validate_ignores_account": "foreign_ownership_is_not_validated",
    "delete_ignores_account": "foreign_ownership_is_not_deleted",
}


# --- what the real API legitimately does: the gate must pass all of these ---------------------------


def _extras(exchange: Exchange, body: dict[str, Any]) -> None:
    body["request_id"] = "c0ffee"
    body["messages"] = [{"code": 10050, "message": "this endpoint will change", "documentation_url": "https://x"}]
    if exchange.status == 200 and exchange.operation == "list_buckets":
        body["result_info"] = {"page": 1, "per_page": 25, "count": 0, "total_count": 0, "total_pages": 1}
        if not body.get("result"):
            body["result"] = None
    result = body.get("result")
    for record in result if isinstance(result, list) else [result]:
        if isinstance(record, dict):
            record["bucket_region"] = "auto"


def _offset_timestamps(record: dict[str, Any]) -> None:
    record["submitted"] = record["submitted"].replace("Z", ".000+00:00")
    if record.get("validated"):
        record["validated"] = record["validated"].replace("Z", "+00:00")


extra_fields_and_messages = Broken(_on_envelope(_extras))
# Offsets, fractions and a lower-case `t`/`z` are all RFC 3339 (section 5.6 and its note).
timestamps_with_offsets_and_fractions = Broken(_on_records(_offset_timestamps))

TOLERATED = ("extra_fields_and_messages", "timestamps_with_offsets_and_fractions")


def wsgi_refusing_everyone(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A WSGI app that refuses every request with 403: `--app` loads WSGI too, and refusal is exit 2."""
    body = {
        "success": False,
        "errors": [{"code": 10000, "message": "Authentication error"}],
        "messages": [],
        "result": None,
    }
    start_response("403 Forbidden", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
