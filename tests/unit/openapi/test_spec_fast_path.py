"""`Spec.surely_valid` (jsonschema_rs) is only a shortcut past `Spec.errors` (jsonschema): it must never call valid
what jsonschema rejects, or the passive judge (`proxy`, `verify`) would miss a violation that `check` reports."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.openapi.spec import Spec, load_spec

SPEC = load_spec()
POINTERS = [
    SPEC.response_schema_pointer(operation, status)
    for operation in SPEC.operations()
    for status, response in (operation.definition.get("responses") or {}).items()
    if "application/json" in (SPEC.resolve(response).get("content") or {})
]
SEED: dict[str, Any] = json.loads((SPEC.path.parent / "seed-example-response.json").read_text(encoding="utf-8"))

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TIMES = st.sampled_from(
    [
        "2020-01-01T08:00:00Z",
        "2020-01-01T08:00:00",  # no offset
        "2020-01-01 08:00:00Z",
        "2020-13-01T08:00:00Z",
        "2020-02-30T08:00:00Z",
        "2020-01-01T24:00:00Z",
        "2016-12-31T23:59:60Z",
        "2020-01-01T08:00:00.123456789+05:30",
        "2020-01-01t08:00:00z",
        "20200101T080000Z",
    ]
)


def agree(spec: Spec, pointer: str, instance: Any) -> None:
    if spec.surely_valid(pointer, instance):
        assert spec.errors(pointer, instance) == [], (pointer, instance)


def test_the_pointers_cover_every_json_answer() -> None:
    assert len(POINTERS) >= 8


@pytest.mark.parametrize("pointer", POINTERS)
def test_the_seed_example_is_judged_alike(pointer: str) -> None:
    agree(SPEC, pointer, SEED)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    pointer=st.sampled_from(POINTERS),
    where=st.sampled_from([(), ("result",), ("errors", 0), ("messages", 0)]),
    key=st.sampled_from(["id", "status", "submitted", "validated", "success", "code", "message", "source", "x"]),
    value=JSON | TIMES,
)
def test_a_fast_valid_is_never_a_slow_invalid(pointer: str, where: tuple[Any, ...], key: str, value: Any) -> None:
    body = copy.deepcopy(SEED)
    node: Any = body
    for step in where:
        node = node[step]
    node[key] = value
    agree(SPEC, pointer, body)
    agree(SPEC, pointer, value)


def test_the_check_fails_on_a_fast_path_that_waves_everything_through(monkeypatch: pytest.MonkeyPatch) -> None:
    lenient = load_spec()
    monkeypatch.setattr(lenient, "surely_valid", lambda pointer, instance: True)
    with pytest.raises(AssertionError):
        agree(lenient, POINTERS[0], {**SEED, "success": "yes"})
