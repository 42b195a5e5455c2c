"""`_api` names the spec's operations and builds their URLs: held against the spec, so neither drifts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pcaps_contract.openapi import api
from pcaps_contract.openapi.spec import Spec, load_spec

ACCOUNT, OWNERSHIP = "023e105f4ecef8ad9ca31a8372d0c353", "9883874ecac311ec8475433579a6bf5f"
# How each operation is sent: its method, and the builder of its path.
SENT: dict[str, tuple[str, Callable[[], str]]] = {
    api.LIST: ("get", lambda: api.ownerships_path(ACCOUNT)),
    api.ADD: ("post", lambda: api.ownerships_path(ACCOUNT)),
    api.DELETE: ("delete", lambda: api.ownership_path(ACCOUNT, OWNERSHIP)),
    api.VALIDATE: ("post", lambda: api.validate_path(ACCOUNT)),
}
SPEC = load_spec()


def test_every_operation_of_api_is_sent_somehow() -> None:
    assert set(SENT) == set(api.OPERATIONS)
    assert len(set(api.OPERATIONS)) == len(api.OPERATIONS)


@pytest.mark.parametrize("operation_id", api.OPERATIONS)
def test_each_operation_exists_in_the_spec_at_the_method_and_path_its_builder_makes(operation_id: str) -> None:
    operation = SPEC.operation(operation_id)
    method, build = SENT[operation_id]
    assert operation.method == method
    assert build() == operation.path.format(account_id=ACCOUNT, ownership_id=OWNERSHIP)


def test_the_spec_has_no_operation_api_lacks() -> None:
    assert {operation.operation_id for operation in SPEC.operations()} == set(api.OPERATIONS)
    assert len(list(SPEC.operations())) == len(api.OPERATIONS)


def test_every_operation_id_the_spec_names_is_one_of_api(spec: Spec) -> None:
    named: list[str] = []

    def walk(node: Any) -> None:  # operations and their links (`links: {...: {operationId: ...}}`)
        if isinstance(node, dict):
            named.extend(value for key, value in node.items() if key == "operationId")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec.document)
    assert named and set(named) <= set(api.OPERATIONS)


@pytest.mark.parametrize("value", ["a", "0" * 32, "0" * 33, "", 7, None, "line\nbreak", "ü" * 32])
def test_is_identifier_agrees_with_the_spec_identifier(spec: Spec, value: Any) -> None:
    assert api.is_identifier(value) == (spec.errors("/components/schemas/Identifier", value) == [])


@pytest.mark.parametrize(("operation_id", "parameter"), [(api.LIST, "account_id"), (api.DELETE, "ownership_id")])
def test_the_path_parameters_are_spec_identifiers(operation_id: str, parameter: str) -> None:
    operation = SPEC.operation(operation_id)
    item = SPEC.document["paths"][operation.path]
    declared = [*item.get("parameters", []), *operation.definition.get("parameters", [])]
    [schema] = [SPEC.resolve(p)["schema"] for p in map(SPEC.resolve, declared) if p.get("name") == parameter]
    assert SPEC.resolve(schema) == SPEC.resolve({"$ref": "#/components/schemas/Identifier"})


def test_builders_quote_each_segment_once() -> None:
    assert api.ownership_path("a/b", "c d") == "/accounts/a%2Fb/pcaps/ownership/c%20d"
