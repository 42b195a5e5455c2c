"""Each rule of `diff` fires on the mutation of the real spec it describes, and on nothing else.

A case is a function that edits a deep copy of the bundled spec. `reverse=True` compares the edited
copy with the original instead, which turns an "added" mutation into its "removed" twin. Every case
names the exact set of rules it expects, so a rule firing where it should not fails too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from pcaps_client import models

from pcaps_contract.diff import CALLERS, CONSUMERS, RULES, diff_documents
from pcaps_contract.diff.client_names import class_name
from pcaps_contract.diff.normalize import normalize
from pcaps_contract.openapi.spec import Spec

Document = dict[str, Any]

LIST = "/accounts/{account_id}/pcaps/ownership"
ONE = "/accounts/{account_id}/pcaps/ownership/{ownership_id}"
VALIDATE = "/accounts/{account_id}/pcaps/ownership/validate"


@dataclass(frozen=True)
class Case:
    mutate: Callable[[Document], object]
    expected: dict[str, str]  # rule -> audience
    reverse: bool = False
    before: Callable[[Document], object] | None = None  # applied to both sides first

    def documents(self, original: Document) -> tuple[Document, Document]:
        old = copy.deepcopy(original)
        if self.before is not None:
            self.before(old)
        new = copy.deepcopy(old)
        self.mutate(new)
        return (new, old) if self.reverse else (old, new)


def schemas(document: Document) -> Document:
    return cast(Document, document["components"]["schemas"])


def add_bucket(document: Document) -> Document:
    return cast(Document, document["paths"][LIST]["post"])


def challenge(document: Document) -> Document:
    return cast(Document, schemas(document)["OwnershipValidateRequest"]["properties"]["ownership_challenge"])


def ownership(document: Document) -> Document:
    return cast(Document, schemas(document)["Ownership"])


def add_query_parameter(document: Document, required: bool = False) -> None:
    parameter = {"name": "page", "in": "query", "required": required, "schema": {"type": "integer"}}
    document["paths"][LIST]["get"]["parameters"] = [parameter]


def add_header_parameter(document: Document) -> None:
    header = {"name": "X-Request-Id", "in": "header", "required": True, "schema": {"type": "string"}}
    add_bucket(document)["parameters"] = [header]


def give_delete_a_body(document: Document, required: bool) -> None:
    body = {"required": required, "content": {"application/json": {"schema": {"type": "object"}}}}
    document["paths"][ONE]["delete"]["requestBody"] = body


def add_form_media_type(document: Document) -> None:
    add_bucket(document)["requestBody"]["content"]["application/x-www-form-urlencoded"] = {
        "schema": {"$ref": "#/components/schemas/OwnershipRequest"}
    }


def make_challenge_optional(document: Document) -> None:
    schemas(document)["OwnershipValidateRequest"]["required"] = ["destination_conf"]


def add_optional_request_field(document: Document) -> None:
    schemas(document)["OwnershipRequest"]["properties"]["note"] = {"type": "string"}


def add_required_request_field(document: Document) -> None:
    add_optional_request_field(document)
    schemas(document)["OwnershipRequest"]["required"].append("note")


def remove_challenge_field(document: Document) -> None:
    request = schemas(document)["OwnershipValidateRequest"]
    del request["properties"]["ownership_challenge"]
    request["required"].remove("ownership_challenge")


def challenge_enum(values: list[str]) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        challenge(document)["enum"] = values

    return mutate


def challenge_type(value: Any) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        challenge(document)["type"] = value

    return mutate


def challenge_forms(*types: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        node = challenge(document)
        node.pop("type", None)
        node["anyOf"] = [{"type": kind} for kind in types]

    return mutate


def set_path(*keys: str | int, value: Any) -> Callable[[Document], None]:
    """A mutation setting one value deep in the document."""

    def mutate(document: Document) -> None:
        node: Any = document  # objects and arrays: a key may be an index
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return mutate


def delete_path(*keys: str | int) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        node: Any = document  # objects and arrays: a key may be an index
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return mutate


def remove_error_responses(document: Document) -> None:
    del add_bucket(document)["responses"]["4XX"]
    del add_bucket(document)["responses"]["default"]


def add_created_status(document: Document) -> None:
    add_bucket(document)["responses"]["201"] = copy.deepcopy(add_bucket(document)["responses"]["200"])


def add_not_found_status(document: Document) -> None:
    add_bucket(document)["responses"]["404"] = {"$ref": "#/components/responses/Failure"}


def add_text_response(document: Document) -> None:
    add_bucket(document)["responses"]["200"]["content"]["text/plain"] = {"schema": {"type": "string"}}


def add_response_header(document: Document) -> None:
    add_bucket(document)["responses"]["200"]["headers"] = {"X-Request-Id": {"schema": {"type": "string"}}}


def add_response_field(document: Document) -> None:
    ownership(document)["properties"]["region"] = {"type": "string"}


def make_filename_optional(document: Document) -> None:
    ownership(document)["required"].remove("filename")


def add_expired_status(document: Document) -> None:
    schemas(document)["OwnershipStatus"]["enum"].append("expired")


def add_validated_form(document: Document) -> None:
    ownership(document)["properties"]["validated"]["anyOf"].append({"type": "integer"})


def accept_only_tokens(document: Document) -> None:
    document["security"] = [{"api_token": []}]


def rename_path_parameter(name: str) -> Callable[[Document], None]:
    def mutate(document: Document) -> None:
        document["paths"][LIST + "/{" + name + "}"] = document["paths"].pop(ONE)
        document["components"]["parameters"]["ownership_id"]["name"] = name

    return mutate


def rename_schema(old: str, new: str) -> Callable[[Document], None]:
    """A component schema renamed, with every `$ref` to it."""

    def rename(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("$ref") == f"#/components/schemas/{old}":
                node["$ref"] = f"#/components/schemas/{new}"
            for value in node.values():
                rename(value)
        elif isinstance(node, list):
            for item in node:
                rename(item)

    def mutate(document: Document) -> None:
        schemas(document)[new] = schemas(document).pop(old)
        rename(document)

    return mutate


def narrow_destination_pattern(document: Document) -> None:
    schemas(document)["DestinationConf"]["pattern"] = r"^s3://[^/?#\u0000-\u0020]+(?![\s\S])"


CASES: dict[str, Case] = {
    "validate path removed": Case(delete_path("paths", VALIDATE), {"path-removed": CALLERS}),
    "validate path added": Case(delete_path("paths", VALIDATE), {"path-added": CALLERS}, reverse=True),
    "list operation removed": Case(delete_path("paths", LIST, "get"), {"operation-removed": CALLERS}),
    "list operation added": Case(delete_path("paths", LIST, "get"), {"operation-added": CALLERS}, reverse=True),
    "operationId renamed": Case(
        set_path("paths", LIST, "post", "operationId", value="create_bucket"), {"operation-id-changed": CALLERS}
    ),
    "first tag changed": Case(
        set_path("paths", LIST, "post", "tags", value=["buckets"]), {"operation-tag-changed": CALLERS}
    ),
    "path parameter renamed": Case(rename_path_parameter("id"), {"path-parameter-renamed": CALLERS}),
    "path parameter respelled as the same keyword": Case(
        rename_path_parameter("ownershipId"), {"client-name-respelled": CALLERS}
    ),
    "operationId respelled as the same function": Case(
        set_path("paths", LIST, "post", "operationId", value="addBucket"), {"client-name-respelled": CALLERS}
    ),
    "first tag respelled as the same module": Case(
        set_path("paths", LIST, "post", "tags", value=["Ownership"]), {"client-name-respelled": CALLERS}
    ),
    "request schema renamed": Case(rename_schema("OwnershipRequest", "BucketRequest"), {"model-renamed": CALLERS}),
    "response schema renamed": Case(rename_schema("Ownership", "Bucket"), {"model-renamed": CALLERS}),
    "schema respelled as the same class": Case(
        rename_schema("Ownership", "ownership"), {"client-name-respelled": CALLERS}
    ),
    "schema titled with another class name": Case(
        set_path("components", "schemas", "OwnershipRequest", "title", value="Bucket request"),
        {"model-renamed": CALLERS, "description-changed": CALLERS},
    ),
    "optional query parameter added": Case(add_query_parameter, {"request-parameter-added-optional": CALLERS}),
    "query parameter removed": Case(add_query_parameter, {"request-parameter-removed": CALLERS}, reverse=True),
    "required header parameter added": Case(add_header_parameter, {"request-parameter-added-required": CALLERS}),
    "query parameter made required": Case(
        set_path("paths", LIST, "get", "parameters", 0, "required", value=True),
        {"request-parameter-became-required": CALLERS},
        before=add_query_parameter,
    ),
    "query parameter made optional": Case(
        set_path("paths", LIST, "get", "parameters", 0, "required", value=True),
        {"request-parameter-became-optional": CALLERS},
        before=add_query_parameter,
        reverse=True,
    ),
    "required body added to delete": Case(
        lambda d: give_delete_a_body(d, required=True), {"request-body-added-required": CALLERS}
    ),
    "optional body added to delete": Case(
        lambda d: give_delete_a_body(d, required=False), {"request-body-added-optional": CALLERS}
    ),
    "add body removed": Case(delete_path("paths", LIST, "post", "requestBody"), {"request-body-removed": CALLERS}),
    "add body made optional": Case(
        set_path("paths", LIST, "post", "requestBody", "required", value=False),
        {"request-body-became-optional": CALLERS},
    ),
    "add body made required": Case(
        set_path("paths", LIST, "post", "requestBody", "required", value=False),
        {"request-body-became-required": CALLERS},
        reverse=True,
    ),
    "form media type added to request": Case(add_form_media_type, {"request-media-type-added": CALLERS}),
    "form media type removed from request": Case(
        add_form_media_type, {"request-media-type-removed": CALLERS}, reverse=True
    ),
    "required request field added": Case(add_required_request_field, {"request-field-added-required": CALLERS}),
    "optional request field added": Case(add_optional_request_field, {"request-field-added-optional": CALLERS}),
    "request field removed": Case(remove_challenge_field, {"request-field-removed": CALLERS}),
    "request field made optional": Case(make_challenge_optional, {"request-field-became-optional": CALLERS}),
    "request field made required": Case(
        make_challenge_optional, {"request-field-became-required": CALLERS}, reverse=True
    ),
    "request field type changed": Case(challenge_type("integer"), {"request-type-changed": CALLERS}),
    "request field accepts another type": Case(
        challenge_type(["string", "integer"]), {"request-type-widened": CALLERS}
    ),
    "request field accepts null": Case(challenge_type(["string", "null"]), {"request-became-nullable": CALLERS}),
    "request field refuses null": Case(
        challenge_type(["string", "null"]), {"request-became-not-nullable": CALLERS}, reverse=True
    ),
    "request enum value removed": Case(
        challenge_enum(["a"]), {"request-enum-value-removed": CALLERS}, before=challenge_enum(["a", "b"])
    ),
    "request enum value added": Case(
        challenge_enum(["a", "b"]), {"request-enum-value-added": CALLERS}, before=challenge_enum(["a"])
    ),
    "request field restricted to an enum": Case(challenge_enum(["a"]), {"request-enum-added": CALLERS}),
    "request field enum lifted": Case(challenge_enum(["a"]), {"request-enum-removed": CALLERS}, reverse=True),
    "request maxLength lowered": Case(
        set_path("components", "schemas", "Identifier", "maxLength", value=16),
        {"request-constraint-tightened": CALLERS},
    ),
    "request maxLength raised": Case(
        set_path("components", "schemas", "Identifier", "maxLength", value=16),
        {"request-constraint-loosened": CALLERS},
        reverse=True,
    ),
    "request pattern narrowed": Case(narrow_destination_pattern, {"request-constraint-tightened": CALLERS}),
    "request form added": Case(
        challenge_forms("string", "integer", "boolean"),
        {"request-variant-added": CALLERS},
        before=challenge_forms("string", "integer"),
    ),
    "request form removed": Case(
        challenge_forms("string", "integer", "boolean"),
        {"request-variant-removed": CALLERS},
        before=challenge_forms("string", "integer"),
        reverse=True,
    ),
    "success status removed": Case(
        delete_path("paths", LIST, "post", "responses", "200"), {"response-success-status-removed": CONSUMERS}
    ),
    "error statuses removed": Case(remove_error_responses, {"response-error-status-removed": CONSUMERS}),
    "range removed while default covers it": Case(
        delete_path("paths", LIST, "post", "responses", "4XX"), {"response-status-documented": CONSUMERS}
    ),
    "error status documented within its range": Case(add_not_found_status, {"response-status-documented": CONSUMERS}),
    "success status added": Case(add_created_status, {"response-status-added": CONSUMERS}),
    "response media type added": Case(add_text_response, {"response-media-type-added": CONSUMERS}),
    "response media type removed": Case(add_text_response, {"response-media-type-removed": CONSUMERS}, reverse=True),
    "response header added": Case(add_response_header, {"response-header-added": CONSUMERS}),
    "response header removed": Case(add_response_header, {"response-header-removed": CONSUMERS}, reverse=True),
    "response field added": Case(add_response_field, {"response-field-added": CONSUMERS}),
    "response field removed": Case(
        delete_path("components", "schemas", "Ownership", "properties", "validated"),
        {"response-field-removed": CONSUMERS},
    ),
    "response field made optional": Case(make_filename_optional, {"response-field-became-optional": CONSUMERS}),
    "response field made required": Case(
        make_filename_optional, {"response-field-became-required": CONSUMERS}, reverse=True
    ),
    "response field type changed": Case(
        set_path("components", "schemas", "Ownership", "properties", "filename", "type", value="integer"),
        {"response-type-changed": CONSUMERS},
    ),
    "response field type narrowed": Case(
        set_path("components", "schemas", "ResultInfo", "properties", "page", "type", value="integer"),
        {"response-type-narrowed": CONSUMERS},
    ),
    "response field may be null": Case(
        set_path("components", "schemas", "Ownership", "properties", "filename", "type", value=["string", "null"]),
        {"response-became-nullable": CONSUMERS},
    ),
    "response field never null": Case(
        set_path("components", "schemas", "Ownership", "properties", "filename", "type", value=["string", "null"]),
        {"response-became-not-nullable": CONSUMERS},
        reverse=True,
    ),
    "response enum value added": Case(add_expired_status, {"response-enum-value-added": CONSUMERS}),
    "response enum value removed": Case(add_expired_status, {"response-enum-value-removed": CONSUMERS}, reverse=True),
    "response enum lifted": Case(
        delete_path("components", "schemas", "OwnershipStatus", "enum"),
        {"response-enum-removed": CONSUMERS, "model-removed": CALLERS},
    ),
    "response restricted to an enum": Case(
        delete_path("components", "schemas", "OwnershipStatus", "enum"),
        {"response-enum-added": CONSUMERS},
        reverse=True,
    ),
    "response maxLength raised": Case(
        set_path("components", "schemas", "Ownership", "properties", "id", "maxLength", value=64),
        {"response-constraint-loosened": CONSUMERS},
    ),
    "response minItems lifted": Case(
        delete_path("components", "schemas", "FailureResponse", "properties", "errors", "minItems"),
        {"response-constraint-loosened": CONSUMERS},
    ),
    "response maxLength lowered": Case(
        set_path("components", "schemas", "Ownership", "properties", "id", "maxLength", value=64),
        {"response-constraint-tightened": CONSUMERS},
        reverse=True,
    ),
    "response form added": Case(add_validated_form, {"response-variant-added": CONSUMERS}),
    "response form removed": Case(add_validated_form, {"response-variant-removed": CONSUMERS}, reverse=True),
    "email and key no longer accepted": Case(accept_only_tokens, {"security-requirement-removed": CALLERS}),
    "email and key accepted": Case(accept_only_tokens, {"security-requirement-added": CALLERS}, reverse=True),
    "credentials required where none were": Case(
        accept_only_tokens, {"security-requirement-removed": CALLERS}, before=set_path("security", value=[])
    ),
    "security scheme header renamed": Case(
        set_path("components", "securitySchemes", "api_email", "name", value="X-Email"),
        {"security-scheme-changed": CALLERS},
    ),
    "server moved": Case(
        set_path("servers", value=[{"url": "https://api.example.com/v4"}]),
        {"server-removed": CALLERS, "server-added": CALLERS},
    ),
    "operation summary reworded": Case(
        set_path("paths", LIST, "post", "summary", value="Add a bucket"), {"description-changed": CALLERS}
    ),
    "response field description reworded": Case(
        set_path("components", "schemas", "Ownership", "properties", "filename", "description", value="The file."),
        {"description-changed": CONSUMERS},
    ),
    "request example changed": Case(
        set_path(
            "paths",
            LIST,
            "post",
            "requestBody",
            "content",
            "application/json",
            "examples",
            "gcp",
            "value",
            value={"destination_conf": "gs://other"},
        ),
        {"example-changed": CALLERS},
    ),
    "response default added": Case(
        set_path("components", "schemas", "ResultInfo", "properties", "page", "default", value=1),
        {"default-changed": CONSUMERS},
    ),
    "operation deprecated": Case(
        set_path("paths", LIST, "post", "deprecated", value=True), {"deprecation-changed": CALLERS}
    ),
    "spec version bumped": Case(set_path("info", "version", value="1.1.0"), {"info-changed": CALLERS}),
}


# oasdiff's check for the same mutation and its level (checker/rules.go, repository oasdiff/oasdiff).
# ERR is breaking, INFO non-breaking, WARN "potentially breaking"; cases without a counterpart are left out.
OASDIFF: dict[str, tuple[str, str]] = {
    "validate path removed": ("api-path-removed-without-deprecation", "ERR"),
    "validate path added": ("endpoint-added", "INFO"),
    "list operation removed": ("api-removed-without-deprecation", "ERR"),
    "list operation added": ("endpoint-added", "INFO"),
    "operationId renamed": ("api-operation-id-removed", "INFO"),
    "first tag changed": ("api-tag-removed", "INFO"),
    "optional query parameter added": ("new-optional-request-parameter", "INFO"),
    "query parameter removed": ("request-parameter-removed", "WARN"),
    "required header parameter added": ("new-required-request-parameter", "ERR"),
    "query parameter made required": ("request-parameter-became-required", "ERR"),
    "query parameter made optional": ("request-parameter-became-optional", "INFO"),
    "required body added to delete": ("added-required-request-body", "ERR"),
    "optional body added to delete": ("added-optional-request-body", "INFO"),
    "add body removed": ("request-body-removed", "ERR"),
    "add body made optional": ("request-body-became-optional", "INFO"),
    "add body made required": ("request-body-became-required", "ERR"),
    "form media type added to request": ("request-body-media-type-added", "INFO"),
    "form media type removed from request": ("request-body-media-type-removed", "ERR"),
    "required request field added": ("new-required-request-property", "ERR"),
    "optional request field added": ("new-optional-request-property", "INFO"),
    "request field removed": ("request-property-removed", "WARN"),
    "request field made optional": ("request-property-became-optional", "INFO"),
    "request field made required": ("request-property-became-required", "ERR"),
    "request field type changed": ("request-property-type-changed", "ERR"),
    "request field accepts another type": ("request-property-list-of-types-widened", "INFO"),
    "request field accepts null": ("request-property-became-nullable", "INFO"),
    "request field refuses null": ("request-property-became-not-nullable", "ERR"),
    "request enum value removed": ("request-property-enum-value-removed", "ERR"),
    "request enum value added": ("request-property-enum-value-added", "INFO"),
    "request field restricted to an enum": ("request-property-became-enum", "ERR"),
    "request maxLength lowered": ("request-parameter-max-length-decreased", "ERR"),
    "request maxLength raised": ("request-parameter-max-length-increased", "INFO"),
    "request pattern narrowed": ("request-property-pattern-changed", "WARN"),
    "request form added": ("request-property-any-of-added", "INFO"),
    "request form removed": ("request-property-any-of-removed", "ERR"),
    "success status removed": ("response-success-status-removed", "ERR"),
    "error statuses removed": ("response-non-success-status-removed", "INFO"),
    "range removed while default covers it": ("response-non-success-status-removed", "INFO"),
    "error status documented within its range": ("response-non-success-status-added", "INFO"),
    "success status added": ("response-success-status-added", "INFO"),
    "response media type added": ("response-media-type-added", "INFO"),
    "response media type removed": ("response-media-type-removed", "ERR"),
    "response header added": ("response-header-added", "INFO"),
    "response header removed": ("response-optional-header-removed", "WARN"),
    "response field added": ("response-optional-property-added", "INFO"),
    "response field removed": ("response-optional-property-removed", "INFO"),
    "response field made optional": ("response-property-became-optional", "ERR"),
    "response field made required": ("response-property-became-required", "INFO"),
    "response field type changed": ("response-property-type-changed", "ERR"),
    "response field type narrowed": ("response-property-type-specialized", "INFO"),
    "response field may be null": ("response-property-became-nullable", "ERR"),
    "response field never null": ("response-property-became-not-nullable", "INFO"),
    "response enum value added": ("response-property-enum-value-added", "WARN"),
    "response enum value removed": ("response-property-enum-value-removed", "INFO"),
    "response maxLength raised": ("response-property-max-length-increased", "ERR"),
    "response minItems lifted": ("response-property-min-items-unset", "ERR"),
    "response maxLength lowered": ("response-property-max-length-decreased", "INFO"),
    "response form added": ("response-property-any-of-added", "ERR"),
    "response form removed": ("response-property-any-of-removed", "INFO"),
    "email and key no longer accepted": ("api-global-security-removed", "ERR"),
    "email and key accepted": ("api-global-security-added", "INFO"),
    "credentials required where none were": ("api-global-security-added", "INFO"),
    "response default added": ("response-property-default-value-added", "INFO"),
    "operation deprecated": ("endpoint-deprecated", "INFO"),
}

# Where we classify on purpose unlike oasdiff; the section on oasdiff of docs/diff.md explains each.
DIFFERENCES = {
    "operationId renamed",
    "first tag changed",
    "query parameter removed",
    "request field removed",
    "request pattern narrowed",
    "error statuses removed",
    "success status added",
    "response header removed",
    "response field removed",
    "response enum value added",
    "credentials required where none were",
}


@pytest.mark.parametrize("name", list(OASDIFF))
def test_the_class_agrees_with_oasdiff_except_the_documented_differences(name: str) -> None:
    breaking = {RULES[rule][0] for rule in CASES[name].expected}
    check, level = OASDIFF[name]
    agrees = level != "WARN" and breaking == {level == "ERR"}
    assert agrees is (name not in DIFFERENCES), f"{name}: ours {breaking}, oasdiff {check} {level}"


def test_the_diff_page_explains_every_difference_from_oasdiff() -> None:
    page = (Path(__file__).resolve().parents[3] / "docs" / "diff.md").read_text(encoding="utf-8")
    section = page.split("## Differences from oasdiff", 1)[1].split("\n## ", 1)[0]
    for name in DIFFERENCES:
        assert f"`{OASDIFF[name][0]}`" in section, name


@pytest.mark.parametrize("name", list(CASES))
def test_each_mutation_reports_exactly_its_rules_with_class_and_audience(spec: Spec, name: str) -> None:
    case = CASES[name]
    old, new = case.documents(spec.document)
    changes = diff_documents(old, new)
    assert {change.rule: change.audience for change in changes} == case.expected
    for change in changes:
        assert change.breaking is RULES[change.rule][0]
        assert change.location.startswith("/")


def test_the_mutation_table_covers_every_rule() -> None:
    covered = {rule for case in CASES.values() for rule in case.expected}
    assert covered == set(RULES)


def test_there_are_at_least_twenty_five_mutations() -> None:
    assert len(CASES) >= 25


def test_an_enum_value_added_to_a_shared_response_schema_is_one_change_listing_its_operations(spec: Spec) -> None:
    old, new = CASES["response enum value added"].documents(spec.document)
    [change] = diff_documents(old, new)
    assert change.location == "/components/schemas/OwnershipStatus/enum"
    assert change.description == "enum value `expired` added to `status`"
    assert change.operations == ("add_bucket", "list_buckets", "validate_bucket")
    assert change.classification == "breaking"


def test_a_removed_thing_is_located_in_the_old_spec(spec: Spec) -> None:
    old, new = CASES["validate path removed"].documents(spec.document)
    [change] = diff_documents(old, new)
    assert (change.spec, change.location) == ("old", "/paths/~1accounts~1{account_id}~1pcaps~1ownership~1validate")


def test_the_same_constraint_breaks_callers_on_a_request_and_not_consumers_on_a_response(spec: Spec) -> None:
    tightened_request = CASES["request maxLength lowered"].documents(spec.document)
    tightened_response = CASES["response maxLength lowered"].documents(spec.document)
    assert {c.classification for c in diff_documents(*tightened_request)} == {"breaking"}
    assert {c.classification for c in diff_documents(*tightened_response)} == {"non-breaking"}


def test_the_diff_page_lists_every_rule_with_its_class() -> None:
    page = (Path(__file__).resolve().parents[3] / "docs" / "diff.md").read_text(encoding="utf-8")
    for rule, (breaking, _) in RULES.items():
        assert f"| `{rule}` | {'breaking' if breaking else 'non-breaking'} |" in page, rule


def test_a_renamed_request_schema_renames_the_model_class_callers_import(spec: Spec) -> None:
    old, new = CASES["request schema renamed"].documents(spec.document)
    [change] = diff_documents(old, new)
    assert change.description == "model class `OwnershipRequest` becomes `BucketRequest`: imports of it break"
    assert (change.location, change.operations) == ("/components/schemas/BucketRequest", ("add_bucket",))
    assert (change.classification, change.audience) == ("breaking", CALLERS)


def test_a_renamed_path_parameter_renames_the_keyword_argument_of_the_generated_function(spec: Spec) -> None:
    old, new = CASES["path parameter renamed"].documents(spec.document)
    [change] = diff_documents(old, new)
    assert change.description == "keyword argument `ownership_id` becomes `id`: calls that pass it by name break"
    assert (change.classification, change.operations) == ("breaking", ("delete_bucket",))


@pytest.mark.parametrize(
    "name",
    [
        "path parameter respelled as the same keyword",
        "operationId respelled as the same function",
        "first tag respelled as the same module",
        "schema respelled as the same class",
    ],
)
def test_a_rename_the_generated_client_spells_the_same_breaks_nothing(spec: Spec, name: str) -> None:
    old, new = CASES[name].documents(spec.document)
    assert {change.classification for change in diff_documents(old, new)} == {"non-breaking"}


def test_the_component_classes_are_the_generated_client_s_models_but_the_inline_one(spec: Spec) -> None:
    generated = set(models.__all__)  # the golden record, generated from the bundled spec
    assert {class_name(model.name) for model in normalize(spec.document).models.values()} == generated - {
        "ResponseInfoSource"  # `ResponseInfo.source`, an inline object: named after its parent, not a component
    }
