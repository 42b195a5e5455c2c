"""One rule for cutting long values in one-line messages."""

from __future__ import annotations

from pcaps_contract._text import clip


def test_text_within_the_limit_is_kept_whole() -> None:
    assert clip("a" * 10, 10) == "a" * 10


def test_longer_text_is_cut_to_the_limit_marker_included() -> None:
    assert clip("a" * 11, 10) == "a" * 9 + "…"
    assert clip("a" * 11, 10, "...") == "a" * 7 + "..."
    assert len(clip("x" * 500, 120, "...")) == 120
