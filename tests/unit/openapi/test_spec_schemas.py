"""The spec's own schemas accept what the real API sends and reject what breaks the contract."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any, cast

import pytest

from pcaps_contract.openapi.lint_rules import lint
from pcaps_contract.openapi.spec import SEED_EXAMPLE_FILENAME, Spec, spec_dir

SINGLE = "/components/schemas/OwnershipSingleResponse"
COLLECTION = "/components/schemas/OwnershipCollectionResponse"
FAILURE = "/components/schemas/FailureResponse"

PENDING = {
    "id": "4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b",
    "destination_conf": "gs://pcaps-bucket",
    "filename": "ownership-challenge-4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b.txt",
    "status": "pending",
    "submitted": "2026-11-26T11:05:00Z",
}


def seed_response() -> dict[str, Any]:
    return cast(dict[str, Any], json.loads((spec_dir() / SEED_EXAMPLE_FILENAME).read_text()))


def success(result: Any) -> dict[str, Any]:
    return {"errors": [], "messages": [], "result": result, "success": True}


def failure(**overrides: Any) -> dict[str, Any]:
    body = {
        "errors": [{"code": 1001, "message": "destination_conf is required"}],
        "messages": [],
        "result": None,
        "success": False,
    }
    return body | overrides


def test_bundled_spec_lints_clean(spec: Spec) -> None:
    assert lint(spec) == []


def test_seed_example_response_validates_against_create_200(spec: Spec) -> None:
    pointer = spec.response_schema_pointer("add_bucket", "200")
    assert spec.errors(pointer, seed_response()) == []


def test_seed_example_request_validates_against_create_body(spec: Spec) -> None:
    request = {"destination_conf": "s3://pcaps-bucket?region=us-east-1"}
    assert spec.errors("/components/schemas/OwnershipRequest", request) == []


def test_every_failure_response_is_the_failure_envelope(spec: Spec) -> None:
    for operation in spec.operations():
        for status in ("4XX", "default"):
            pointer = spec.response_schema_pointer(str(operation.operation_id), status)
            assert spec.errors(pointer, failure()) == []
            assert spec.errors(pointer, success(PENDING)) != []


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        node: Any = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(body: dict[str, Any]) -> None:
        node: Any = body
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


BROKEN_SUCCESS = {
    "status outside the enum": _set(("result", "status"), "validated"),
    "id of 31 characters": _set(("result", "id"), "9883874ecac311ec8475433579a6bf5"),
    "id of 33 characters": _set(("result", "id"), "9883874ecac311ec8475433579a6bf5f0"),
    "success as the string true": _set(("success",), "true"),
    "success false on a 200": _set(("success",), False),
    "missing messages": _delete("messages"),
    "missing result": _delete("result"),
    "error code below 1000": _set(("errors", 0, "code"), 999),
    "error code not an integer": _set(("errors", 0, "code"), 1000.5),
    "error without a message": _delete("errors", 0, "message"),
    "submitted with a space, no offset": _set(("result", "submitted"), "2026-11-26 11:05:00"),
    "submitted without an offset": _set(("result", "submitted"), "2026-11-26T11:05:00"),
    "validated not a timestamp": _set(("result", "validated"), "yesterday"),
    "missing filename": _delete("result", "filename"),
    "missing submitted": _delete("result", "submitted"),
}


@pytest.mark.parametrize("mutate", BROKEN_SUCCESS.values(), ids=BROKEN_SUCCESS.keys())
def test_broken_success_envelope_is_rejected(spec: Spec, mutate: Callable[[dict[str, Any]], None]) -> None:
    body = seed_response()
    mutate(body)
    assert spec.errors(SINGLE, body) != []


BROKEN_FAILURE = {
    "no errors": failure(errors=[]),
    "success true": failure(success=True),
    "a result": failure(result=PENDING),
    "error code 999": failure(errors=[{"code": 999, "message": "too low"}]),
    "success missing": {k: v for k, v in failure().items() if k != "success"},
}


@pytest.mark.parametrize("body", BROKEN_FAILURE.values(), ids=BROKEN_FAILURE.keys())
def test_broken_failure_envelope_is_rejected(spec: Spec, body: dict[str, Any]) -> None:
    assert spec.errors(FAILURE, body) != []


GOOD_SUCCESS = {
    "the reference page's response": seed_response(),
    "pending with validated empty": success(PENDING | {"validated": ""}),
    "pending without validated": success(PENDING),
    "validated with an offset": success(PENDING | {"status": "success", "validated": "2026-11-26T12:05:00.123+01:00"}),
    "extra unknown fields": success(PENDING | {"region": "us-east-1"}) | {"trace_id": "abc"},
    "messages with entries": success(PENDING) | {"messages": [{"code": 10000, "message": "deprecated soon"}]},
}


@pytest.mark.parametrize("body", GOOD_SUCCESS.values(), ids=GOOD_SUCCESS.keys())
def test_real_world_success_envelope_is_accepted(spec: Spec, body: dict[str, Any]) -> None:
    assert spec.errors(SINGLE, body) == []


GOOD_LISTS = {
    "with result_info": success([PENDING]) | {"result_info": {"page": 1, "per_page": 25, "count": 1, "total_count": 1}},
    "empty": success([]),
    "result null": success(None),
    "pending with validated empty": success([PENDING | {"validated": ""}]),
}


@pytest.mark.parametrize("body", GOOD_LISTS.values(), ids=GOOD_LISTS.keys())
def test_real_world_list_envelope_is_accepted(spec: Spec, body: dict[str, Any]) -> None:
    assert spec.errors(COLLECTION, body) == []


def test_list_with_a_broken_item_is_rejected(spec: Spec) -> None:
    assert spec.errors(COLLECTION, success([PENDING | {"status": "unknown"}])) != []


def test_failure_with_source_pointer_and_documentation_url_is_accepted(spec: Spec) -> None:
    error = {"code": 1001, "message": "bad", "documentation_url": "https://example.com", "source": {"pointer": "/x"}}
    assert spec.errors(FAILURE, failure(errors=[error])) == []


def test_spec_document_is_not_mutated_by_validation(spec: Spec) -> None:
    before = copy.deepcopy(spec.document)
    spec.errors(SINGLE, seed_response())
    assert spec.document == before
