"""The four operations over a real socket: what each answers, and that the answers conform to the spec."""

from __future__ import annotations

import re
from typing import Any, cast

import httpx
from starlette.testclient import TestClient

from pcaps_contract.mock import create_app
from pcaps_contract.openapi.spec import Spec

RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _add(
    api: httpx.Client, account: str, destination_conf: str = "s3://pcaps-bucket?region=us-east-1"
) -> dict[str, Any]:
    response = api.post(f"/accounts/{account}/pcaps/ownership", json={"destination_conf": destination_conf})
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


def _challenge(api: httpx.Client, account: str, ownership_id: str) -> str:
    base = str(api.base_url).removesuffix("/client/v4/").removesuffix("/client/v4")
    response = httpx.get(f"{base}/__mock__/accounts/{account}/challenges/{ownership_id}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_add_bucket_answers_a_pending_record_that_conforms_to_the_spec(
    api: httpx.Client, account: str, spec: Spec
) -> None:
    body = _add(api, account)

    assert spec.errors(spec.response_schema_pointer("add_bucket", "200"), body) == []
    record = body["result"]
    assert re.fullmatch(r"[0-9a-f]{32}", record["id"])
    assert record["filename"] == f"ownership-challenge-{record['id']}.txt"
    assert record["status"] == "pending"
    assert record["destination_conf"] == "s3://pcaps-bucket?region=us-east-1"
    assert RFC3339_UTC.fullmatch(record["submitted"])
    assert record["validated"] == ""


def test_list_shows_the_accounts_buckets_and_only_them(api: httpx.Client, account: str, spec: Spec) -> None:
    first = _add(api, account)["result"]
    second = _add(api, account, "gs://other-bucket")["result"]
    _add(api, account[::-1])

    response = api.get(f"/accounts/{account}/pcaps/ownership")

    assert response.status_code == 200
    body = response.json()
    assert spec.errors(spec.response_schema_pointer("list_buckets", "200"), body) == []
    assert [record["id"] for record in body["result"]] == [first["id"], second["id"]]


def test_an_account_without_buckets_lists_an_empty_array(api: httpx.Client, account: str) -> None:
    assert api.get(f"/accounts/{account}/pcaps/ownership").json()["result"] == []


def test_delete_answers_204_with_an_empty_body_then_404(api: httpx.Client, account: str, spec: Spec) -> None:
    ownership_id = _add(api, account)["result"]["id"]

    deleted = api.delete(f"/accounts/{account}/pcaps/ownership/{ownership_id}")
    again = api.delete(f"/accounts/{account}/pcaps/ownership/{ownership_id}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert again.status_code == 404
    assert spec.errors(spec.response_schema_pointer("delete_bucket", "4XX"), again.json()) == []
    assert api.get(f"/accounts/{account}/pcaps/ownership").json()["result"] == []


def test_validate_with_the_challenge_content_succeeds(api: httpx.Client, account: str, spec: Spec) -> None:
    record = _add(api, account)["result"]
    content = _challenge(api, account, record["id"])

    response = api.post(
        f"/accounts/{account}/pcaps/ownership/validate",
        json={"destination_conf": record["destination_conf"], "ownership_challenge": content},
    )

    assert response.status_code == 200
    body = response.json()
    assert spec.errors(spec.response_schema_pointer("validate_bucket", "200"), body) == []
    assert body["result"]["id"] == record["id"]
    assert body["result"]["status"] == "success"
    assert RFC3339_UTC.fullmatch(body["result"]["validated"])


def test_validate_with_a_wrong_challenge_fails(api: httpx.Client, account: str) -> None:
    record = _add(api, account)["result"]

    response = api.post(
        f"/accounts/{account}/pcaps/ownership/validate",
        json={"destination_conf": record["destination_conf"], "ownership_challenge": record["filename"]},
    )

    assert response.status_code == 200
    assert response.json()["result"]["status"] == "failed"


def test_validate_of_a_bucket_never_added_is_404(api: httpx.Client, account: str, spec: Spec) -> None:
    response = api.post(
        f"/accounts/{account}/pcaps/ownership/validate",
        json={"destination_conf": "s3://never-added", "ownership_challenge": "x"},
    )

    assert response.status_code == 404
    assert spec.errors(spec.response_schema_pointer("validate_bucket", "4XX"), response.json()) == []
    assert response.json()["errors"][0]["source"] == {"pointer": "/destination_conf"}


def test_the_app_starts_and_stops_under_a_lifespan_aware_client() -> None:
    with TestClient(create_app()) as client:  # sends the lifespan startup and shutdown events
        assert client.get("/client/v4/accounts/a/pcaps/ownership").status_code == 401
