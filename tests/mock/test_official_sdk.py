"""The official Python SDK (`cloudflare` 5.9.0) works against the mock unchanged, successes and failures alike."""

from __future__ import annotations

from collections.abc import Iterator

import cloudflare
import httpx
import pytest
from cloudflare import Cloudflare

from pcaps_contract.mock import DEV_API_KEY, DEV_EMAIL, DEV_TOKEN

BUCKET = "s3://pcaps-bucket?region=us-east-1"


@pytest.fixture(params=["token", "email_and_key"])
def sdk(request: pytest.FixtureRequest, mock_url: str) -> Iterator[Cloudflare]:
    """An SDK client of the shared mock, with either credential style."""
    if request.param == "token":
        client = Cloudflare(base_url=mock_url, api_token=DEV_TOKEN, max_retries=0)
    else:
        client = Cloudflare(base_url=mock_url, api_email=DEV_EMAIL, api_key=DEV_API_KEY, max_retries=0)
    with client:
        yield client


def _challenge(mock_url: str, account: str, ownership_id: str) -> str:
    root = mock_url.removesuffix("/client/v4")
    return httpx.get(f"{root}/__mock__/accounts/{account}/challenges/{ownership_id}").text


def test_the_sdk_adds_lists_validates_and_deletes_a_bucket(sdk: Cloudflare, mock_url: str, account: str) -> None:
    ownership = sdk.magic_transit.pcaps.ownership

    created = ownership.create(account_id=account, destination_conf=BUCKET)
    listed = list(ownership.get(account_id=account))
    validated = ownership.validate(
        account_id=account,
        destination_conf=BUCKET,
        ownership_challenge=_challenge(mock_url, account, created.id),
    )
    ownership.delete(created.id, account_id=account)

    assert created.status == "pending"
    assert created.filename == f"ownership-challenge-{created.id}.txt"
    assert [item.id for item in listed] == [created.id]
    assert validated.id == created.id
    assert validated.status == "success"
    assert validated.validated
    assert list(ownership.get(account_id=account)) == []


def test_the_sdk_sees_a_wrong_challenge_fail(sdk: Cloudflare, account: str) -> None:
    created = sdk.magic_transit.pcaps.ownership.create(account_id=account, destination_conf=BUCKET)

    result = sdk.magic_transit.pcaps.ownership.validate(
        account_id=account, destination_conf=BUCKET, ownership_challenge=created.filename
    )

    assert result.status == "failed"


def test_an_invalid_destination_conf_raises_bad_request_with_the_errors(sdk: Cloudflare, account: str) -> None:
    with pytest.raises(cloudflare.BadRequestError) as raised:
        sdk.magic_transit.pcaps.ownership.create(account_id=account, destination_conf="ftp://bucket")

    assert raised.value.status_code == 400
    assert raised.value.errors[0].code == 1001
    assert raised.value.errors[0].source is not None
    assert raised.value.errors[0].source.pointer == "/destination_conf"


def test_deleting_an_unknown_bucket_raises_not_found(sdk: Cloudflare, account: str) -> None:
    with pytest.raises(cloudflare.NotFoundError) as raised:
        sdk.magic_transit.pcaps.ownership.delete("9883874ecac311ec8475433579a6bf5f", account_id=account)

    assert raised.value.errors[0].code == 1002


def test_validating_a_bucket_never_added_raises_not_found(sdk: Cloudflare, account: str) -> None:
    with pytest.raises(cloudflare.NotFoundError):
        sdk.magic_transit.pcaps.ownership.validate(
            account_id=account, destination_conf="gs://never-added", ownership_challenge="x"
        )


def test_a_wrong_token_raises_permission_denied(mock_url: str, account: str) -> None:
    client = Cloudflare(base_url=mock_url, api_token="not-the-token", max_retries=0)
    with client, pytest.raises(cloudflare.PermissionDeniedError) as raised:
        client.magic_transit.pcaps.ownership.get(account_id=account)

    assert raised.value.status_code == 403
    assert raised.value.errors[0].code == 9109


def test_a_wrong_api_key_raises_permission_denied(mock_url: str, account: str) -> None:
    client = Cloudflare(base_url=mock_url, api_email=DEV_EMAIL, api_key="not-the-key", max_retries=0)
    with client, pytest.raises(cloudflare.PermissionDeniedError) as raised:
        client.magic_transit.pcaps.ownership.get(account_id=account)

    assert raised.value.errors[0].code == 9103


def test_an_account_outside_the_scope_raises_permission_denied(scoped_mock_url: str, scoped_account: str) -> None:
    with Cloudflare(base_url=scoped_mock_url, api_token=DEV_TOKEN, max_retries=0) as client:
        ownership = client.magic_transit.pcaps.ownership
        with pytest.raises(cloudflare.PermissionDeniedError) as raised:
            ownership.create(account_id="f" * 32, destination_conf=BUCKET)
        allowed = ownership.create(account_id=scoped_account, destination_conf=BUCKET)

    assert raised.value.errors[0].code == 10000
    assert allowed.status == "pending"


def test_no_credentials_raise_authentication_error(mock_url: str, account: str) -> None:
    # The SDK refuses to send a request without credentials, so the headers are removed on the way out.
    def strip_credentials(request: httpx.Request) -> None:
        for name in ("Authorization", "X-Auth-Email", "X-Auth-Key"):
            request.headers.pop(name, None)

    http_client = httpx.Client(event_hooks={"request": [strip_credentials]})
    client = Cloudflare(base_url=mock_url, api_token=DEV_TOKEN, max_retries=0, http_client=http_client)
    with client, pytest.raises(cloudflare.AuthenticationError) as raised:
        client.magic_transit.pcaps.ownership.get(account_id=account)

    assert raised.value.status_code == 401
    assert raised.value.errors[0].code == 9106
