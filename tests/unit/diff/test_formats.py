"""The three renderings of a comparison keep their promises for edge cases."""

from __future__ import annotations

import json

from pcaps_contract.diff import CONSUMERS, Change
from pcaps_contract.diff.formats import render


def test_json_of_no_changes_still_has_every_key() -> None:
    assert json.loads(render([], "a.yaml", "b.yaml", "json")) == {
        "old": "a.yaml",
        "new": "b.yaml",
        "breaking": 0,
        "non_breaking": 0,
        "changes": [],
    }


def test_markdown_escapes_pipes_so_the_table_keeps_its_columns() -> None:
    change = Change("response-constraint-loosened", CONSUMERS, "/components/schemas/X/pattern", "pattern `a|b` removed")
    row = render([change], "a", "b", "markdown").splitlines()[-1]
    assert row.count(" | ") == 4
    assert "pattern `a\\|b` removed" in row


def test_a_location_in_the_old_spec_is_marked_in_every_human_format() -> None:
    change = Change("path-removed", "callers", "/paths/~1x", "path /x removed", spec="old")
    assert "/paths/~1x (old spec)" in render([change], "a", "b", "table")
    assert "`/paths/~1x` (old spec)" in render([change], "a", "b", "markdown")
    assert json.loads(render([change], "a", "b", "json"))["changes"][0]["spec"] == "old"
