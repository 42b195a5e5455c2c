"""The mock's rules are read from the spec, so that changing the spec changes the mock and nothing drifts."""

from __future__ import annotations

import copy
import json

import pytest

from pcaps_contract._errors import SpecError
from pcaps_contract.mock import create_app
from pcaps_contract.mock._envelope import ApiError, ErrorCode
from pcaps_contract.mock._rules import OperationRule, SpecRules
from pcaps_contract.openapi.spec import Spec


def _edited(spec: Spec, edit: dict[str, object], schema: str) -> Spec:
    """A copy of the spec with keys of one component schema replaced."""
    document = copy.deepcopy(spec.document)
    document["components"]["schemas"][schema].update(edit)
    return Spec(spec.path, document)


def _add_bucket(rules: SpecRules) -> OperationRule:
    found = rules.match("/accounts/a/pcaps/ownership")
    assert found is not None
    return found[0].operations["POST"]


def test_identifier_limits_are_the_specs(spec: Spec) -> None:
    identifier = spec.document["components"]["schemas"]["Identifier"]

    found = SpecRules(spec).match("/accounts/a/pcaps/ownership/b")

    assert found is not None
    route, params = found
    assert params == {"account_id": "a", "ownership_id": "b"}
    assert [(p.name, p.min_length, p.max_length) for p in route.params] == [
        ("account_id", identifier["minLength"], identifier["maxLength"]),
        ("ownership_id", identifier["minLength"], identifier["maxLength"]),
    ]


def test_a_shorter_identifier_in_the_spec_shortens_the_mocks_limit(spec: Spec) -> None:
    found = SpecRules(_edited(spec, {"maxLength": 8}, "Identifier")).match("/accounts/a/pcaps/ownership")
    assert found is not None
    account_id = found[0].params[0]

    account_id.check("a" * 8)
    with pytest.raises(ApiError) as raised:
        account_id.check("a" * 9)

    assert raised.value.status == 400
    assert raised.value.errors[0].code == ErrorCode.INVALID_IDENTIFIER


def test_the_destination_conf_rule_is_the_specs_pattern(spec: Spec) -> None:
    body = json.dumps({"destination_conf": "gs://pcaps-bucket"}).encode()
    s3_only = _edited(spec, {"pattern": "^s3://[a-z-]+$"}, "DestinationConf")

    accepted = SpecRules(spec).parse_body(_add_bucket(SpecRules(spec)), "application/json", body)
    with pytest.raises(ApiError) as raised:
        SpecRules(s3_only).parse_body(_add_bucket(SpecRules(s3_only)), "application/json", body)

    assert accepted == {"destination_conf": "gs://pcaps-bucket"}
    assert raised.value.errors[0].pointer == "/destination_conf"
    assert "^s3://[a-z-]+$" in raised.value.errors[0].message


def test_the_accepted_media_types_are_the_specs(spec: Spec) -> None:
    rules = SpecRules(spec)

    assert _add_bucket(rules).media_types == tuple(
        spec.document["paths"]["/accounts/{account_id}/pcaps/ownership"]["post"]["requestBody"]["content"]
    )


def test_a_concrete_path_wins_over_a_template_that_also_matches(spec: Spec) -> None:
    found = SpecRules(spec).match("/accounts/a/pcaps/ownership/validate")

    assert found is not None
    assert set(found[0].operations) == {"POST"}
    assert found[1] == {"account_id": "a"}


def test_a_self_referencing_request_schema_is_a_spec_error(spec: Spec) -> None:
    looped = _edited(spec, {"$ref": "#/components/schemas/OwnershipRequest"}, "OwnershipRequest")

    with pytest.raises(SpecError, match="refers to itself"):
        SpecRules(looped)


def test_a_spec_with_an_operation_the_mock_lacks_is_refused(spec: Spec) -> None:
    document = copy.deepcopy(spec.document)
    document["paths"]["/accounts/{account_id}/pcaps/ownership"]["put"] = {"operationId": "replace_buckets"}

    with pytest.raises(SpecError, match="replace_buckets"):
        create_app(spec=Spec(spec.path, document))


def test_a_request_body_behind_a_ref_is_followed(spec: Spec) -> None:
    document = copy.deepcopy(spec.document)
    post = document["paths"]["/accounts/{account_id}/pcaps/ownership"]["post"]
    document.setdefault("components", {})["requestBodies"] = {"Add": post["requestBody"]}
    post["requestBody"] = {"$ref": "#/components/requestBodies/Add"}
    rules = SpecRules(Spec(spec.path, document))

    with pytest.raises(ApiError) as raised:
        rules.parse_body(_add_bucket(rules), "application/json", b'{"destination_conf": "ftp://b"}')

    assert _add_bucket(rules).body_schema == "/components/requestBodies/Add/content/application~1json/schema"
    assert raised.value.errors[0].pointer == "/destination_conf"
