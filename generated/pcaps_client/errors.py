"""The errors the client raises: a broken contract, a failure envelope, a response too large or too slow, an undocumented status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import define


class PcapsClientError(Exception):
    """Root of every error this client raises on purpose."""


class ContractViolation(PcapsClientError):
    """A response breaks the contract of the spec: a field holds a value the spec does not allow.

    Attributes:
        model: the outermost model being parsed, e.g. `OwnershipSingleResponse`.
        path: the field names from that model down to the broken field, e.g. `("result", "status")`.
        expected: what the spec allows there, in words.
        value: the value received (`MISSING` when a required field was absent; the first 64 bytes of a body that
            is not JSON, not UTF-8, nested too deep or not decodable as its Content-Encoding says).
    """

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(expected, value)
        self.model = ""
        self.path: tuple[str, ...] = ()
        self.expected = expected
        self.value = value

    @property
    def field(self) -> str:
        """The broken field as `Model.field.subfield`."""
        dotted = "".join(part if part.startswith("[") else f".{part}" for part in self.path)
        return f"{self.model}{dotted}".lstrip(".")

    def __str__(self) -> str:
        received = "nothing (the required field is missing)" if self.value is MISSING else repr(self.value)
        return f"{self.field or 'the response'} breaks the contract\nExpected: {self.expected}\nReceived: {received}"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@define(frozen=True)
class ApiErrorDetail:
    """One entry of a failure envelope's `errors`."""

    code: int
    message: str
    documentation_url: str | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        where = f" (at {self.pointer})" if self.pointer else ""
        return f"{self.code}: {self.message}{where}"


class PcapsApiError(PcapsClientError):
    """The API answered with a failure (a 4XX or other non-2xx status, a 3XX redirect included: none is followed).

    Attributes:
        status_code: the HTTP status.
        errors: the parsed `errors` of the failure envelope; empty when the body was not a failure envelope.
        body: the raw response body, as text.
        retry_after: the seconds to wait before trying again, from a `Retry-After` header (integer seconds or an
            HTTP date, e.g. on a 429); None when the header is absent or unreadable.
    """

    def __init__(
        self, status_code: int, errors: Sequence[ApiErrorDetail], body: str, retry_after: float | None = None
    ) -> None:
        super().__init__(status_code, tuple(errors), body)
        self.status_code = status_code
        self.errors = tuple(errors)
        self.body = body
        self.retry_after = retry_after

    def __str__(self) -> str:
        if self.errors:
            return f"HTTP {self.status_code}: " + "; ".join(str(error) for error in self.errors)
        return f"HTTP {self.status_code}, and the body is not a failure envelope: {self.body[:200]!r}"


class ResponseTooLarge(PcapsClientError):
    """A response body passed the client's `max_response_bytes` (counted after decompression); it was not read further.

    Attributes:
        limit: the cap in bytes (`max_response_bytes`, 1 MiB by default).
    """

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def __str__(self) -> str:
        return f"the response body is larger than {self.limit} bytes (max_response_bytes); it was not read further"


class ResponseTooSlow(PcapsClientError):
    """The whole response, body included, did not arrive within the timeout's `read` seconds (60 by default).

    httpx's timeouts apply to each read, so a server that sends a byte at a time never trips them; this deadline
    covers the exchange from sending the request to the body's last byte, checked as each piece of the body arrives.

    Attributes:
        seconds: the deadline in seconds.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"the response did not arrive whole within {self.seconds:g} s (the timeout's read seconds)"


class UnexpectedStatus(PcapsClientError):
    """Raised by api functions when the response status an undocumented status and Client.raise_on_unexpected_status is True"""

    def __init__(self, status_code: int, content: bytes):
        self.status_code = status_code
        self.content = content

        super().__init__(
            f"Unexpected status code: {status_code}\n\nResponse content:\n{content.decode(errors='ignore')}"
        )


__all__ = [
    "MISSING",
    "ApiErrorDetail",
    "ContractViolation",
    "PcapsApiError",
    "PcapsClientError",
    "ResponseTooLarge",
    "ResponseTooSlow",
    "UnexpectedStatus",
]
