"""Each lint rule fires on a spec that breaks it, with a message that says where and how to fix it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._errors import SpecError
from pcaps_contract.openapi.documents import load_document
from pcaps_contract.openapi.lint_rules import Finding, lint
from pcaps_contract.openapi.spec import SEED_EXAMPLE_FILENAME, Spec, load_spec, spec_dir

CREATE = ("paths", "/accounts/{account_id}/pcaps/ownership", "post")


def _node(document: dict[str, Any], *path: str) -> Any:
    for key in path:
        document = document[key]
    return document


def mutated(spec: Spec, tmp_path: Path, mutate: Callable[[dict[str, Any]], None], *, seed: bool = True) -> Spec:
    """A copy of the bundled spec, changed by `mutate`, written beside a copy of the seed example."""
    document = copy.deepcopy(spec.document)
    mutate(document)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    if seed:
        (tmp_path / SEED_EXAMPLE_FILENAME).write_text((spec_dir() / SEED_EXAMPLE_FILENAME).read_text())
    return load_spec(path)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def test_example_that_breaks_its_schema_is_reported(spec: Spec, tmp_path: Path) -> None:
    def break_example(document: dict[str, Any]) -> None:
        example = _node(document, *CREATE, "responses", "200", "content", "application/json", "examples", "gcp_pending")
        example["value"]["result"]["status"] = "validated"

    finding = only(lint(mutated(spec, tmp_path, break_example)))
    assert finding.pointer.endswith("/responses/200/content/application~1json/examples/gcp_pending")
    assert "example `gcp_pending` breaks its schema at /result/status" in finding.what
    assert "'validated' is not one of" in finding.what
    assert "fix the example" in finding.fix


def test_shared_example_component_is_checked_where_it_is_used(spec: Spec, tmp_path: Path) -> None:
    def break_component(document: dict[str, Any]) -> None:
        document["components"]["examples"]["ReferencePageResponse"]["value"]["result"]["id"] = "short"

    findings = lint(mutated(spec, tmp_path, break_component))
    assert len(findings) == 2  # create's and validate's 200 both use it
    assert all("/result/id" in f.what for f in findings)


def test_request_example_with_a_bad_bucket_uri_is_reported(spec: Spec, tmp_path: Path) -> None:
    def break_request(document: dict[str, Any]) -> None:
        _node(document, *CREATE, "requestBody", "content", "application/json", "examples", "gcp")["value"] = {
            "destination_conf": "GS://pcaps-bucket"
        }

    assert "/destination_conf" in only(lint(mutated(spec, tmp_path, break_request))).what


def test_schema_example_is_checked_against_its_own_schema(spec: Spec, tmp_path: Path) -> None:
    def break_schema_example(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["Ownership"]["properties"]["id"]["example"] = "abc"

    finding = only(lint(mutated(spec, tmp_path, break_schema_example)))
    assert finding.pointer == "/components/schemas/Ownership/properties/id/example"


def test_parameter_example_is_checked(spec: Spec, tmp_path: Path) -> None:
    def break_parameter(document: dict[str, Any]) -> None:
        document["components"]["parameters"]["account_id"]["example"] = "x" * 33

    assert "is too long" in only(lint(mutated(spec, tmp_path, break_parameter))).what


def test_spec_that_rejects_the_reference_page_response_is_reported(spec: Spec, tmp_path: Path) -> None:
    def forbid_messages(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["OwnershipSingleResponse"]["properties"]["messages"]["maxItems"] = 0
        # the spec's own copy of the page's example must go too, or it would be reported first
        for operation in ("add_bucket", "validate_bucket"):
            for op in _operations(document):
                if op.get("operationId") == operation:
                    del op["responses"]["200"]["content"]["application/json"]["examples"]["reference_page"]

    finding = only(lint(mutated(spec, tmp_path, forbid_messages)))
    assert "the reference page's example response breaks it at /messages" in finding.what
    assert "loosen the schema" in finding.fix


def test_seed_rule_is_skipped_for_a_spec_without_the_seed_beside_it(spec: Spec, tmp_path: Path) -> None:
    def forbid_messages(document: dict[str, Any]) -> None:
        document["components"]["schemas"]["OwnershipSingleResponse"]["properties"]["messages"]["maxItems"] = 5

    assert lint(mutated(spec, tmp_path, forbid_messages, seed=False)) == []


def test_spec_without_the_reference_page_operation_is_reported(spec: Spec, tmp_path: Path) -> None:
    finding = only(lint(mutated(spec, tmp_path, lambda d: d["paths"][CREATE[1]].pop("post"))))
    assert finding.what == "the reference page's operation POST /accounts/{account_id}/pcaps/ownership is missing"


def test_operation_without_operation_id_is_reported(spec: Spec, tmp_path: Path) -> None:
    finding = only(lint(mutated(spec, tmp_path, lambda d: _node(d, *CREATE).pop("operationId"))))
    assert finding.what == "POST /accounts/{account_id}/pcaps/ownership has no operationId"


@pytest.mark.parametrize("operation_id", ["addBucket", "add-bucket", "class"])
def test_operation_id_that_is_not_a_python_name_is_reported(spec: Spec, tmp_path: Path, operation_id: str) -> None:
    def rename(document: dict[str, Any]) -> None:
        _node(document, *CREATE)["operationId"] = operation_id

    findings = [f for f in lint(mutated(spec, tmp_path, rename)) if "operationId" in f.what]
    assert findings and "is not a snake_case Python name" in findings[0].what


def test_duplicate_operation_id_is_reported(spec: Spec, tmp_path: Path) -> None:
    def duplicate(document: dict[str, Any]) -> None:
        document["paths"]["/accounts/{account_id}/pcaps/ownership"]["get"]["operationId"] = "add_bucket"

    finding = only(lint(mutated(spec, tmp_path, duplicate)))
    assert "Operation ID 'add_bucket'" in finding.what and "is not unique" in finding.what


@pytest.mark.parametrize("status", ["4XX", "default"])
def test_operation_without_failure_response_is_reported(spec: Spec, tmp_path: Path, status: str) -> None:
    finding = only(lint(mutated(spec, tmp_path, lambda d: _node(d, *CREATE, "responses").pop(status))))
    assert finding.what == f"POST /accounts/{{account_id}}/pcaps/ownership does not document `{status}`"
    assert "#/components/responses/Failure" in finding.fix


def test_failure_response_that_is_not_the_failure_envelope_is_reported(spec: Spec, tmp_path: Path) -> None:
    def success_envelope_on_4xx(document: dict[str, Any]) -> None:
        _node(document, *CREATE, "responses")["4XX"] = copy.deepcopy(_node(document, *CREATE, "responses", "200"))
        del _node(document, *CREATE, "responses", "4XX")["links"]

    finding = only(lint(mutated(spec, tmp_path, success_envelope_on_4xx)))
    assert "`4XX` is not the failure envelope" in finding.what


def test_invalid_openapi_is_reported_before_the_project_rules(spec: Spec, tmp_path: Path) -> None:
    findings = lint(mutated(spec, tmp_path, lambda d: d["info"].pop("title")))
    assert findings and all(f.what.startswith("not valid OpenAPI 3.1.0") for f in findings)
    assert "title" in findings[0].what and "is a required property" in findings[0].what
    assert findings[0].pointer == "/info"


def test_finding_renders_as_one_line_with_where_what_and_fix(tmp_path: Path) -> None:
    line = Finding("/paths/~1x/get", "something is off", "do this").render(tmp_path / "s.yaml")
    assert line == f"{tmp_path / 's.yaml'}#/paths/~1x/get: something is off; do this"


def test_seed_example_file_is_the_reference_page_response_verbatim() -> None:
    seed = json.loads((spec_dir() / SEED_EXAMPLE_FILENAME).read_text())
    assert seed["result"]["id"] == "9883874ecac311ec8475433579a6bf5f"
    assert seed["errors"][0] == {
        "code": 1000,
        "message": "message",
        "documentation_url": "documentation_url",
        "source": {"pointer": "pointer"},
    }


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for item in document["paths"].values() for key, op in item.items() if key != "parameters"]


# Shapes openapi-spec-validator's keyword checks assume (mappings where its schema wants them): generated wrong.
_KEYS = st.sampled_from(
    [
        "type",
        "properties",
        "items",
        "$ref",
        "allOf",
        "schema",
        "content",
        "application/json",
        "responses",
        "200",
        "parameters",
        "in",
        "name",
        "get",
        "/a",
        "/a/{x}",
        "example",
        "requestBody",
        "operationId",
        "schemas",
        "components",
        "paths",
        "servers",
        "url",
        "security",
    ]
)
_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4), st.just("#/components/schemas/A")),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)


@pytest.mark.slow  # over ten seconds on two shared cores
@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.dictionaries(_KEYS, _VALUES, max_size=4), st.sampled_from(["3.1.0", "3.0.3"]))
def test_lint_of_any_readable_document_is_findings_or_one_sentence(extra: dict[str, Any], version: str) -> None:
    """Where openapi-spec-validator stops with an exception (a KeyError for `components/schemas: 4`, an
    AssertionError for a list of paths), lint still answers: its findings, or one sentence."""
    document = {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {}, **extra}
    try:
        spec = Spec(Path("spec.yaml"), load_document(json.dumps(document), "spec.yaml"))
        findings = lint(spec)
    except SpecError as exc:
        assert "\n" not in str(exc)
    else:
        assert all(isinstance(finding, Finding) for finding in findings)


@pytest.mark.parametrize(
    "extra", [{"components": {"schemas": 4}}, {"paths": [[], {}]}], ids=["schemas-not-a-mapping", "paths-a-list"]
)
def test_a_document_that_stops_openapi_spec_validator_is_a_finding(extra: dict[str, Any]) -> None:
    spec = Spec(Path("spec.yaml"), {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, **extra})
    findings = lint(spec)
    assert findings and all(finding.what.startswith("not valid OpenAPI 3.1.0") for finding in findings)
