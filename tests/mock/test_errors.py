"""Every refusal is the spec's failure envelope with the right status; hostile input never gets a 5xx."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pcaps_contract.mock import DEV_API_KEY, DEV_EMAIL, DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.openapi.spec import Spec

BEARER = {"Authorization": f"Bearer {DEV_TOKEN}"}
JSON = {**BEARER, "Content-Type": "application/json"}
BUCKET = {"destination_conf": "s3://pcaps-bucket"}


def assert_failure(spec: Spec, response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    """The response is the failure envelope with this status and, first, this error code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert spec.errors("/components/schemas/FailureResponse", body) == []
    assert body["errors"][0]["code"] == code
    return body


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        pytest.param({}, 401, 9106, id="no credentials"),
        pytest.param({"Authorization": "Bearer wrong"}, 403, 9109, id="wrong token"),
        pytest.param({"Authorization": f"Basic {DEV_TOKEN}"}, 401, 9106, id="not a bearer token"),
        pytest.param({"Authorization": "Bearer"}, 401, 9106, id="bearer without a token"),
        pytest.param({"X-Auth-Email": DEV_EMAIL}, 401, 9106, id="email without key"),
        pytest.param({"X-Auth-Key": DEV_API_KEY}, 401, 9106, id="key without email"),
        pytest.param({"X-Auth-Email": DEV_EMAIL, "X-Auth-Key": "wrong"}, 403, 9103, id="wrong key"),
        pytest.param({"X-Auth-Email": "wrong@example.com", "X-Auth-Key": DEV_API_KEY}, 403, 9103, id="wrong email"),
        pytest.param({"X-Auth-Email": DEV_EMAIL, "X-Auth-Key": DEV_TOKEN}, 403, 9103, id="token as key"),
    ],
)
def test_missing_credentials_are_401_and_wrong_ones_403(
    mock_url: str, account: str, spec: Spec, headers: dict[str, str], status: int, code: int
) -> None:
    response = httpx.get(f"{mock_url}/accounts/{account}/pcaps/ownership", headers=headers)

    assert_failure(spec, response, status, code)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(BEARER, id="token"),
        pytest.param({"X-Auth-Email": DEV_EMAIL, "X-Auth-Key": DEV_API_KEY}, id="email and key"),
    ],
)
def test_either_credential_style_is_accepted(mock_url: str, account: str, headers: dict[str, str]) -> None:
    assert httpx.get(f"{mock_url}/accounts/{account}/pcaps/ownership", headers=headers).status_code == 200


def test_a_scoped_token_is_refused_other_accounts(scoped_mock_url: str, scoped_account: str, spec: Spec) -> None:
    other = httpx.get(f"{scoped_mock_url}/accounts/{'0' * 32}/pcaps/ownership", headers=BEARER)
    own = httpx.get(f"{scoped_mock_url}/accounts/{scoped_account}/pcaps/ownership", headers=BEARER)

    assert_failure(spec, other, 403, 10000)
    assert own.status_code == 200


def test_credentials_are_checked_before_anything_is_read(mock_url: str, account: str, spec: Spec) -> None:
    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", content=b"not json")

    assert_failure(spec, response, 401, 9106)


def test_an_unknown_route_is_404(mock_url: str, account: str, spec: Spec) -> None:
    root = mock_url.removesuffix("/client/v4")

    assert_failure(spec, httpx.get(f"{mock_url}/accounts/{account}/pcaps", headers=BEARER), 404, 7000)
    assert_failure(spec, httpx.get(f"{mock_url}/accounts/{account}/pcaps/ownership/a/b", headers=BEARER), 404, 7000)
    assert_failure(spec, httpx.get(f"{root}/anything", headers=BEARER), 404, 7000)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/pcaps/ownership", "GET, POST"),
        ("DELETE", "/pcaps/ownership", "GET, POST"),
        ("HEAD", "/pcaps/ownership", "GET, POST"),
        ("GET", "/pcaps/ownership/validate", "POST"),
        ("DELETE", "/pcaps/ownership/validate", "POST"),
        ("GET", "/pcaps/ownership/9883874ecac311ec8475433579a6bf5f", "DELETE"),
        ("OPTIONS", "/pcaps/ownership/9883874ecac311ec8475433579a6bf5f", "DELETE"),
    ],
)
def test_an_undeclared_method_is_405_with_the_declared_ones_in_allow(
    mock_url: str, account: str, spec: Spec, method: str, path: str, allow: str
) -> None:
    response = httpx.request(method, f"{mock_url}/accounts/{account}{path}", headers=BEARER)

    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if method != "HEAD":
        assert_failure(spec, response, 405, 7001)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/accounts//pcaps/ownership", id="empty account_id"),
        pytest.param(f"/accounts/{'a' * 33}/pcaps/ownership", id="account_id over 32"),
        pytest.param(f"/accounts/{'a' * 32}/pcaps/ownership/{'b' * 33}", id="ownership_id over 32"),
        pytest.param(f"/accounts/{'a' * 32}/pcaps/ownership/", id="empty ownership_id"),
    ],
)
def test_an_identifier_outside_the_spec_lengths_is_400(mock_url: str, spec: Spec, path: str) -> None:
    method = "DELETE" if path.count("/") == 5 else "GET"

    body = assert_failure(spec, httpx.request(method, mock_url + path, headers=BEARER), 400, 7003)

    assert "1 to 32 characters" in body["errors"][0]["message"]


def test_the_identifier_limits_allow_exactly_32_characters(mock_url: str, spec: Spec) -> None:
    response = httpx.delete(f"{mock_url}/accounts/{'a' * 32}/pcaps/ownership/{'b' * 32}", headers=BEARER)

    assert_failure(spec, response, 404, 1002)


@pytest.mark.parametrize(
    ("content_type", "status", "code"),
    [
        pytest.param("text/plain", 415, 1005, id="text/plain"),
        pytest.param("application/x-www-form-urlencoded", 415, 1005, id="form"),
        pytest.param(None, 415, 1005, id="no content type"),
        pytest.param("application/json; charset=utf-8", 200, None, id="json with charset"),
        pytest.param("Application/JSON", 200, None, id="json in capitals"),
    ],
)
def test_a_body_that_is_not_declared_json_is_415(
    mock_url: str, account: str, spec: Spec, content_type: str | None, status: int, code: int | None
) -> None:
    headers = {**BEARER, **({"Content-Type": content_type} if content_type else {})}

    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", content=json.dumps(BUCKET), headers=headers)

    if code is None:
        assert response.status_code == status
    else:
        assert_failure(spec, response, status, code)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{", id="truncated"),
        pytest.param(b"destination_conf=s3://b", id="form data"),
        pytest.param(b'{"destination_conf": "s3://b"} trailing', id="trailing data"),
        pytest.param(b'{"destination_conf": "s3://\xff\xfe"}', id="invalid UTF-8"),
        pytest.param(b"\xef\xbb\xbf" + json.dumps(BUCKET).encode(), id="byte order mark"),
        pytest.param(json.dumps(BUCKET).encode("utf-16"), id="UTF-16"),
        pytest.param(b'{"destination_conf": NaN}', id="NaN"),
        pytest.param(b"[" * 30_000 + b"]" * 30_000, id="nested 30,000 deep"),
    ],
)
def test_a_body_that_is_not_json_is_400(mock_url: str, account: str, spec: Spec, content: bytes) -> None:
    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", content=content, headers=JSON)

    assert_failure(spec, response, 400, 6007)


@pytest.mark.parametrize("content", [b"", b"  \n"])
def test_a_missing_body_is_400(mock_url: str, account: str, spec: Spec, content: bytes) -> None:
    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", content=content, headers=JSON)

    assert_failure(spec, response, 400, 1006)


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        pytest.param({}, ["/destination_conf"], id="missing field"),
        pytest.param({"destination_conf": 7}, ["/destination_conf"], id="number"),
        pytest.param({"destination_conf": None}, ["/destination_conf"], id="null"),
        pytest.param({"destination_conf": "https://bucket"}, ["/destination_conf"], id="other scheme"),
        pytest.param({"destination_conf": "s3://"}, ["/destination_conf"], id="no bucket"),
        pytest.param({"destination_conf": "s3://b\n"}, ["/destination_conf"], id="final newline"),
        pytest.param({"destination_conf": "s3://b\u0000c"}, ["/destination_conf"], id="NUL byte"),
        pytest.param(["s3://b"], [""], id="array body"),
        pytest.param("s3://b", [""], id="string body"),
    ],
)
def test_an_invalid_add_body_is_400_naming_the_field(
    mock_url: str, account: str, spec: Spec, body: object, pointers: list[str]
) -> None:
    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", json=body, headers=BEARER)

    errors = assert_failure(spec, response, 400, 1001)["errors"]
    assert [error["source"]["pointer"] for error in errors] == pointers
    assert all(error["message"] for error in errors)


def test_an_invalid_validate_body_names_every_field_at_fault(mock_url: str, account: str, spec: Spec) -> None:
    response = httpx.post(
        f"{mock_url}/accounts/{account}/pcaps/ownership/validate",
        json={"destination_conf": "ftp://b"},
        headers=BEARER,
    )

    errors = assert_failure(spec, response, 400, 1001)["errors"]
    assert sorted(error["source"]["pointer"] for error in errors) == ["/destination_conf", "/ownership_challenge"]


def test_unknown_request_fields_are_ignored(mock_url: str, account: str) -> None:
    body = {**BUCKET, "unknown": {"deep": [1, 2, {"x": None}]}, "id": "ffffffffffffffffffffffffffffffff"}

    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", json=body, headers=BEARER)

    assert response.status_code == 200
    assert response.json()["result"]["id"] != body["id"]


def test_unusual_but_valid_strings_are_stored_and_echoed(mock_url: str, account: str) -> None:
    destination = "s3://b\u00e9\u4e2d\U0001f600?x=\ud7ff#\u2028"

    response = httpx.post(
        f"{mock_url}/accounts/{account}/pcaps/ownership", json={"destination_conf": destination}, headers=BEARER
    )

    assert response.status_code == 200
    assert response.json()["result"]["destination_conf"] == destination


def test_a_lone_surrogate_in_a_string_is_answered_not_crashed_on(mock_url: str, account: str) -> None:
    content = b'{"destination_conf": "s3://b\\ud800"}'

    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", content=content, headers=JSON)

    assert response.status_code == 200
    assert json.loads(response.content)["result"]["destination_conf"] == "s3://b\ud800"


def test_a_declared_huge_body_is_413_before_it_is_read(mock_url: str, account: str, spec: Spec) -> None:
    content = b'{"destination_conf": "s3://b", "pad": "' + b"x" * 200_000 + b'"}'

    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", content=content, headers=JSON)

    assert_failure(spec, response, 413, 1004)


def test_a_streamed_huge_body_is_413_once_it_passes_the_limit(mock_url: str, account: str, spec: Spec) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"destination_conf": "s3://b", "pad": "'
        for _ in range(100):
            yield b"x" * 4096
        yield b'"}'

    # A generator is sent chunked, without Content-Length, so the limit has to be enforced while reading.
    response = httpx.post(f"{mock_url}/accounts/{account}/pcaps/ownership", content=chunks(), headers=JSON)

    assert_failure(spec, response, 413, 1004)


@pytest.mark.parametrize(
    "segment",
    [
        pytest.param("%F0%9F%98%80", id="emoji"),
        pytest.param("%FF%FE", id="invalid UTF-8"),
        pytest.param("%00", id="NUL"),
        pytest.param("a%2Fb", id="encoded slash"),
        pytest.param("%E2%80%AE%E2%80%8B", id="bidi override and zero width"),
        pytest.param("x" * 5000, id="5,000 characters"),
        pytest.param("..", id="dot dot"),
    ],
)
def test_weird_path_parameters_never_get_a_5xx(mock_url: str, spec: Spec, segment: str) -> None:
    listed = httpx.get(f"{mock_url}/accounts/{segment}/pcaps/ownership", headers=BEARER)
    deleted = httpx.delete(f"{mock_url}/accounts/a/pcaps/ownership/{segment}", headers=BEARER)

    for response, operation_id in ((listed, "list_buckets"), (deleted, "delete_bucket")):
        assert response.status_code < 500
        status = "200" if response.status_code == 200 else "4XX"
        assert spec.errors(spec.response_schema_pointer(operation_id, status), response.json()) == []


def test_raw_bytes_the_http_parser_refuses_do_not_stop_the_server(mock_url: str, account: str) -> None:
    address = urlsplit(mock_url)
    for request in (
        b"GET /client/v4/accounts/\xff\x00/pcaps/ownership HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /client/v4/accounts/a/pcaps/ownership HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64,
        b"GARBAGE\r\n\r\n",
    ):
        with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
            sock.sendall(request)
            answer = sock.recv(1024)
        assert not answer.startswith(b"HTTP/1.1 5")

    assert httpx.get(f"{mock_url}/accounts/{account}/pcaps/ownership", headers=BEARER).status_code == 200


def test_a_full_mock_refuses_more_buckets_with_a_400(spec: Spec) -> None:
    with serve_in_thread(create_app(MockConfig(max_records=1))) as url:
        first = httpx.post(f"{url}/client/v4/accounts/a/pcaps/ownership", json=BUCKET, headers=BEARER)
        second = httpx.post(f"{url}/client/v4/accounts/b/pcaps/ownership", json=BUCKET, headers=BEARER)

    assert first.status_code == 200
    body = assert_failure(spec, second, 400, 1007)
    assert "at most 1 buckets" in body["errors"][0]["message"]
