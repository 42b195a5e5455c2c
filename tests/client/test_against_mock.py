"""The generated client against the in-process mock: the four operations, both credential styles, failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pcaps_client import ContractViolation, PcapsApiError, PcapsClient
from pcaps_client.api.ownership import add_bucket
from pcaps_client.models import OwnershipRequest, OwnershipSingleResponse, OwnershipStatus
from starlette.testclient import TestClient

from tests.client.helpers import Credentials

Rewrite = Callable[[dict[str, Any]], None]
BrokenMock = Callable[[Rewrite], httpx.Client]
ClientOn = Callable[..., PcapsClient]


def _challenge(http: httpx.Client, account: str, ownership_id: str) -> str:
    response = http.get(f"http://testserver/__mock__/accounts/{account}/challenges/{ownership_id}")
    assert response.status_code == 200, response.text
    return response.text


def test_the_client_onboards_a_bucket_through_all_four_operations(
    mock_http: TestClient, client_on: ClientOn, account: str, credentials: Credentials
) -> None:
    client = client_on(mock_http, **credentials)

    added = client.add_bucket(account, "s3://pcaps-bucket?region=us-east-1")
    assert added.status is OwnershipStatus.PENDING
    assert len(added.id) == 32
    assert added.validated == ""
    assert [record.id for record in client.list_buckets(account)] == [added.id]

    challenge = _challenge(mock_http, account, added.id)
    validated = client.validate_bucket(account, added.destination_conf, challenge)
    assert validated.id == added.id
    assert validated.status is OwnershipStatus.SUCCESS

    client.delete_bucket(account, added.id)
    assert client.list_buckets(account) == []


def test_a_wrong_challenge_validates_to_failed(mock_http: TestClient, client_on: ClientOn, account: str) -> None:
    client = client_on(mock_http)
    client.add_bucket(account, "gs://pcaps-bucket")

    assert client.validate_bucket(account, "gs://pcaps-bucket", "not the challenge").status is OwnershipStatus.FAILED


def test_a_failure_envelope_raises_pcaps_api_error_with_the_parsed_errors(
    mock_http: TestClient, client_on: ClientOn, account: str, credentials: Credentials
) -> None:
    client = client_on(mock_http, **credentials)

    with pytest.raises(PcapsApiError) as raised:
        client.add_bucket(account, "ftp://not-a-bucket")

    assert 400 <= raised.value.status_code <= 499
    assert raised.value.errors, raised.value.body
    error = raised.value.errors[0]
    assert error.code >= 1000
    assert error.message
    assert error.pointer == "/destination_conf"


def test_deleting_an_unknown_bucket_raises_pcaps_api_error_404(
    mock_http: TestClient, client_on: ClientOn, account: str
) -> None:
    client = client_on(mock_http)

    with pytest.raises(PcapsApiError) as raised:
        client.delete_bucket(account, "0" * 32)

    assert raised.value.status_code == 404
    assert raised.value.errors[0].code >= 1000


def test_wrong_credentials_raise_pcaps_api_error_not_a_contract_violation(
    mock_http: TestClient, client_on: ClientOn, account: str
) -> None:
    client = client_on(mock_http, api_token="not-the-token")

    with pytest.raises(PcapsApiError) as raised:
        client.list_buckets(account)

    assert raised.value.status_code in (401, 403)
    assert raised.value.errors


def _set_result(field: str, value: Any) -> Rewrite:
    def rewrite(body: dict[str, Any]) -> None:
        body["result"][field] = value

    return rewrite


def _set_success(value: Any) -> Rewrite:
    def rewrite(body: dict[str, Any]) -> None:
        body["success"] = value

    return rewrite


@pytest.mark.parametrize(
    ("rewrite", "field", "value"),
    [
        (_set_result("status", "archived"), "OwnershipSingleResponse.result.status", "archived"),
        (_set_result("id", "9883874e"), "OwnershipSingleResponse.result.id", "9883874e"),
        (_set_success(False), "OwnershipSingleResponse.success", False),
        (_set_success("true"), "OwnershipSingleResponse.success", "true"),
    ],
    ids=["status outside the enum", "short id", "success false", "success a string"],
)
def test_a_broken_mock_answer_raises_a_contract_violation_naming_field_and_value(
    broken_mock: BrokenMock, client_on: ClientOn, account: str, rewrite: Rewrite, field: str, value: Any
) -> None:
    client = client_on(broken_mock(rewrite))

    with pytest.raises(ContractViolation) as raised:
        client.add_bucket(account, "s3://pcaps-bucket")

    assert raised.value.field == field
    assert raised.value.value == value
    assert f"{field} breaks the contract" in str(raised.value)
    assert f"Received: {value!r}" in str(raised.value)


def test_the_stock_sync_detailed_functions_enforce_the_contract_too(
    broken_mock: BrokenMock, client_on: ClientOn, account: str
) -> None:
    client = client_on(broken_mock(_set_result("status", "archived")))
    body = OwnershipRequest(destination_conf="s3://pcaps-bucket")

    with pytest.raises(ContractViolation, match=r"result\.status"):
        add_bucket.sync_detailed(account, client=client, body=body)


def test_the_stock_sync_detailed_functions_parse_a_good_answer(
    mock_http: TestClient, client_on: ClientOn, account: str
) -> None:
    client = client_on(mock_http)

    response = add_bucket.sync_detailed(account, client=client, body=OwnershipRequest(destination_conf="gs://b"))

    assert response.status_code == 200
    assert isinstance(response.parsed, OwnershipSingleResponse)
    assert response.parsed.success is True


def test_the_tolerant_client_lets_an_unknown_status_through_as_a_string(
    broken_mock: BrokenMock, client_on: ClientOn, account: str
) -> None:
    client = client_on(broken_mock(_set_result("status", "archived")), strict=False)

    record = client.add_bucket(account, "s3://pcaps-bucket")

    assert record.status == "archived"
    assert isinstance(record.status, str)
    assert record.to_dict()["status"] == "archived"


def test_the_tolerant_client_still_rejects_a_short_id(
    broken_mock: BrokenMock, client_on: ClientOn, account: str
) -> None:
    client = client_on(broken_mock(_set_result("id", "short")), strict=False)

    with pytest.raises(ContractViolation, match=r"result\.id"):
        client.add_bucket(account, "s3://pcaps-bucket")
