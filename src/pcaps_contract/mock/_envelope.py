"""The response envelope of the API: success around a result, failure around one or more errors."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from starlette.responses import Response


class ErrorCode(IntEnum):
    """The error codes the mock answers with; the spec asks for integers of 1000 or more.

    Where the real API's code for a situation is known it is reused (authentication 9xxx/10000,
    routing 7xxx, malformed JSON 6007); the 1xxx codes are the mock's own.
    """

    INVALID_FIELD = 1001
    OWNERSHIP_NOT_FOUND = 1002
    BUCKET_NOT_REACHABLE = 1003
    BODY_TOO_LARGE = 1004
    UNSUPPORTED_MEDIA_TYPE = 1005
    BODY_REQUIRED = 1006
    MOCK_FULL = 1007
    RATE_LIMITED = 1010
    INJECTED_SERVER_ERROR = 1011
    STORE_UNAVAILABLE = 1012
    MALFORMED_JSON = 6007
    NO_ROUTE = 7000
    METHOD_NOT_ALLOWED = 7001
    INVALID_IDENTIFIER = 7003
    MISSING_CREDENTIALS = 9106
    INVALID_EMAIL_OR_KEY = 9103
    INVALID_TOKEN = 9109
    ACCOUNT_NOT_ALLOWED = 10000


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of `errors`: a code, a message that helps, and optionally the request field at fault."""

    code: ErrorCode
    message: str
    pointer: str | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"code": int(self.code), "message": self.message}
        if self.pointer is not None:
            entry["source"] = {"pointer": self.pointer}
        return entry


@dataclass
class ApiError(Exception):
    """A request the API refuses: the HTTP status and the errors of the failure envelope."""

    status: int
    errors: Sequence[ErrorDetail]
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def single(cls, status: int, code: ErrorCode, message: str, pointer: str | None = None, **headers: str) -> ApiError:
        """An ApiError with exactly one error."""
        return cls(status, (ErrorDetail(code, message, pointer),), headers)

    def response(self) -> Response:
        """The failure envelope as a response."""
        body = {"errors": [e.to_json() for e in self.errors], "messages": [], "result": None, "success": False}
        return json_response(body, self.status, self.headers)


def success(result: Any, extra: Mapping[str, Any] | None = None) -> Response:
    """The success envelope around a result, status 200."""
    body = {"errors": [], "messages": [], "result": result, "success": True, **(extra or {})}
    return json_response(body, 200)


def json_response(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response; non-ASCII is escaped so that any string a client sent (even a lone surrogate) encodes."""
    content = json.dumps(body, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return Response(content, status, headers=dict(headers) if headers else None, media_type="application/json")
