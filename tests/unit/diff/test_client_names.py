"""`diff` spells the generated client's names as the pinned generator does, without importing it at run time."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pcaps_contract.diff import client_names

strings = pytest.importorskip("openapi_python_client.strings")  # the `generate` extra; always in development

KNOWN = ["OwnershipRequest", "ownership_id", "ownershipId", "addBucket", "class", "id", "self", "list", "_x", "9lives"]
NAMES = st.text(alphabet=st.sampled_from("aBcXyZ09_-. /é$[]"), max_size=14) | st.sampled_from(KNOWN)


@settings(max_examples=500, deadline=None, derandomize=True)
@given(name=NAMES)
@example(name="URLConfig")
@example(name="")
def test_the_names_are_the_generators(name: str) -> None:
    prefix = client_names.FIELD_PREFIX
    assert client_names.class_name(name) == strings.ClassName(name.rsplit("/", 1)[-1], prefix)
    assert client_names.argument_name(name) == strings.PythonIdentifier(name, prefix)
    assert client_names.module_name(name) == strings.PythonIdentifier(name, client_names.TAG_PREFIX)


def test_a_respelling_is_the_same_name_and_a_rename_is_not() -> None:
    assert client_names.argument_name("ownershipId") == client_names.argument_name("ownership_id") == "ownership_id"
    assert client_names.class_name("OwnershipRequest") != client_names.class_name("BucketRequest")
    assert client_names.module_name(None) == "default"
