from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.failure_response import FailureResponse
from ...types import Response, contract_mode, parse_json


def _get_kwargs(
    account_id: str,
    ownership_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/accounts/{account_id}/pcaps/ownership/{ownership_id}".format(
            account_id=quote(str(account_id), safe=""),
            ownership_id=quote(str(ownership_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Any | FailureResponse:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if 400 <= response.status_code <= 499:
        response_4xx = FailureResponse.from_dict(parse_json(response.content))

        return response_4xx

    response_default = FailureResponse.from_dict(parse_json(response.content))

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | FailureResponse]:
    with contract_mode(strict=client.strict):
        parsed = _parse_response(client=client, response=response)
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=parsed,
    )


def sync_detailed(
    account_id: str,
    ownership_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Any | FailureResponse]:
    """Delete buckets for full packet captures

     Deletes buckets added to the packet captures API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.
        ownership_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | FailureResponse]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        ownership_id=ownership_id,
    )

    response = client.request(**kwargs)

    return _build_response(client=client, response=response)


def sync(
    account_id: str,
    ownership_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Any | FailureResponse | None:
    """Delete buckets for full packet captures

     Deletes buckets added to the packet captures API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.
        ownership_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | FailureResponse
    """

    return sync_detailed(
        account_id=account_id,
        ownership_id=ownership_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    ownership_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Any | FailureResponse]:
    """Delete buckets for full packet captures

     Deletes buckets added to the packet captures API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.
        ownership_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | FailureResponse]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
        ownership_id=ownership_id,
    )

    response = await client.arequest(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    ownership_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Any | FailureResponse | None:
    """Delete buckets for full packet captures

     Deletes buckets added to the packet captures API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.
        ownership_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | FailureResponse
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            ownership_id=ownership_id,
            client=client,
        )
    ).parsed
