from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.failure_response import FailureResponse
from ...models.ownership_collection_response import OwnershipCollectionResponse
from ...types import Response, contract_mode, parse_json


def _get_kwargs(
    account_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/accounts/{account_id}/pcaps/ownership".format(
            account_id=quote(str(account_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> FailureResponse | OwnershipCollectionResponse:
    if response.status_code == 200:
        response_200 = OwnershipCollectionResponse.from_dict(parse_json(response.content))

        return response_200

    if 400 <= response.status_code <= 499:
        response_4xx = FailureResponse.from_dict(parse_json(response.content))

        return response_4xx

    response_default = FailureResponse.from_dict(parse_json(response.content))

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[FailureResponse | OwnershipCollectionResponse]:
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
    *,
    client: AuthenticatedClient | Client,
) -> Response[FailureResponse | OwnershipCollectionResponse]:
    """List PCAPs Bucket Ownership

     List all buckets configured for use with PCAPs API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FailureResponse | OwnershipCollectionResponse]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
    )

    response = client.request(**kwargs)

    return _build_response(client=client, response=response)


def sync(
    account_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> FailureResponse | OwnershipCollectionResponse | None:
    """List PCAPs Bucket Ownership

     List all buckets configured for use with PCAPs API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FailureResponse | OwnershipCollectionResponse
    """

    return sync_detailed(
        account_id=account_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    account_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[FailureResponse | OwnershipCollectionResponse]:
    """List PCAPs Bucket Ownership

     List all buckets configured for use with PCAPs API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[FailureResponse | OwnershipCollectionResponse]
    """

    kwargs = _get_kwargs(
        account_id=account_id,
    )

    response = await client.arequest(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    account_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> FailureResponse | OwnershipCollectionResponse | None:
    """List PCAPs Bucket Ownership

     List all buckets configured for use with PCAPs API.

    Args:
        account_id (str): Identifier. Example: 023e105f4ecef8ad9ca31a8372d0c353.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        FailureResponse | OwnershipCollectionResponse
    """

    return (
        await asyncio_detailed(
            account_id=account_id,
            client=client,
        )
    ).parsed
