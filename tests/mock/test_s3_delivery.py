"""Challenges delivered into buckets through the S3 API (moto's S3 server on 127.0.0.1), and the onboarding flow."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.openapi.spec import Spec

AUTH = {"Authorization": f"Bearer {DEV_TOKEN}"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server on 127.0.0.1."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def s3(s3_endpoint: str) -> Any:
    """A boto3 S3 client of the moto server: the user's side of the bucket."""
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="user-key",
        aws_secret_access_key="user-secret",
    )


@pytest.fixture(scope="module")
def api(s3_endpoint: str) -> Iterator[httpx.Client]:
    """A client of a mock that writes challenges to the moto server."""
    with (
        serve_in_thread(create_app(MockConfig(s3_endpoint=s3_endpoint))) as url,
        httpx.Client(base_url=url + "/client/v4", headers=AUTH) as client,
    ):
        yield client


@pytest.fixture
def bucket(s3: Any) -> str:
    """A new, empty bucket."""
    name = f"pcaps-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _add(api: httpx.Client, account: str, destination_conf: str) -> httpx.Response:
    return api.post(f"/accounts/{account}/pcaps/ownership", json={"destination_conf": destination_conf})


def _validate(api: httpx.Client, account: str, destination_conf: str, challenge: str) -> dict[str, Any]:
    response = api.post(
        f"/accounts/{account}/pcaps/ownership/validate",
        json={"destination_conf": destination_conf, "ownership_challenge": challenge},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def test_onboarding_reads_the_challenge_from_the_bucket_and_validates(
    api: httpx.Client, s3: Any, bucket: str, account: str
) -> None:
    destination = f"s3://{bucket}?region=us-east-1"
    record = _add(api, account, destination).json()["result"]

    content = s3.get_object(Bucket=bucket, Key=record["filename"])["Body"].read().decode()
    validated = _validate(api, account, destination, content)

    assert validated["status"] == "success"
    assert validated["id"] == record["id"]


def test_onboarding_with_a_wrong_challenge_fails(api: httpx.Client, s3: Any, bucket: str, account: str) -> None:
    destination = f"s3://{bucket}"
    record = _add(api, account, destination).json()["result"]

    assert _validate(api, account, destination, record["filename"])["status"] == "failed"


def test_an_r2_bucket_receives_the_challenge_under_its_path(
    api: httpx.Client, s3: Any, bucket: str, account: str
) -> None:
    destination = f"r2://{bucket}/captures/edge?account-id={account}&access-key-id=r2-key&secret-access-key=r2-secret"
    record = _add(api, account, destination).json()["result"]

    content = s3.get_object(Bucket=bucket, Key=f"captures/edge/{record['filename']}")["Body"].read().decode()

    assert _validate(api, account, destination, content)["status"] == "success"


def test_a_bucket_missing_at_the_store_is_refused_and_not_added(api: httpx.Client, account: str, spec: Spec) -> None:
    response = _add(api, account, "s3://no-such-bucket-at-all")

    assert response.status_code == 400
    body = response.json()
    assert spec.errors(spec.response_schema_pointer("add_bucket", "4XX"), body) == []
    assert body["errors"][0]["code"] == 1003
    assert "does not exist" in body["errors"][0]["message"]
    assert body["errors"][0]["source"] == {"pointer": "/destination_conf"}
    assert api.get(f"/accounts/{account}/pcaps/ownership").json()["result"] == []


def test_a_bucket_name_the_s3_api_refuses_is_a_400(api: httpx.Client, account: str) -> None:
    response = _add(api, account, "s3://bad,bucket,name")

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 1003


def test_a_gcs_bucket_is_not_written_and_its_challenge_is_served_by_the_test_route(
    api: httpx.Client, account: str
) -> None:
    record = _add(api, account, "gs://pcaps-bucket").json()["result"]
    root = str(api.base_url).removesuffix("/").removesuffix("/client/v4")

    content = httpx.get(f"{root}/__mock__/accounts/{account}/challenges/{record['id']}").text

    assert _validate(api, account, "gs://pcaps-bucket", content)["status"] == "success"


def test_an_unreachable_store_is_a_502_that_names_the_setting(account: str, spec: Spec) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config = MockConfig(s3_endpoint=f"http://127.0.0.1:{port}")

    with serve_in_thread(create_app(config)) as url:
        response = httpx.post(
            f"{url}/client/v4/accounts/{account}/pcaps/ownership",
            json={"destination_conf": "s3://pcaps-bucket"},
            headers=AUTH,
        )

    assert response.status_code == 502
    assert spec.errors(spec.response_schema_pointer("add_bucket", "default"), response.json()) == []
    assert "--s3-endpoint" in response.json()["errors"][0]["message"]
