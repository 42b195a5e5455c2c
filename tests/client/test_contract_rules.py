"""The generated client's own rules, on canned answers: the contract checks, credentials, configuration."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pcaps_client import ContractViolation, PcapsApiError, PcapsClient, PcapsClientError
from pcaps_client.models import FailureResponse, Ownership

from tests.client.helpers import Credentials

GOOD = {
    "id": "9883874ecac311ec8475433579a6bf5f",
    "destination_conf": "s3://pcaps-bucket?region=us-east-1",
    "filename": "ownership-challenge-9883874ecac311ec8475433579a6bf5f.txt",
    "status": "success",
    "submitted": "2020-01-01T08:00:00Z",
    "validated": "2020-01-01T08:05:00Z",
}
Sent = list[httpx.Request]


def _answering(status: int, body: Any, sent: Sent | None = None) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if sent is not None:
            sent.append(request)
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return httpx.Client(transport=httpx.MockTransport(handler), base_url="http://api.test/client/v4")


def _envelope(result: Any, success: Any = True) -> dict[str, Any]:
    return {"errors": [], "messages": [], "result": result, "success": success}


def _client(status: int, body: Any, sent: Sent | None = None, **options: Any) -> PcapsClient:
    options.setdefault("api_token", "t0ken")
    options.setdefault("max_retries", 0)  # each rule on one answer; the retries are test_retries.py's
    return PcapsClient(base_url="http://api.test/client/v4", **options).set_httpx_client(_answering(status, body, sent))


def test_a_conforming_record_parses_with_typed_fields() -> None:
    record = _client(200, _envelope(GOOD)).add_bucket("acc", "s3://pcaps-bucket")

    assert record.id == GOOD["id"]
    assert record.submitted.isoformat() == "2020-01-01T08:00:00+00:00"
    assert record.to_dict()["status"] == "success"


def test_an_empty_validated_string_is_accepted_as_the_real_api_sends_it() -> None:
    record = _client(200, _envelope({**GOOD, "validated": ""})).add_bucket("acc", "s3://pcaps-bucket")

    assert record.validated == ""


@pytest.mark.parametrize(
    ("result", "field", "expected"),
    [
        (
            {**GOOD, "validated": "yesterday"},
            "OwnershipSingleResponse.result.validated",
            "Timestamp or an empty string",
        ),
        ({**GOOD, "submitted": "soon"}, "OwnershipSingleResponse.result.submitted", "datetime"),
        ({**GOOD, "submitted": "2020-01-01T08:00:00"}, "OwnershipSingleResponse.result.submitted", "datetime"),
        ({**GOOD, "validated": "2020-01-01"}, "OwnershipSingleResponse.result.validated", "Timestamp"),
        ({**GOOD, "id": "9883874ecac311ec8475433579a6bf5f0"}, "OwnershipSingleResponse.result.id", "exactly 32"),
        ({k: v for k, v in GOOD.items() if k != "filename"}, "OwnershipSingleResponse.result.filename", "required"),
        ("not an object", "OwnershipSingleResponse.result", "Ownership"),
    ],
    ids=[
        "validated neither timestamp nor empty",
        "submitted not a timestamp",
        "submitted without an offset",
        "validated a date without a time",
        "id of 33",
        "filename missing",
        "result not an object",
    ],
)
def test_a_record_that_breaks_the_contract_raises_naming_the_field(result: Any, field: str, expected: str) -> None:
    with pytest.raises(ContractViolation) as raised:
        _client(200, _envelope(result)).add_bucket("acc", "s3://pcaps-bucket")

    assert raised.value.field == field
    assert expected in raised.value.expected


def test_a_broken_record_in_a_list_is_named_by_its_index() -> None:
    client = _client(200, _envelope([GOOD, {**GOOD, "status": "archived"}]))

    with pytest.raises(ContractViolation) as raised:
        client.list_buckets("acc")

    assert raised.value.field == "OwnershipCollectionResponse.result[1].status"
    assert str(raised.value).splitlines() == [
        "OwnershipCollectionResponse.result[1].status breaks the contract",
        "Expected: one of 'pending', 'success', 'failed'",
        "Received: 'archived'",
    ]


def test_a_null_list_result_comes_back_as_an_empty_list() -> None:
    assert _client(200, _envelope(None)).list_buckets("acc") == []


def test_a_list_result_of_another_type_raises() -> None:
    with pytest.raises(ContractViolation, match=r"OwnershipCollectionResponse\.result breaks"):
        _client(200, _envelope("three buckets")).list_buckets("acc")


@pytest.mark.parametrize(
    "timestamp", ["2020-01-01T08:00:00Z", "2020-01-01t08:00:00.5z", "2020-01-01T10:00:00.123456789+02:00"]
)
def test_every_rfc_3339_form_of_a_timestamp_is_accepted(timestamp: str) -> None:
    record = Ownership.from_dict({**GOOD, "submitted": timestamp})

    assert record.submitted.utcoffset() is not None


@pytest.mark.parametrize(
    ("result", "success", "field"),
    [("something", False, "FailureResponse.result"), (None, True, "FailureResponse.success")],
    ids=["result not null", "success true"],
)
def test_a_failure_envelope_must_have_a_null_result_and_success_false(result: Any, success: bool, field: str) -> None:
    body = {"errors": [{"code": 1000, "message": "m"}], "messages": [], "result": result, "success": success}

    with pytest.raises(ContractViolation) as raised:
        FailureResponse.from_dict(body)

    assert raised.value.field == field


def test_models_parsed_outside_a_client_are_strict() -> None:
    with pytest.raises(ContractViolation, match=r"Ownership\.status"):
        Ownership.from_dict({**GOOD, "status": "archived"})


def test_a_failure_envelope_carries_status_and_every_error_field() -> None:
    failure = {
        "errors": [
            {
                "code": 1001,
                "message": "destination_conf is required",
                "documentation_url": "https://developers.cloudflare.com/",
                "source": {"pointer": "/destination_conf"},
            },
            {"code": 1002, "message": "second"},
        ],
        "messages": [],
        "result": None,
        "success": False,
    }

    with pytest.raises(PcapsApiError) as raised:
        _client(400, failure).add_bucket("acc", "s3://pcaps-bucket")

    first, second = raised.value.errors
    assert raised.value.status_code == 400
    assert (first.code, first.message, first.documentation_url, first.pointer) == (
        1001,
        "destination_conf is required",
        "https://developers.cloudflare.com/",
        "/destination_conf",
    )
    assert (second.code, second.documentation_url, second.pointer) == (1002, None, None)
    assert str(raised.value) == "HTTP 400: 1001: destination_conf is required (at /destination_conf); 1002: second"


@pytest.mark.parametrize(
    "body",
    ["<html>bad gateway</html>", {"message": "not an envelope"}, _envelope(None, success=True)],
    ids=["html", "another shape", "success true on a failure"],
)
def test_a_failure_without_a_valid_envelope_is_still_a_pcaps_api_error(body: Any) -> None:
    with pytest.raises(PcapsApiError) as raised:
        _client(502, body).delete_bucket("acc", GOOD["id"])

    assert raised.value.status_code == 502
    assert raised.value.errors == ()
    assert "not a failure envelope" in str(raised.value)


def test_the_bearer_token_is_sent_as_authorization() -> None:
    sent: Sent = []
    _client(200, _envelope([]), sent, api_token="t0ken").list_buckets("acc")

    assert sent[0].headers["Authorization"] == "Bearer t0ken"
    assert "X-Auth-Key" not in sent[0].headers


def test_email_and_key_are_sent_as_x_auth_headers() -> None:
    sent: Sent = []
    _client(200, _envelope([]), sent, api_token=None, api_email="me@example.com", api_key="k3y").list_buckets("acc")

    assert (sent[0].headers["X-Auth-Email"], sent[0].headers["X-Auth-Key"]) == ("me@example.com", "k3y")
    assert "Authorization" not in sent[0].headers


def test_the_token_comes_from_cloudflare_api_token_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "from-env")
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "ignored@example.com")
    sent: Sent = []
    PcapsClient().set_httpx_client(_answering(200, _envelope([]), sent)).list_buckets("acc")

    assert sent[0].headers["Authorization"] == "Bearer from-env"


def test_email_and_key_come_from_the_environment_when_no_token_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_EMAIL", "me@example.com")
    monkeypatch.setenv("CLOUDFLARE_API_KEY", "env-k3y")
    sent: Sent = []
    PcapsClient().set_httpx_client(_answering(200, _envelope([]), sent)).list_buckets("acc")

    assert (sent[0].headers["X-Auth-Email"], sent[0].headers["X-Auth-Key"]) == ("me@example.com", "env-k3y")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "no credentials"),
        ({"api_email": "me@example.com"}, "go together"),
        ({"api_key": "k3y"}, "go together"),
        ({"api_token": "t", "api_key": "k3y"}, "not both"),
    ],
    ids=["none", "email alone", "key alone", "both styles"],
)
def test_incomplete_or_mixed_credentials_are_refused_up_front(options: Credentials, message: str) -> None:
    with pytest.raises(PcapsClientError, match=message):
        PcapsClient(**options)


def test_the_base_url_defaults_to_cloudflare_or_cloudflare_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert str(PcapsClient(api_token="t").get_httpx_client().base_url) == "https://api.cloudflare.com/client/v4/"

    monkeypatch.setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:8787/client/v4")

    assert str(PcapsClient(api_token="t").get_httpx_client().base_url) == "http://127.0.0.1:8787/client/v4/"


def test_secrets_stay_out_of_the_clients_repr() -> None:
    shown = repr(PcapsClient(api_email="me@example.com", api_key="s3cret-k3y")) + repr(
        PcapsClient(api_token="s3cret-t0ken")
    )

    assert "s3cret" not in shown
