"""JSON from outside, read under bounds: nesting counted before anything is built, numbers kept finite.

The one rule for every JSON text a server, a client or a recording hands us: at most `DEFAULT_MAX_JSON_DEPTH`
levels of arrays and objects (so no parser recursion can blow the stack), no `NaN` or `Infinity` and no number too
large for a float (so no value compares strangely or formats as `inf`), and, where a size is given, no more bytes.
Whatever breaks a bound is `JsonRefused`, a `ValueError` like any other text that is not JSON (`NaN` is simply
not JSON): a judge that cannot read a body within the bounds judges its status alone, it does not call it broken.
"""

from __future__ import annotations

import json
import math
import re
from array import array
from collections.abc import Iterator
from itertools import accumulate
from typing import IO, Any

from pcaps_contract._limits import DEFAULT_MAX_JSON_DEPTH

_QUOTE = 0x22
_OPENING = {0x5B: 0x5D, 0x7B: 0x7D}  # `[` -> `]`, `{` -> `}`
_STRUCTURE = re.compile(rb'["\[\]{}]')
_STRING_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)  # after the opening quote, to the closing one
# A whole string, or one cut by the end of the text.
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_SIGNS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
# Everything up to the next bracket: text and whole strings (a string cut by the end of the text stops it).
_QUIET = re.compile(rb'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+', re.DOTALL)
_CHUNK = 1 << 20


class JsonRefused(ValueError):
    """Valid-looking JSON that breaks a bound: nested too deep, too large, or a number no float holds."""


class NoSuchArray(ValueError):
    """A document without the array a streaming reader was asked for."""


class _Scanner:
    """The brackets and strings of JSON text as it arrives: each bracket kept on a stack, each string skipped whole.

    Only these bytes are looked at (a regular expression finds the next one), so a long string or a long run of
    numbers costs one search. Deeper than `max_depth` is JsonRefused at the bracket that goes too deep; a closing
    bracket that closes nothing open is a ValueError.
    """

    def __init__(self, max_depth: int, buffer: bytes = b"", quiet_depth: int = 0) -> None:
        self.max_depth = max_depth
        self.quiet_depth = quiet_depth  # deeper than this, strings are skipped with the text around them
        self.buffer = buffer
        self.pos = 0
        self.open = bytearray()  # the opening bracket of each array and object still open
        self.string: int | None = None  # where a string still open at the end of the buffer starts

    def extend(self, chunk: bytes, keep: int) -> int:
        """Drop the text before `keep`, then add `chunk`; how far every position moved back."""
        self.buffer = self.buffer[keep:] + chunk
        self.pos -= keep
        if self.string is not None:
            self.string -= keep
        return keep

    def next(self) -> tuple[int, int, int] | None:
        """(first byte, start, end) of the next bracket or whole string; None when the text ends first."""
        if self.string is not None:
            start = self.string
        elif len(self.open) > self.quiet_depth:  # up to the next bracket, or a string the text cuts
            start = self.pos = _QUIET.match(self.buffer, self.pos).end()  # type: ignore[union-attr]  # matches ""
            if start == len(self.buffer):
                return None
        else:
            found = _STRUCTURE.search(self.buffer, self.pos)
            if found is None:
                self.pos = len(self.buffer)
                return None
            start = found.start()
        byte = self.buffer[start]
        if byte == _QUOTE:
            end = self._string_end(start)
            if end is None:
                self.string, self.pos = start, start
                return None
            self.string, self.pos = None, end
            return byte, start, end
        self.pos = start + 1
        if byte in _OPENING:
            self.open.append(byte)
            if len(self.open) > self.max_depth:
                raise JsonRefused(f"JSON nested more than {self.max_depth} levels deep")
        elif not self.open or _OPENING[self.open[-1]] != byte:
            raise ValueError(f"a closing {chr(byte)} that closes nothing open")
        else:
            self.open.pop()
        return byte, start, start + 1

    def _string_end(self, start: int) -> int | None:
        """The end of the string opening at `start` (after its closing quote), or None when the buffer ends first.

        One match of a regular expression (possessive: never a backtrack); a string cut by the end of the buffer is
        matched again from its start once more text has come.
        """
        found = _STRING_REST.match(self.buffer, start + 1)
        return None if found is None else found.end()


def too_deep(content: bytes, limit: int) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` deep (brackets inside strings do not count).

    Strings removed, the brackets left become +1 and -1 and their running sum is the depth: every step in C, so a
    body of a megabyte costs milliseconds. Up to the first bracket that closes nothing (where any parser stops),
    the sum is the depth a parser would reach.
    """
    if content.count(b"[") + content.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", content).translate(None, _NOT_BRACKETS).translate(_SIGNS)
    return max(accumulate(array("b", brackets)), default=0) > limit


def array_items(
    stream: IO[bytes], key_path: tuple[str, ...], max_item_bytes: int, max_depth: int = DEFAULT_MAX_JSON_DEPTH
) -> Iterator[bytes]:
    """The JSON text of each object or array in the array at `key_path` (keys from the root object), in order.

    Reads `stream` a chunk at a time and holds one item at most: a document of any length costs its largest item.
    Nesting is counted over the whole document as it goes. Raises JsonRefused for an item larger than
    `max_item_bytes` or anything deeper than `max_depth`; NoSuchArray when the document has none; ValueError when
    the text ends early or brackets do not match.
    """
    scanner = _Scanner(max_depth, quiet_depth=len(key_path))
    items_depth = len(key_path) + 1
    keys: list[str | None] = []  # the key each open container sits under
    last_string: list[bytes] = [b""]  # per depth: the last string seen directly inside (an object's last key)
    item: int | None = None  # where the item being read starts
    shape = b"{" * len(key_path) + b"["  # the objects down to the array, and the array
    found = False
    while True:
        token = scanner.next()
        if token is None:
            keep = item if item is not None else scanner.string if scanner.string is not None else scanner.pos
            if len(scanner.buffer) - keep > max_item_bytes:  # an item, or a string around the items
                raise JsonRefused(f"an item larger than {max_item_bytes} bytes")
            chunk = stream.read(_CHUNK)
            if not chunk:
                raise ValueError("the text ends before the document does")
            moved = scanner.extend(chunk, keep)
            item = None if item is None else item - moved
            continue
        byte, start, end = token
        depth = len(scanner.open)
        if byte == _QUOTE:
            if depth <= len(key_path):
                last_string[depth] = scanner.buffer[start:end]
            continue
        if byte in _OPENING:
            parent = depth - 1
            keys.append(_key(last_string[parent]) if 0 < parent <= len(key_path) else None)
            last_string.append(b"")
            if depth == items_depth + 1 and tuple(keys[1:items_depth]) == key_path and scanner.open[:-1] == shape:
                item = start
            continue
        if depth + 1 == items_depth and tuple(keys[1:]) == key_path:
            found = True
        keys.pop()
        last_string.pop()
        if depth == items_depth and item is not None:
            if end - item > max_item_bytes:
                raise JsonRefused(f"an item larger than {max_item_bytes} bytes")
            yield scanner.buffer[item:end]
            item = None
        if depth == 0:
            if not found:
                raise NoSuchArray(f"no `{'.'.join(key_path)}` array")
            return


def _key(text: bytes) -> str | None:
    """The value of a short JSON string (an object's key), else None."""
    if len(text) > 256:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise JsonRefused(f"the number {text[:40]} is too large for a float")
    return number


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")  # Python reads it; JSON (RFC 8259) has no such value


def loads(content: bytes | str, *, max_depth: int = DEFAULT_MAX_JSON_DEPTH, max_bytes: int | None = None) -> Any:
    """The JSON value of `content`, read under the bounds; ValueError (JsonRefused or not JSON at all) otherwise.

    `max_depth=0` skips the nesting count, for text a streaming reader has counted already.
    """
    raw = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    if max_bytes is not None and len(raw) > max_bytes:
        raise JsonRefused(f"{len(raw)} bytes of JSON, more than {max_bytes}")
    if max_depth and too_deep(raw, max_depth):
        raise JsonRefused(f"JSON nested more than {max_depth} levels deep")
    return json.loads(raw, parse_float=_finite, parse_constant=_no_constant)


def parsed_or_none(content: bytes) -> Any:
    """The JSON value of a body, or None when it is empty, not JSON, or beyond a bound (nothing to judge in it)."""
    if not content:
        return None
    try:
        return loads(content)
    except ValueError:  # UnicodeDecodeError and JsonRefused are ValueErrors too
        return None
