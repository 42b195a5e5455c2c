"""Normalisation by role and the differences between two answers: pure, on hand-built and generated answers."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.compare.divergence import (
    STILL_PENDING,
    VALIDATED_EMPTY,
    Answer,
    Policy,
    differences,
    is_divergence,
)
from pcaps_contract.compare.normalize import Roles, Window, normalized
from pcaps_contract.openapi import api

NOW = datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(seconds=1), NOW + timedelta(seconds=1))
STAMP = "2026-05-01T10:00:00Z"


def record(ownership_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": ownership_id,
        "destination_conf": "s3://pcaps-a?region=us-east-1",
        "filename": f"ownership-challenge-{ownership_id[:8]}.txt",
        "status": "pending",
        "submitted": STAMP,
        **fields,
    }


def envelope(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def side(body: Any, ids: dict[str, str], *, adding: bool = False, status: int = 200) -> Answer:
    roles = Roles()
    for ownership_id, role in ids.items():
        roles.name(ownership_id, role)
    return Answer(status, normalized(body, roles, WINDOW, adding=adding))


def test_the_same_record_under_other_ids_and_filenames_does_not_diverge() -> None:
    a = side(envelope(record("a" * 32)), {"a" * 32: "r1"}, adding=True)
    b = side(envelope(record("b" * 32)), {"b" * 32: "r1"}, adding=True)
    assert differences(api.ADD, a, b) == []


def test_a_submitted_outside_the_add_s_window_is_shown_as_such() -> None:
    late = record("b" * 32, submitted="2026-05-01T11:00:00Z")
    a = side(envelope(record("a" * 32)), {"a" * 32: "r1"}, adding=True)
    b = side(envelope(late), {"b" * 32: "r1"}, adding=True)
    [difference] = differences(api.ADD, a, b)
    assert difference.path == "result.submitted" and "outside" in str(difference.b)


def test_a_missing_field_diverges_at_its_path() -> None:
    missing = record("b" * 32)
    del missing["filename"]
    a = side(envelope(record("a" * 32)), {"a" * 32: "r1"}, adding=True)
    b = side(envelope(missing), {"b" * 32: "r1"}, adding=True)
    [difference] = differences(api.ADD, a, b)
    assert (difference.path, difference.kind, difference.b) == ("result.filename", "presence", "absent")
    assert is_divergence(difference, Policy())


def test_validated_empty_or_absent_is_allowed_unless_strict() -> None:
    a = side(envelope([record("a" * 32, validated="")]), {"a" * 32: "r1"})
    b = side(envelope([record("b" * 32)]), {"b" * 32: "r1"})
    [difference] = differences(api.LIST, a, b)
    assert difference.allowed == VALIDATED_EMPTY
    assert not is_divergence(difference, Policy()) and is_divergence(difference, Policy(strict=True))


def test_a_validation_still_pending_is_allowed_against_a_settled_one() -> None:
    a = side(envelope(record("a" * 32, status="success", validated=STAMP)), {"a" * 32: "r1"})
    b = side(envelope(record("b" * 32, validated="")), {"b" * 32: "r1"})
    found = differences(api.VALIDATE, a, b)
    assert {difference.path for difference in found} == {"result.status", "result.validated"}
    assert all(difference.allowed == STILL_PENDING for difference in found)


def test_a_list_in_another_order_diverges_unless_order_is_ignored() -> None:
    ids_a = {"a" * 32: "r1", "c" * 32: "r2"}
    ids_b = {"b" * 32: "r1", "d" * 32: "r2"}
    a = side(envelope([record("a" * 32), record("c" * 32)]), ids_a)
    b = side(envelope([record("d" * 32), record("b" * 32)]), ids_b)
    [difference] = differences(api.LIST, a, b)
    assert (difference.kind, difference.a, difference.b) == ("order", ["r1", "r2"], ["r2", "r1"])
    assert differences(api.LIST, a, b, Policy(ignore_order=True)) == []


def test_a_record_missing_from_a_list_diverges_in_its_contents() -> None:
    a = side(envelope([record("a" * 32), record("c" * 32)]), {"a" * 32: "r1", "c" * 32: "r2"})
    b = side(envelope([record("b" * 32)]), {"b" * 32: "r1"})
    [difference] = differences(api.LIST, a, b)
    assert (difference.path, difference.kind) == ("result", "contents")


def test_error_codes_and_texts_are_allowed_to_differ_but_not_their_absence() -> None:
    failure = {"success": False, "messages": [], "result": None}
    a = Answer(400, {**failure, "errors": [{"code": 1001, "message": "bad"}]})
    b = Answer(400, {**failure, "errors": [{"code": 4105, "message": "invalid field"}]})
    [allowed] = differences(api.ADD, a, b)
    assert allowed.path == "errors" and allowed.allowed is not None
    [missing] = differences(api.ADD, a, Answer(400, {**failure, "errors": []}))
    assert missing.kind == "presence" and missing.allowed is None


def test_an_ignored_field_is_not_reported() -> None:
    a = side(envelope(record("a" * 32, status="failed")), {"a" * 32: "r1"})
    b = side(envelope(record("b" * 32, status="success")), {"b" * 32: "r1"})
    assert [difference.path for difference in differences(api.ADD, a, b)] == ["result.status"]
    assert differences(api.ADD, a, b, Policy(ignore_fields=frozenset({"result.status"}))) == []


def test_roles_are_bounded_and_a_record_beyond_them_is_another_client_s(monkeypatch: pytest.MonkeyPatch) -> None:
    from pcaps_contract.compare import normalize

    monkeypatch.setattr(normalize, "MAX_TRACKED_IDS", 2)
    roles = Roles()
    for index in range(4):
        roles.name(f"id-{index}", f"r{index}")
    roles.name("id-0", "r9")  # a known record may still be named again
    assert roles.ids == {"id-0": "r9", "id-1": "r1"}


def test_a_filename_that_changes_after_its_add_diverges() -> None:
    roles = Roles()
    roles.name("a" * 32, "r1")
    other = Roles()
    other.name("b" * 32, "r1")
    first_a = normalized(envelope(record("a" * 32)), roles, WINDOW, adding=True)
    first_b = normalized(envelope(record("b" * 32)), other, WINDOW, adding=True)
    assert differences(api.ADD, Answer(200, first_a), Answer(200, first_b)) == []
    later_a = normalized(envelope([record("a" * 32)]), roles, WINDOW)
    later_b = normalized(envelope([record("b" * 32, filename="ownership-challenge-new.txt")]), other, WINDOW)
    [difference] = differences(api.LIST, Answer(200, later_a), Answer(200, later_b))
    assert difference.path == "result[r1].filename" and difference.b == "ownership-challenge-new.txt"


# --- properties ---------------------------------------------------------------------------------------------

_IDS = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(string.ascii_lowercase), children, max_size=3)
    ),
    max_leaves=8,
)
_STATUS = st.sampled_from(["pending", "success", "failed"])


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    value = record("x" * 32, status=draw(_STATUS), destination_conf=draw(st.text(max_size=12)))
    if draw(st.booleans()):
        value["validated"] = draw(st.sampled_from(["", None, STAMP]))
    if draw(st.booleans()):
        value[draw(st.sampled_from(["extra", "note"]))] = draw(_JSON)
    return value


def renamed(body: Any, renaming: dict[str, str]) -> Any:
    """The body with every id (and each filename built of it) renamed: the same records on another side."""
    if isinstance(body, list):
        return [renamed(item, renaming) for item in body]
    if isinstance(body, dict):
        out = {key: renamed(value, renaming) for key, value in body.items()}
        if out.get("id") in renaming:
            out["filename"] = f"ownership-challenge-{renaming[body['id']][:8]}.txt"
            out["id"] = renaming[body["id"]]
        return out
    return body


@settings(max_examples=60, deadline=None)
@given(st.lists(records(), min_size=1, max_size=4), st.lists(_IDS, min_size=8, max_size=8, unique=True), st.booleans())
def test_a_body_compared_with_itself_under_any_renaming_of_its_ids_never_diverges(
    items: list[dict[str, Any]], ids: list[str], listing: bool
) -> None:
    originals, others = ids[:4], ids[4:]
    for item, ownership_id in zip(items, originals, strict=False):
        item["id"] = ownership_id
    items = items[: len(originals)]
    renaming = dict(zip(originals, others, strict=False))
    roles_a = {ownership_id: f"r{index}" for index, ownership_id in enumerate(originals)}
    roles_b = {renaming[ownership_id]: role for ownership_id, role in roles_a.items()}
    body = envelope(items if listing else items[0])
    operation = api.LIST if listing else api.VALIDATE
    a = side(body, roles_a)
    b = side(renamed(body, renaming), roles_b)
    assert differences(operation, a, b, Policy(strict=True)) == []


@settings(max_examples=60, deadline=None)
@given(
    records(), st.sampled_from(["status", "destination_conf"]), st.text(min_size=1, max_size=6), st.integers(200, 599)
)
def test_a_changed_status_or_field_always_diverges(item: dict[str, Any], name: str, suffix: str, status: int) -> None:
    item["status"] = "failed"  # settled on both sides: a pending one may differ in status by design
    a_body = envelope(dict(item))
    changed = dict(item)
    changed[name] = f"{item[name]}{suffix}" if name != "status" else "success"
    a = side(a_body, {item["id"]: "r1"})
    b = side(envelope(changed), {item["id"]: "r1"})
    found = differences(api.VALIDATE, a, b)
    assert any(difference.field == f"result.{name}" and is_divergence(difference, Policy()) for difference in found)
    other = status + 1 if status < 599 else 200
    moved = differences(api.VALIDATE, Answer(status, a.body), Answer(other, a.body))
    assert [difference.path for difference in moved] == ["status"]
