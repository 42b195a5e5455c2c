from __future__ import annotations

import asyncio
import datetime
import email.utils
import os
import random
import re
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
from attrs import define, evolve, field

from .errors import (
    ApiErrorDetail,
    ContractViolation,
    PcapsApiError,
    PcapsClientError,
    ResponseTooLarge,
    ResponseTooSlow,
)
from .types import Response, parse_json

if TYPE_CHECKING:
    from .models.ownership import Ownership

T = TypeVar("T")

# The official SDK's default: 60 s per request, 5 s to connect.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
DEFAULT_MAX_RESPONSE_BYTES = 1_048_576
# The encodings the client asks for and inflates itself, a bounded piece at a time: httpx's own decoders inflate a
# whole network read at once, and 64 KiB of gzip can hold 64 MiB of zeros.
ACCEPT_ENCODING = "gzip, deflate"
_PIECE_BYTES = 65_536


class _Inflater:
    """One gzip or deflate layer of a body, inflated at most _PIECE_BYTES at a time."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        # `deflate` is meant to carry a zlib header, but some servers send the bare stream.
        self._may_be_bare = encoding == "deflate"
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS if encoding == "deflate" else zlib.MAX_WBITS | 16)

    def inflate(self, pieces: Iterable[bytes]) -> Iterator[bytes]:
        for piece in pieces:
            yield from self._drain(piece)

    def _drain(self, data: bytes) -> Iterator[bytes]:
        # Bytes after the end of the stream are ignored, not kept (zlib would pile them up in unused_data).
        while not self._zlib.eof:
            try:
                out = self._zlib.decompress(data, _PIECE_BYTES)
            except zlib.error:
                if not self._may_be_bare:
                    raise ContractViolation(
                        f"a body encoded as its Content-Encoding says ({self._encoding})", data[:64]
                    ) from None
                self._may_be_bare = False
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            if data:
                self._may_be_bare = False  # the header was read: no second guess
            if out:
                yield out
            data = self._zlib.unconsumed_tail
            # A full piece with no input left may mean zlib holds more output: ask again with no input.
            if not data and len(out) < _PIECE_BYTES:
                return


class _BoundedBody:
    """A streamed response's body, decoded piece by piece: refused past `max_bytes` or after the deadline."""

    def __init__(self, response: httpx.Response, max_bytes: int, seconds: float | None, started: float) -> None:
        self._response = response
        self._max_bytes = max_bytes
        self._seconds = seconds
        self._deadline = None if seconds is None else started + seconds
        self._size = 0
        self._pieces: list[bytes] = []
        self._layers: list[_Inflater] = []
        # Content-Encoding lists the encodings in the order they were applied: undo the last first.
        for listed in reversed(response.headers.get_list("content-encoding", split_commas=True)):
            encoding = listed.strip().lower()
            if encoding in ("gzip", "x-gzip", "deflate"):
                self._layers.append(_Inflater("deflate" if encoding == "deflate" else "gzip"))
            elif encoding not in ("", "identity"):
                raise ContractViolation(f"a Content-Encoding the client asked for ({ACCEPT_ENCODING}) or none", listed)
        self._check_deadline()

    def _check_deadline(self) -> None:
        if self._deadline is not None and self._seconds is not None and time.monotonic() > self._deadline:
            raise ResponseTooSlow(self._seconds)

    def feed(self, raw: bytes) -> None:
        """Take one piece of the body as it came off the wire."""
        self._check_deadline()
        pieces: Iterable[bytes] = (raw,)
        for layer in self._layers:
            pieces = layer.inflate(pieces)
        for piece in pieces:
            self._size += len(piece)
            if self._size > self._max_bytes:
                raise ResponseTooLarge(self._max_bytes)
            self._pieces.append(piece)

    def measure(self, content: bytes) -> None:
        """Hold a body the transport already read whole (httpx.MockTransport does) to the same limits."""
        self._check_deadline()
        if len(content) > self._max_bytes:
            raise ResponseTooLarge(self._max_bytes)

    def finish(self) -> None:
        """Give the response its decoded body, as if httpx had read it (`content`, `text` and `json()` work)."""
        self._response._content = b"".join(self._pieces)


def _prepare(http: httpx.Client | httpx.AsyncClient, kwargs: dict[str, Any]) -> tuple[httpx.Request, float | None]:
    """The request to send (asking only for encodings the client inflates itself) and the deadline's seconds."""
    request = http.build_request(**kwargs)
    request.headers["Accept-Encoding"] = ACCEPT_ENCODING
    return request, http.timeout.read


@define
class Client:
    """A class for keeping track of data related to the API

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request

        ``headers``: A dictionary of headers to be sent with every request

        ``timeout``: The maximum amount of a time a request can take, as an ``httpx.Timeout``. Default
        ``httpx.Timeout(60.0, connect=5.0)`` (the official SDK's: 60 s per request, 5 s to connect); ``None``
        disables every timeout. httpx raises httpx.TimeoutException when one read takes longer, and the whole
        response, body included, must arrive within the ``read`` seconds (60) or errors.ResponseTooSlow is raised.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False, so that credentials never
        travel to another host; it also applies to an httpx.Client given to ``set_httpx_client``.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        strict: Whether a response must keep to the contract exactly (the default): an enum value the spec
            does not list raises errors.ContractViolation. False (tolerant) lets unknown enum values through as
            strings; every other rule of the contract still holds.
        max_response_bytes: The most bytes of a response body the client reads, counted after decompression
            (default 1 MiB): a longer body raises errors.ResponseTooLarge as soon as the cap is passed, without
            being read whole into memory (a gzip bomb included).
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    strict: bool = field(default=True, kw_only=True)
    max_response_bytes: int = field(default=DEFAULT_MAX_RESPONSE_BYTES, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers", repr=False)
    _timeout: httpx.Timeout | None = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    def with_headers(self, headers: dict[str, str]) -> Client:
        """Get a new client matching this one with additional headers"""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> Client:
        """Get a new client matching this one with additional cookies"""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> Client:
        """Get a new client matching this one with a new timeout configuration"""
        if self._client is not None:
            self._client.timeout = timeout
        if self._async_client is not None:
            self._async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._async_client = httpx.AsyncClient(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._async_client

    def request(self, **kwargs: Any) -> httpx.Response:
        """Send one request (httpx.Client.build_request's arguments) and read the answer within this client's limits.

        The body is inflated and counted a piece at a time: past `max_response_bytes` it raises
        errors.ResponseTooLarge; the whole answer must arrive within the timeout's `read` seconds, else
        errors.ResponseTooSlow; a Content-Encoding other than gzip or deflate raises errors.ContractViolation.
        A redirect is followed only when this client's `follow_redirects` is True.
        """
        http = self.get_httpx_client()
        request, seconds = _prepare(http, kwargs)
        started = time.monotonic()
        response = http.send(request, stream=True, follow_redirects=self._follow_redirects)
        try:
            body = _BoundedBody(response, self.max_response_bytes, seconds, started)
            if response.is_stream_consumed:  # read whole by the transport already, e.g. httpx.MockTransport
                body.measure(response.content)
            else:
                for raw in response.iter_raw():
                    body.feed(raw)
                body.finish()
        finally:
            response.close()
        return response

    async def arequest(self, **kwargs: Any) -> httpx.Response:
        """The asynchronous `request`: the same limits, through the httpx.AsyncClient."""
        http = self.get_async_httpx_client()
        request, seconds = _prepare(http, kwargs)
        started = time.monotonic()
        response = await http.send(request, stream=True, follow_redirects=self._follow_redirects)
        try:
            body = _BoundedBody(response, self.max_response_bytes, seconds, started)
            if response.is_stream_consumed:  # read whole by the transport already, e.g. httpx.MockTransport
                body.measure(response.content)
            else:
                async for raw in response.aiter_raw():
                    body.feed(raw)
                body.finish()
        finally:
            await response.aclose()
        return response

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)


@define
class AuthenticatedClient:
    """A Client which has been authenticated for use on secured endpoints

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request

        ``headers``: A dictionary of headers to be sent with every request

        ``timeout``: The maximum amount of a time a request can take, as an ``httpx.Timeout``. Default
        ``httpx.Timeout(60.0, connect=5.0)`` (the official SDK's: 60 s per request, 5 s to connect); ``None``
        disables every timeout. httpx raises httpx.TimeoutException when one read takes longer, and the whole
        response, body included, must arrive within the ``read`` seconds (60) or errors.ResponseTooSlow is raised.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False, so that credentials never
        travel to another host; it also applies to an httpx.Client given to ``set_httpx_client``.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        strict: Whether a response must keep to the contract exactly (the default): an enum value the spec
            does not list raises errors.ContractViolation. False (tolerant) lets unknown enum values through as
            strings; every other rule of the contract still holds.
        max_response_bytes: The most bytes of a response body the client reads, counted after decompression
            (default 1 MiB): a longer body raises errors.ResponseTooLarge as soon as the cap is passed, without
            being read whole into memory (a gzip bomb included).
        token: The token to use for authentication
        prefix: The prefix to use for the Authorization header
        auth_header_name: The name of the Authorization header
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    strict: bool = field(default=True, kw_only=True)
    max_response_bytes: int = field(default=DEFAULT_MAX_RESPONSE_BYTES, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers", repr=False)
    _timeout: httpx.Timeout | None = field(default=DEFAULT_TIMEOUT, kw_only=True, alias="timeout")
    _verify_ssl: str | bool | ssl.SSLContext = field(default=True, kw_only=True, alias="verify_ssl")
    _follow_redirects: bool = field(default=False, kw_only=True, alias="follow_redirects")
    _httpx_args: dict[str, Any] = field(factory=dict, kw_only=True, alias="httpx_args")
    _client: httpx.Client | None = field(default=None, init=False)
    _async_client: httpx.AsyncClient | None = field(default=None, init=False)

    token: str = field(repr=False)
    prefix: str = "Bearer"
    auth_header_name: str = "Authorization"

    def with_headers(self, headers: dict[str, str]) -> AuthenticatedClient:
        """Get a new client matching this one with additional headers"""
        if self._client is not None:
            self._client.headers.update(headers)
        if self._async_client is not None:
            self._async_client.headers.update(headers)
        return evolve(self, headers={**self._headers, **headers})

    def with_cookies(self, cookies: dict[str, str]) -> AuthenticatedClient:
        """Get a new client matching this one with additional cookies"""
        if self._client is not None:
            self._client.cookies.update(cookies)
        if self._async_client is not None:
            self._async_client.cookies.update(cookies)
        return evolve(self, cookies={**self._cookies, **cookies})

    def with_timeout(self, timeout: httpx.Timeout) -> AuthenticatedClient:
        """Get a new client matching this one with a new timeout configuration"""
        if self._client is not None:
            self._client.timeout = timeout
        if self._async_client is not None:
            self._async_client.timeout = timeout
        return evolve(self, timeout=timeout)

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Manually set the underlying httpx.Client

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._client = client
        return self

    def get_httpx_client(self) -> httpx.Client:
        """Get the underlying httpx.Client, constructing a new one if not previously set"""
        if self._client is None:
            self._headers[self.auth_header_name] = f"{self.prefix} {self.token}" if self.prefix else self.token
            self._client = httpx.Client(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._client

    def __enter__(self) -> Self:
        """Enter a context manager for self.client—you cannot enter twice (see httpx docs)"""
        self.get_httpx_client().__enter__()
        return self

    def __exit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for internal httpx.Client (see httpx docs)"""
        self.get_httpx_client().__exit__(*args, **kwargs)

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Manually set the underlying httpx.AsyncClient

        **NOTE**: This will override any other settings on the client, including cookies, headers, and timeout.
        """
        self._async_client = async_client
        return self

    def get_async_httpx_client(self) -> httpx.AsyncClient:
        """Get the underlying httpx.AsyncClient, constructing a new one if not previously set"""
        if self._async_client is None:
            self._headers[self.auth_header_name] = f"{self.prefix} {self.token}" if self.prefix else self.token
            self._async_client = httpx.AsyncClient(
                base_url=self._base_url,
                cookies=self._cookies,
                headers=self._headers,
                timeout=self._timeout,
                verify=self._verify_ssl,
                follow_redirects=self._follow_redirects,
                **self._httpx_args,
            )
        return self._async_client

    def request(self, **kwargs: Any) -> httpx.Response:
        """Send one request (httpx.Client.build_request's arguments) and read the answer within this client's limits.

        The body is inflated and counted a piece at a time: past `max_response_bytes` it raises
        errors.ResponseTooLarge; the whole answer must arrive within the timeout's `read` seconds, else
        errors.ResponseTooSlow; a Content-Encoding other than gzip or deflate raises errors.ContractViolation.
        A redirect is followed only when this client's `follow_redirects` is True.
        """
        http = self.get_httpx_client()
        request, seconds = _prepare(http, kwargs)
        started = time.monotonic()
        response = http.send(request, stream=True, follow_redirects=self._follow_redirects)
        try:
            body = _BoundedBody(response, self.max_response_bytes, seconds, started)
            if response.is_stream_consumed:  # read whole by the transport already, e.g. httpx.MockTransport
                body.measure(response.content)
            else:
                for raw in response.iter_raw():
                    body.feed(raw)
                body.finish()
        finally:
            response.close()
        return response

    async def arequest(self, **kwargs: Any) -> httpx.Response:
        """The asynchronous `request`: the same limits, through the httpx.AsyncClient."""
        http = self.get_async_httpx_client()
        request, seconds = _prepare(http, kwargs)
        started = time.monotonic()
        response = await http.send(request, stream=True, follow_redirects=self._follow_redirects)
        try:
            body = _BoundedBody(response, self.max_response_bytes, seconds, started)
            if response.is_stream_consumed:  # read whole by the transport already, e.g. httpx.MockTransport
                body.measure(response.content)
            else:
                async for raw in response.aiter_raw():
                    body.feed(raw)
                body.finish()
        finally:
            await response.aclose()
        return response

    async def __aenter__(self) -> Self:
        """Enter a context manager for underlying httpx.AsyncClient—you cannot enter twice (see httpx docs)"""
        await self.get_async_httpx_client().__aenter__()
        return self

    async def __aexit__(self, *args: Any, **kwargs: Any) -> None:
        """Exit a context manager for underlying httpx.AsyncClient (see httpx docs)"""
        await self.get_async_httpx_client().__aexit__(*args, **kwargs)


DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"


def _credential_headers(api_token: str | None, api_email: str | None, api_key: str | None) -> dict[str, str]:
    """The headers of one credential style: given arguments first, else the official SDK's environment variables."""
    if api_token is None and api_email is None and api_key is None:
        api_token = os.environ.get("CLOUDFLARE_API_TOKEN") or None
        if api_token is None:
            api_email = os.environ.get("CLOUDFLARE_EMAIL") or None
            api_key = os.environ.get("CLOUDFLARE_API_KEY") or None
    if api_token is not None:
        if api_email is not None or api_key is not None:
            raise PcapsClientError("pass either api_token, or api_email with api_key; not both styles at once")
        return {"Authorization": f"Bearer {api_token}"}
    if api_email is not None and api_key is not None:
        return {"X-Auth-Email": api_email, "X-Auth-Key": api_key}
    if api_email is not None or api_key is not None:
        raise PcapsClientError("api_email and api_key go together (X-Auth-Email + X-Auth-Key); pass both")
    raise PcapsClientError(
        "no credentials: pass api_token=, or api_email= with api_key=, or set CLOUDFLARE_API_TOKEN "
        "(or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY)"
    )


def _default_base_url() -> str:
    return os.environ.get("CLOUDFLARE_BASE_URL") or DEFAULT_BASE_URL


_DELAY_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _retry_after(headers: httpx.Headers) -> float | None:
    """The seconds an answer asks to wait before trying again, None when it does not say or says nothing readable.

    As the official SDK reads it: `retry-after-ms` (milliseconds) first, then `Retry-After` as seconds (a decimal
    fraction too) or an HTTP date (a date in the past is 0).
    """
    milliseconds = (headers.get("retry-after-ms") or "").strip()
    if _DELAY_SECONDS.fullmatch(milliseconds):
        return float(milliseconds) / 1000
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


def _failure(client: Client, build: Callable[..., Response[Any]], response: httpx.Response) -> PcapsApiError:
    """The PcapsApiError of a non-2xx response; `errors` is parsed when the body is a valid failure envelope."""
    details: list[ApiErrorDetail] = []
    try:
        build(client=client, response=response)
        for error in parse_json(response.content)["errors"]:
            source = error.get("source")
            details.append(
                ApiErrorDetail(
                    code=error["code"],
                    message=error["message"],
                    documentation_url=error.get("documentation_url"),
                    pointer=source.get("pointer") if isinstance(source, dict) else None,
                )
            )
    except (ContractViolation, ValueError, KeyError, TypeError, AttributeError):
        details = []
    return PcapsApiError(response.status_code, details, response.text, _retry_after(response.headers))


# The official SDK's retry rules (cloudflare 5.9.0, `_constants.py` and `_base_client.py`).
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# The longest Retry-After waited out. The SDK retries after its own short backoff past it, sooner than asked; the real
# API answers 429 for five minutes once its limit is passed, so those tries would only be refused again.
MAX_RETRY_AFTER = 60.0
# The failures to connect or to hear a whole answer that are tried again; an answer that breaks the client's own
# limits (ResponseTooLarge, ResponseTooSlow, ContractViolation) is not: another try would most likely repeat it.
RETRIED_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError)


def _is_retried(response: httpx.Response) -> bool:
    """Whether a failure answer is tried again: `x-should-retry` when the server says, else 408, 409, 429 and 5xx."""
    if response.is_success:
        return False
    said: str | None = response.headers.get("x-should-retry")
    if said in ("true", "false"):
        return said == "true"
    return response.status_code in (408, 409, 429) or response.status_code >= 500


def _backoff(retries_taken: int) -> float:
    """The SDK's exponential backoff: 0.5 s doubled per try taken, at most 8 s, less up to a quarter of jitter."""
    return min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 1000), MAX_RETRY_DELAY) * (1 - 0.25 * random.random())


class _Tries:
    """The tries of one request: whether another follows an answer or a lost connection, and after how long."""

    def __init__(self, max_retries: int) -> None:
        self._left = max_retries
        self._taken = 0

    def wait_after(self, response: httpx.Response | None) -> float | None:
        """The seconds to wait before the next try; None when there is none (the answer stands, the error is raised)."""
        if self._left <= 0:
            return None
        wait = _backoff(self._taken)
        if response is not None:
            if not _is_retried(response):
                return None
            asked = _retry_after(response.headers)
            if asked is not None and asked > MAX_RETRY_AFTER:
                return None
            if asked is not None and asked > 0:
                wait = asked
        self._left -= 1
        self._taken += 1
        return wait


def _check_max_retries(instance: Any, attribute: Any, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PcapsClientError(f"max_retries must be a whole number, 0 or more (0 turns retries off), not {value!r}")


@define
class _CloudflareClient(Client):
    """What PcapsClient and AsyncPcapsClient share: Cloudflare's credentials, the base URL, the retries."""

    _base_url: str = field(factory=_default_base_url, alias="base_url")
    api_token: str | None = field(default=None, kw_only=True, repr=False)
    api_email: str | None = field(default=None, kw_only=True, repr=False)
    api_key: str | None = field(default=None, kw_only=True, repr=False)
    max_retries: int = field(default=DEFAULT_MAX_RETRIES, kw_only=True, validator=_check_max_retries)
    sleep: Callable[[float], object] = field(default=time.sleep, kw_only=True, repr=False)
    async_sleep: Callable[[float], Awaitable[object]] = field(default=asyncio.sleep, kw_only=True, repr=False)

    def __attrs_post_init__(self) -> None:
        self._headers = {**self._headers, **_credential_headers(self.api_token, self.api_email, self.api_key)}

    def set_httpx_client(self, client: httpx.Client) -> Self:
        """Use the given httpx.Client for every request, adding this client's credential headers to it."""
        client.headers.update(self._headers)
        self._client = client
        return self

    def set_async_httpx_client(self, async_client: httpx.AsyncClient) -> Self:
        """Use the given httpx.AsyncClient, adding this client's credential headers to it."""
        async_client.headers.update(self._headers)
        self._async_client = async_client
        return self

    def request(self, **kwargs: Any) -> httpx.Response:
        """Client.request, tried again up to `max_retries` times after a 408, 409, 429 or 5xx or a lost connection.

        The last answer comes back (a failure too: the caller raises it); the last connection error is raised.
        """
        tries = _Tries(self.max_retries)
        while True:
            try:
                response = Client.request(self, **kwargs)
            except RETRIED_ERRORS:
                wait = tries.wait_after(None)
                if wait is None:
                    raise
            else:
                wait = tries.wait_after(response)
                if wait is None:
                    return response
            self.sleep(wait)

    def _send(self, kwargs: dict[str, Any], build: Callable[..., Response[T]]) -> T | None:
        """Send one request; a non-2xx status raises PcapsApiError, a 2xx comes back parsed under the contract."""
        response = self.request(**kwargs)
        if not 200 <= response.status_code <= 299:
            raise _failure(self, build, response)
        return build(client=self, response=response).parsed

    async def arequest(self, **kwargs: Any) -> httpx.Response:
        """Client.arequest, tried again up to `max_retries` times after a 408, 409, 429 or 5xx or a lost connection.

        The last answer comes back (a failure too: the caller raises it); the last connection error is raised.
        """
        tries = _Tries(self.max_retries)
        while True:
            try:
                response = await Client.arequest(self, **kwargs)
            except RETRIED_ERRORS:
                wait = tries.wait_after(None)
                if wait is None:
                    raise
            else:
                wait = tries.wait_after(response)
                if wait is None:
                    return response
            await self.async_sleep(wait)

    async def _asend(self, kwargs: dict[str, Any], build: Callable[..., Response[T]]) -> T | None:
        """Send one request; a non-2xx status raises PcapsApiError, a 2xx comes back parsed under the contract."""
        response = await self.arequest(**kwargs)
        if not 200 <= response.status_code <= 299:
            raise _failure(self, build, response)
        return build(client=self, response=response).parsed


@define
class PcapsClient(_CloudflareClient):
    """The API's operations as methods that return the unwrapped `result`, with Cloudflare's credentials.

    Credentials: `api_token` (sent as `Authorization: Bearer ...`), or `api_email` with `api_key` (sent as
    `X-Auth-Email` + `X-Auth-Key`). When none is given they come from the environment variables the official
    SDK reads: `CLOUDFLARE_API_TOKEN`, else `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`. The base URL defaults
    to `CLOUDFLARE_BASE_URL`, else the Cloudflare API.

    Every method raises errors.PcapsApiError when the API answers with a failure (any non-2xx status, a
    redirect included: none is followed, so credentials never travel to another host), and
    errors.ContractViolation when a success response breaks the contract, its body included (not JSON, not
    UTF-8, nested deeper than types.MAX_JSON_DEPTH). The stock functions under `api/` stay available: pass this
    client as their `client` (they retry too).

    Retries, as the official SDK (keyword arguments):
        max_retries: how many times a request is tried again (default 2; 0 turns retries off) after a 408, 409,
            429 or 5xx answer (or as `x-should-retry: true|false` says), a connection error or an httpx timeout.
            The wait is what `retry-after-ms` or `Retry-After` asks when that is more than 0 and at most 60 s,
            else 0.5 s doubled per retry up to 8 s, less up to a quarter of jitter. An answer asking for more than
            60 s is not retried. The last failure is raised as without retries, errors.PcapsApiError with its
            `retry_after`. A retried `add_bucket` (a POST) may add the bucket twice when the first try reached the
            server (a 5xx or a timeout after it acted), as with the official SDK: list the buckets to tell.
        sleep: the function that waits between tries of the sync methods (time.sleep); async_sleep: the coroutine
            function the async ones await (asyncio.sleep). Replace them to record the waits in tests.

    Limits against a hostile or broken server (keyword arguments), per try:
        timeout: an httpx.Timeout, default `httpx.Timeout(60.0, connect=5.0)` as the official SDK (60 s per
            request, 5 s to connect); the whole response must also arrive within its `read` seconds, else
            errors.ResponseTooSlow. `None` disables both.
        max_response_bytes: the most bytes of a body read, after decompression (default 1,048,576); a longer
            body raises errors.ResponseTooLarge once the cap is passed, without being held in memory.
        follow_redirects: False by default; True follows redirects (httpx drops `Authorization` on another host,
            but not `X-Auth-Email`/`X-Auth-Key`).
    """

    def list_buckets(
        self,
        account_id: str,
    ) -> list[Ownership]:
        """List PCAPs Bucket Ownership (a `null` list comes back empty).

        List all buckets configured for use with PCAPs API.
        """
        from .api.ownership import list_buckets as _list_buckets  # noqa: PLC0415
        from .models.ownership_collection_response import OwnershipCollectionResponse  # noqa: PLC0415

        parsed = self._send(
            _list_buckets._get_kwargs(
                account_id=account_id,
            ),
            _list_buckets._build_response,
        )
        if not isinstance(parsed, OwnershipCollectionResponse):
            raise ContractViolation("an envelope of type OwnershipCollectionResponse", parsed)
        return parsed.result or []

    def add_bucket(
        self,
        account_id: str,
        destination_conf: str,
    ) -> Ownership:
        """Add buckets for full packet captures.

        Adds an AWS or GCP bucket to use with full packet captures.
        """
        from .api.ownership import add_bucket as _add_bucket  # noqa: PLC0415
        from .models.ownership_request import OwnershipRequest  # noqa: PLC0415
        from .models.ownership_single_response import OwnershipSingleResponse  # noqa: PLC0415

        parsed = self._send(
            _add_bucket._get_kwargs(
                account_id=account_id,
                body=OwnershipRequest(
                    destination_conf=destination_conf,
                ),
            ),
            _add_bucket._build_response,
        )
        if not isinstance(parsed, OwnershipSingleResponse):
            raise ContractViolation("an envelope of type OwnershipSingleResponse", parsed)
        return parsed.result

    def delete_bucket(
        self,
        account_id: str,
        ownership_id: str,
    ) -> None:
        """Delete buckets for full packet captures.

        Deletes buckets added to the packet captures API.
        """
        from .api.ownership import delete_bucket as _delete_bucket  # noqa: PLC0415

        self._send(
            _delete_bucket._get_kwargs(
                account_id=account_id,
                ownership_id=ownership_id,
            ),
            _delete_bucket._build_response,
        )

    def validate_bucket(
        self,
        account_id: str,
        destination_conf: str,
        ownership_challenge: str,
    ) -> Ownership:
        """Validate buckets for full packet captures.

        Validates buckets added to the packet captures API.
        """
        from .api.ownership import validate_bucket as _validate_bucket  # noqa: PLC0415
        from .models.ownership_single_response import OwnershipSingleResponse  # noqa: PLC0415
        from .models.ownership_validate_request import OwnershipValidateRequest  # noqa: PLC0415

        parsed = self._send(
            _validate_bucket._get_kwargs(
                account_id=account_id,
                body=OwnershipValidateRequest(
                    destination_conf=destination_conf,
                    ownership_challenge=ownership_challenge,
                ),
            ),
            _validate_bucket._build_response,
        )
        if not isinstance(parsed, OwnershipSingleResponse):
            raise ContractViolation("an envelope of type OwnershipSingleResponse", parsed)
        return parsed.result


@define
class AsyncPcapsClient(_CloudflareClient):
    """PcapsClient's operations as coroutines: the same arguments, credentials, limits, errors and retries.

    Its keyword arguments are PcapsClient's (see there); the waits between tries are awaited through `async_sleep`
    (asyncio.sleep). Use it as `async with AsyncPcapsClient(...) as client:` to close its httpx.AsyncClient.
    """

    async def list_buckets(
        self,
        account_id: str,
    ) -> list[Ownership]:
        """List PCAPs Bucket Ownership (a `null` list comes back empty).

        List all buckets configured for use with PCAPs API.
        """
        from .api.ownership import list_buckets as _list_buckets  # noqa: PLC0415
        from .models.ownership_collection_response import OwnershipCollectionResponse  # noqa: PLC0415

        parsed = await self._asend(
            _list_buckets._get_kwargs(
                account_id=account_id,
            ),
            _list_buckets._build_response,
        )
        if not isinstance(parsed, OwnershipCollectionResponse):
            raise ContractViolation("an envelope of type OwnershipCollectionResponse", parsed)
        return parsed.result or []

    async def add_bucket(
        self,
        account_id: str,
        destination_conf: str,
    ) -> Ownership:
        """Add buckets for full packet captures.

        Adds an AWS or GCP bucket to use with full packet captures.
        """
        from .api.ownership import add_bucket as _add_bucket  # noqa: PLC0415
        from .models.ownership_request import OwnershipRequest  # noqa: PLC0415
        from .models.ownership_single_response import OwnershipSingleResponse  # noqa: PLC0415

        parsed = await self._asend(
            _add_bucket._get_kwargs(
                account_id=account_id,
                body=OwnershipRequest(
                    destination_conf=destination_conf,
                ),
            ),
            _add_bucket._build_response,
        )
        if not isinstance(parsed, OwnershipSingleResponse):
            raise ContractViolation("an envelope of type OwnershipSingleResponse", parsed)
        return parsed.result

    async def delete_bucket(
        self,
        account_id: str,
        ownership_id: str,
    ) -> None:
        """Delete buckets for full packet captures.

        Deletes buckets added to the packet captures API.
        """
        from .api.ownership import delete_bucket as _delete_bucket  # noqa: PLC0415

        await self._asend(
            _delete_bucket._get_kwargs(
                account_id=account_id,
                ownership_id=ownership_id,
            ),
            _delete_bucket._build_response,
        )

    async def validate_bucket(
        self,
        account_id: str,
        destination_conf: str,
        ownership_challenge: str,
    ) -> Ownership:
        """Validate buckets for full packet captures.

        Validates buckets added to the packet captures API.
        """
        from .api.ownership import validate_bucket as _validate_bucket  # noqa: PLC0415
        from .models.ownership_single_response import OwnershipSingleResponse  # noqa: PLC0415
        from .models.ownership_validate_request import OwnershipValidateRequest  # noqa: PLC0415

        parsed = await self._asend(
            _validate_bucket._get_kwargs(
                account_id=account_id,
                body=OwnershipValidateRequest(
                    destination_conf=destination_conf,
                    ownership_challenge=ownership_challenge,
                ),
            ),
            _validate_bucket._build_response,
        )
        if not isinstance(parsed, OwnershipSingleResponse):
            raise ContractViolation("an envelope of type OwnershipSingleResponse", parsed)
        return parsed.result
