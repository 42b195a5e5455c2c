"""Refactors of the real spec that change nothing a client can see are reported as nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any, cast

import pytest

from pcaps_contract._errors import SpecError
from pcaps_contract.diff import diff_documents
from pcaps_contract.diff.normalize import normalize, path_key
from pcaps_contract.openapi.spec import Spec

Document = dict[str, Any]
LIST = "/accounts/{account_id}/pcaps/ownership"


def schemas(document: Document) -> Document:
    return cast(Document, document["components"]["schemas"])


def extract_challenge_to_a_ref(document: Document) -> None:
    properties = schemas(document)["OwnershipValidateRequest"]["properties"]
    schemas(document)["Challenge"] = properties["ownership_challenge"]
    properties["ownership_challenge"] = {"$ref": "#/components/schemas/Challenge"}


def inline_the_status_ref(document: Document) -> None:
    schemas(document)["Ownership"]["properties"]["status"] = copy.deepcopy(schemas(document)["OwnershipStatus"])


def wrap_result_in_all_of(document: Document) -> None:
    schemas(document)["OwnershipSingleResponse"]["properties"]["result"] = {
        "allOf": [{"$ref": "#/components/schemas/Ownership"}]
    }


def submitted_as_ref_with_sibling_description(document: Document) -> None:
    submitted = schemas(document)["Ownership"]["properties"]["submitted"]
    submitted["$ref"] = submitted.pop("allOf")[0]["$ref"]


def split_ownership_into_all_of(document: Document) -> None:
    whole = schemas(document)["Ownership"]
    first = {"type": "object", "required": ["id"], "properties": {"id": whole["properties"].pop("id")}}
    whole["required"].remove("id")
    schemas(document)["OwnershipId"] = first
    schemas(document)["Ownership"] = {"allOf": [{"$ref": "#/components/schemas/OwnershipId"}, whole]}


def reverse_every_mapping(document: Document) -> None:
    def reverse(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: reverse(value) for key, value in reversed(list(node.items()))}
        if isinstance(node, list):
            return [reverse(item) for item in node]
        return node

    reversed_document = reverse(document)
    document.clear()
    document.update(reversed_document)


def nullable_the_openapi_3_0_way(document: Document) -> None:
    result = schemas(document)["OwnershipCollectionResponse"]["properties"]["result"]
    result["type"] = "array"
    result["nullable"] = True


def nullable_as_any_of_with_null(document: Document) -> None:
    properties = schemas(document)["OwnershipCollectionResponse"]["properties"]
    result = properties["result"]
    result["type"] = "array"
    properties["result"] = {"anyOf": [result, {"type": "null"}]}


def success_as_enum_true(document: Document) -> None:
    for name in ("OwnershipSingleResponse", "OwnershipCollectionResponse"):
        success = schemas(document)[name]["properties"]["success"]
        del success["const"]
        success["enum"] = [True]


def rename_a_classless_schema_everywhere(document: Document) -> None:
    def rename(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == "#/components/schemas/Timestamp":
                node["$ref"] = "#/components/schemas/Instant"
            for value in node.values():
                rename(value)
        elif isinstance(node, list):
            for item in node:
                rename(item)

    schemas(document)["Instant"] = schemas(document).pop("Timestamp")
    rename(document)


def move_path_parameters_into_operations(document: Document) -> None:
    item = document["paths"][LIST]
    parameters = item.pop("parameters")
    for method in ("get", "post"):
        item[method]["parameters"] = copy.deepcopy(parameters)


def inline_the_failure_response(document: Document) -> None:
    responses = document["paths"][LIST]["post"]["responses"]
    responses["4XX"] = copy.deepcopy(document["components"]["responses"]["Failure"])


def reorder_security_alternatives(document: Document) -> None:
    document["security"].reverse()


def edit_vendor_extensions(document: Document) -> None:
    document["paths"][LIST]["post"]["x-cloudflare-operation-id"] = "something-else"
    document["tags"][0]["x-cloudflare-tag"] = "Other"


REFACTORS: dict[str, Callable[[Document], None]] = {
    "an inline schema extracted to a $ref": extract_challenge_to_a_ref,
    "a $ref replaced by a copy of its target": inline_the_status_ref,
    "a $ref wrapped in allOf": wrap_result_in_all_of,
    "allOf of one $ref replaced by the $ref with a sibling": submitted_as_ref_with_sibling_description,
    "a schema split into an allOf of two parts": split_ownership_into_all_of,
    "every mapping's keys reordered": reverse_every_mapping,
    "3.1 type null written as 3.0 nullable": nullable_the_openapi_3_0_way,
    "3.1 type null written as anyOf with null": nullable_as_any_of_with_null,
    "const true written as enum [true]": success_as_enum_true,
    # A schema the generated client makes a model class of is another matter: see test_diff_rules.
    "a string schema renamed with all its references": rename_a_classless_schema_everywhere,
    "path-level parameters moved into the operations": move_path_parameters_into_operations,
    "a response $ref replaced by a copy": inline_the_failure_response,
    "security alternatives reordered": reorder_security_alternatives,
    "vendor extensions edited": edit_vendor_extensions,
}


@pytest.mark.parametrize("name", list(REFACTORS))
def test_a_refactor_that_changes_nothing_reports_nothing(spec: Spec, name: str) -> None:
    new = copy.deepcopy(spec.document)
    REFACTORS[name](new)
    assert json.dumps(new) != json.dumps(spec.document)  # the refactor did edit the document
    assert diff_documents(spec.document, new) == []


def test_path_parameter_names_do_not_make_a_path_different() -> None:
    assert path_key("/accounts/{account_id}/pcaps") == path_key("/accounts/{id}/pcaps") == "/accounts/{}/pcaps"


def one_response(response: Document, schemas: Document | None = None) -> Document:
    """A minimal document whose only operation, `GET /x`, answers 200 with this response."""
    return {
        "openapi": "3.1.0",
        "paths": {"/x": {"get": {"responses": {"200": response}}}},
        "components": {"schemas": schemas or {}},
    }


def json_body(schema: Document) -> Document:
    return {"description": "a body", "content": {"application/json": {"schema": schema}}}


def test_a_recursive_schema_is_compared_without_looping() -> None:
    node = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}},
    }
    document = one_response(json_body({"$ref": "#/components/schemas/Node"}), {"Node": node})
    changed = copy.deepcopy(document)
    changed["components"]["schemas"]["Node"]["properties"]["name"] = {"type": "string"}
    assert [change.rule for change in diff_documents(document, changed)] == ["response-field-added"]


def test_a_dangling_ref_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="points nowhere"):
        normalize(one_response({"$ref": "#/components/responses/Missing"}))


def test_an_external_ref_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="outside the document"):
        normalize(one_response(json_body({"$ref": "other.yaml#/X"})))


def test_openapi_3_0_exclusive_minimum_flag_equals_the_3_1_number(spec: Spec) -> None:
    old, new = copy.deepcopy(spec.document), copy.deepcopy(spec.document)
    code = schemas(old)["ResponseInfo"]["properties"]["code"]
    code.update({"minimum": 999, "exclusiveMinimum": True})
    schemas(new)["ResponseInfo"]["properties"]["code"] = {"type": "integer", "exclusiveMinimum": 999}
    assert diff_documents(old, new) == []
