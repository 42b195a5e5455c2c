"""AsyncPcapsClient is PcapsClient with coroutines: the same methods and signatures (read by introspection), the same
constructor, credentials, errors and limits; each against the in-process mock or a scripted answer."""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pcaps_client import (
    AsyncPcapsClient,
    Client,
    ContractViolation,
    PcapsApiError,
    PcapsClient,
    PcapsClientError,
    ResponseTooLarge,
)
from pcaps_client.models import OwnershipStatus

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.openapi import api as _api
from tests.client.drivers import Driver
from tests.client.helpers import Credentials


def _public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    return {name: member for name, member in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def _operations(cls: type) -> set[str]:
    """The public methods the class adds to the stock Client: the API's operations."""
    return set(_public_methods(cls)) - set(_public_methods(Client))


def test_the_sync_client_has_one_method_per_operation_of_the_spec() -> None:
    assert _operations(PcapsClient) == set(_api.OPERATIONS)


def test_every_method_of_the_sync_client_exists_on_the_async_client_with_the_same_signature() -> None:
    sync, asynchronous = _public_methods(PcapsClient), _public_methods(AsyncPcapsClient)

    assert set(sync) == set(asynchronous)
    for name in _operations(PcapsClient):
        assert inspect.iscoroutinefunction(asynchronous[name]), f"AsyncPcapsClient.{name} is not a coroutine function"
        assert not inspect.iscoroutinefunction(sync[name]), f"PcapsClient.{name} is a coroutine function"
        assert inspect.signature(asynchronous[name]) == inspect.signature(sync[name]), name
        assert inspect.getdoc(asynchronous[name]) == inspect.getdoc(sync[name]), name


def test_both_clients_take_the_same_constructor_arguments() -> None:
    assert inspect.signature(AsyncPcapsClient) == inspect.signature(PcapsClient)
    assert issubclass(AsyncPcapsClient, Client)
    assert not issubclass(AsyncPcapsClient, PcapsClient), "an async client must not pass for a sync one"


def test_the_parity_check_can_fail_on_a_method_whose_signature_differs() -> None:
    class Drifted(AsyncPcapsClient):
        async def list_buckets(self, account_id: str, page: int = 1) -> Any:
            return []

    assert inspect.signature(_public_methods(Drifted)["list_buckets"]) != inspect.signature(PcapsClient.list_buckets)


@pytest.fixture
def async_driver() -> Any:
    with asyncio.Runner() as runner:
        built = Driver("async", runner)
        yield built
        built.close()


def test_the_async_client_onboards_a_bucket_with_each_credential_style(
    async_driver: Driver, credentials: Credentials
) -> None:
    account = uuid.uuid4().hex
    client = async_driver.client(app=create_app(MockConfig()), **credentials)
    assert isinstance(client, AsyncPcapsClient)

    added = async_driver.run(client.add_bucket(account, "s3://pcaps-bucket?region=us-east-1"))
    assert added.status is OwnershipStatus.PENDING
    validated = async_driver.run(
        client.validate_bucket(account, added.destination_conf, async_driver.challenge(client, account, added.id))
    )
    assert validated.status is OwnershipStatus.SUCCESS
    async_driver.run(client.delete_bucket(account, added.id))
    assert async_driver.run(client.list_buckets(account)) == []


def test_the_async_client_raises_pcaps_api_error_with_the_parsed_errors(async_driver: Driver) -> None:
    client = async_driver.client(app=create_app(MockConfig()))

    with pytest.raises(PcapsApiError) as raised:
        async_driver.call(client, "add_bucket", uuid.uuid4().hex, "ftp://not-a-bucket")

    assert raised.value.status_code == 400
    assert raised.value.errors[0].pointer == "/destination_conf"


def test_the_async_client_raises_contract_violation_on_a_broken_answer(async_driver: Driver) -> None:
    record = {"id": "short", "destination_conf": "gs://b", "filename": "f", "status": "pending", "submitted": ""}
    body = {"errors": [], "messages": [], "result": [record], "success": True}
    client = async_driver.client(handler=lambda request: httpx.Response(200, json=body))

    with pytest.raises(ContractViolation) as raised:
        async_driver.call(client, "list_buckets", "acc")

    assert raised.value.field.startswith("OwnershipCollectionResponse.result[0].")


def test_the_async_client_keeps_the_size_cap(async_driver: Driver) -> None:
    client = async_driver.client(
        handler=lambda request: httpx.Response(200, content=b" " * 2048), max_response_bytes=1024
    )

    with pytest.raises(ResponseTooLarge):
        async_driver.call(client, "list_buckets", "acc")


def test_the_async_client_reads_the_official_sdks_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "from-the-environment")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:8787/client/v4")

    http = asyncio.run(_headers_and_url(AsyncPcapsClient()))

    assert http == ("Bearer from-the-environment", "http://127.0.0.1:8787/client/v4/")


async def _headers_and_url(client: AsyncPcapsClient) -> tuple[str, str]:
    async with client.get_async_httpx_client() as http:
        return http.headers["Authorization"], str(http.base_url)


def test_the_async_client_refuses_missing_credentials_with_the_same_sentence() -> None:
    with pytest.raises(PcapsClientError) as sync_refusal:
        PcapsClient()
    with pytest.raises(PcapsClientError) as async_refusal:
        AsyncPcapsClient()

    assert str(async_refusal.value) == str(sync_refusal.value)
    assert "CLOUDFLARE_API_TOKEN" in str(async_refusal.value)
