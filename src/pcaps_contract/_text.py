"""Text helpers shared by every module: how long values are cut for one-line messages."""

from __future__ import annotations


def clip(text: str, limit: int, marker: str = "…") -> str:
    """The text, cut to at most `limit` characters with `marker` at the end when it is longer."""
    return text if len(text) <= limit else text[: limit - len(marker)] + marker
