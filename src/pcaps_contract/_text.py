"""Text helpers shared by every module: how long values are cut for one-line messages, how JSON is written."""

from __future__ import annotations

import json
import re
from typing import Any


def clip(text: str, limit: int, marker: str = "…") -> str:
    """The text, cut to at most `limit` characters with `marker` at the end when it is longer."""
    return text if len(text) <= limit else text[: limit - len(marker)] + marker


# Lone surrogates (a JSON `"\ud800"` a server sent, decoded) are text Python holds and UTF-8 cannot.
_SURROGATE = re.compile("[\ud800-\udfff]")


def json_text(data: Any, indent: int | None = None) -> str:
    """The JSON of `data` as the reports write it: non-ASCII as is, and each lone surrogate as its `\\uXXXX` escape
    (the one thing JSON can say of it), so that the text encodes as UTF-8 and parses back to the same value."""
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
