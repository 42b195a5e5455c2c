from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx
from attrs import define, evolve, field

from .errors import ApiErrorDetail, ContractViolation, PcapsApiError, PcapsClientError
from .types import Response

if TYPE_CHECKING:
    from .models.ownership import Ownership

T = TypeVar("T")


@define
class Client:
    """A class for keeping track of data related to the API

    The following are accepted as keyword arguments and will be used to construct httpx Clients internally:

        ``base_url``: The base URL for the API, all requests are made to a relative path to this URL

        ``cookies``: A dictionary of cookies to be sent with every request

        ``headers``: A dictionary of headers to be sent with every request

        ``timeout``: The maximum amount of a time a request can take. API functions will raise
        httpx.TimeoutException if this is exceeded.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        strict: Whether a response must keep to the contract exactly (the default): an enum value the spec
            does not list raises errors.ContractViolation. False (tolerant) lets unknown enum values through as
            strings; every other rule of the contract still holds.
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    strict: bool = field(default=True, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers", repr=False)
    _timeout: httpx.Timeout | None = field(default=None, kw_only=True, alias="timeout")
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

        ``timeout``: The maximum amount of a time a request can take. API functions will raise
        httpx.TimeoutException if this is exceeded.

        ``verify_ssl``: Whether or not to verify the SSL certificate of the API server. This should be True in production,
        but can be set to False for testing purposes.

        ``follow_redirects``: Whether or not to follow redirects. Default value is False.

        ``httpx_args``: A dictionary of additional arguments to be passed to the ``httpx.Client`` and ``httpx.AsyncClient`` constructor.


    Attributes:
        raise_on_unexpected_status: Whether or not to raise an errors.UnexpectedStatus if the API returns a
            status code that was not documented in the source OpenAPI document. Can also be provided as a keyword
            argument to the constructor.
        strict: Whether a response must keep to the contract exactly (the default): an enum value the spec
            does not list raises errors.ContractViolation. False (tolerant) lets unknown enum values through as
            strings; every other rule of the contract still holds.
        token: The token to use for authentication
        prefix: The prefix to use for the Authorization header
        auth_header_name: The name of the Authorization header
    """

    raise_on_unexpected_status: bool = field(default=False, kw_only=True)
    strict: bool = field(default=True, kw_only=True)
    _base_url: str = field(alias="base_url")
    _cookies: dict[str, str] = field(factory=dict, kw_only=True, alias="cookies")
    _headers: dict[str, str] = field(factory=dict, kw_only=True, alias="headers", repr=False)
    _timeout: httpx.Timeout | None = field(default=None, kw_only=True, alias="timeout")
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


def _failure(client: Client, build: Callable[..., Response[Any]], response: httpx.Response) -> PcapsApiError:
    """The PcapsApiError of a non-2xx response; `errors` is parsed when the body is a valid failure envelope."""
    details: list[ApiErrorDetail] = []
    try:
        build(client=client, response=response)
        for error in response.json()["errors"]:
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
    return PcapsApiError(response.status_code, details, response.text)


@define
class PcapsClient(Client):
    """The API's operations as methods that return the unwrapped `result`, with Cloudflare's credentials.

    Credentials: `api_token` (sent as `Authorization: Bearer ...`), or `api_email` with `api_key` (sent as
    `X-Auth-Email` + `X-Auth-Key`). When none is given they come from the environment variables the official
    SDK reads: `CLOUDFLARE_API_TOKEN`, else `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`. The base URL defaults
    to `CLOUDFLARE_BASE_URL`, else the Cloudflare API.

    Every method raises errors.PcapsApiError when the API answers with a failure (any non-2xx status),
    and errors.ContractViolation when a success response breaks the contract. The stock functions
    under `api/` stay available: pass this client as their `client`.
    """

    _base_url: str = field(factory=_default_base_url, alias="base_url")
    api_token: str | None = field(default=None, kw_only=True, repr=False)
    api_email: str | None = field(default=None, kw_only=True, repr=False)
    api_key: str | None = field(default=None, kw_only=True, repr=False)

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

    def _send(self, kwargs: dict[str, Any], build: Callable[..., Response[T]]) -> T | None:
        """Send one request; a non-2xx status raises PcapsApiError, a 2xx comes back parsed under the contract."""
        response = self.get_httpx_client().request(**kwargs)
        if not 200 <= response.status_code <= 299:
            raise _failure(self, build, response)
        return build(client=self, response=response).parsed

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
