"""The bounded JSON reader: any text, any nesting, any number and any chunking give a value or one refusal."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._json import JsonRefused, NoSuchArray, array_items, loads, parsed_or_none, too_deep
from pcaps_contract._limits import DEFAULT_MAX_JSON_DEPTH

# Strings full of what a scanner could mistake for structure: brackets, quotes, backslashes.
TRICKY = st.text(alphabet=st.sampled_from('[]{}"\\ab,:\u00e9\ud7ff'), max_size=12)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TRICKY,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
    max_leaves=30,
)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


def nested(depth: int, inner: str = "1") -> bytes:
    """`depth` arrays and objects around `inner`, alternating."""
    opening = "".join("[" if level % 2 == 0 else '{"k":' for level in range(depth))
    closing = "".join("]" if level % 2 == 0 else "}" for level in reversed(range(depth)))
    return (opening + inner + closing).encode()


class Trickle(io.RawIOBase):
    """A stream that hands out at most `size` bytes a read: every chunk boundary a scanner can meet."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.at = data, size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        piece = self.data[self.at : self.at + min(self.size, n if n >= 0 else self.size)]
        self.at += len(piece)
        return piece


@settings(max_examples=300, deadline=None)
@given(VALUES, st.integers(min_value=1, max_value=8))
def test_nesting_is_counted_as_the_parser_sees_it(value: Any, limit: int) -> None:
    text = json.dumps(value).encode()
    assert too_deep(text, limit) is (depth_of(value) > limit)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=200_000), st.sampled_from(["1", '"]]}"', "[]", '"\\\\"']))
def test_any_nesting_is_a_value_or_one_refusal_never_a_recursion_error(depth: int, inner: str) -> None:
    text, total = nested(depth, inner), depth + (inner == "[]")
    if total > DEFAULT_MAX_JSON_DEPTH:
        with pytest.raises(JsonRefused, match="nested more than 64 levels deep"):
            loads(text)
        assert parsed_or_none(text) is None
    else:
        assert depth_of(loads(text)) == total


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "[1e309]", '{"t": NaN}']))
def test_numbers_no_float_holds_are_refused_and_not_json_is_not_json(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        loads(text)
    assert isinstance(raised.value, JsonRefused) is ("e" in text)
    assert parsed_or_none(text.encode()) is None


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_reads_back(number: float) -> None:
    assert loads(json.dumps([number])) == [number] and math.isfinite(loads(json.dumps(number)))


@pytest.mark.slow  # 300 examples, each streamed in every chunking: about 10 s
@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=6), VALUES, st.integers(min_value=1, max_value=64), st.booleans())
def test_the_items_of_an_array_stream_back_whole_whatever_the_chunks(
    items: list[Any], other: Any, chunk: int, entries_first: bool
) -> None:
    log = {"entries": items, "other": other} if entries_first else {"other": other, "entries": items}
    document = {"pages": [{"entries": [["not these"]]}], "log": log}
    text = json.dumps(document).encode()
    read = [json.loads(item) for item in array_items(Trickle(text, chunk), ("log", "entries"), 1 << 20)]  # type: ignore[arg-type]
    assert read == [item for item in items if isinstance(item, list | dict)]


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=DEFAULT_MAX_JSON_DEPTH - 2, max_value=100_000), st.integers(min_value=1, max_value=4096))
def test_a_document_nested_beyond_the_bound_is_refused_as_it_streams(depth: int, chunk: int) -> None:
    text = b'{"log": {"entries": [' + nested(depth) + b"]}}"
    stream = Trickle(text, chunk)
    if depth + 3 > DEFAULT_MAX_JSON_DEPTH:
        with pytest.raises(JsonRefused, match="nested more than"):
            list(array_items(stream, ("log", "entries"), 1 << 20))  # type: ignore[arg-type]
        assert stream.at < 70 * 7 + chunk  # refused at the bracket too deep, not after reading the rest
    else:
        assert len(list(array_items(stream, ("log", "entries"), 1 << 20))) == 1  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=5000), st.integers(min_value=1, max_value=700))
def test_an_item_larger_than_its_bound_is_refused_before_it_is_held_whole(size: int, chunk: int) -> None:
    text = b'{"log": {"entries": [{"t": "' + b"x" * size + b'"}]}}'
    items = array_items(Trickle(text, chunk), ("log", "entries"), 100)  # type: ignore[arg-type]
    if size + 9 > 100:
        with pytest.raises(JsonRefused, match="larger than 100 bytes"):
            list(items)
    else:
        assert len(list(items)) == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (b'{"log": {"entries": [{}]', "ends before"),
        (b'{"log": {"entries": [{]}}', "closes nothing"),
        (b'{"log": {"pages": []}}', "no `log.entries` array"),
        (b'{"entries": [{}]}', "no `log.entries` array"),
    ],
)
def test_a_broken_document_is_one_value_error(text: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error) as raised:
        list(array_items(io.BytesIO(text), ("log", "entries"), 1 << 20))
    assert isinstance(raised.value, NoSuchArray) is error.startswith("no ")


def test_a_huge_string_around_the_items_is_refused_too() -> None:
    text = b'{"' + b"k" * 5000 + b'": 1, "log": {"entries": []}}'
    with pytest.raises(JsonRefused, match="larger than 1000 bytes"):
        list(array_items(Trickle(text, 100), ("log", "entries"), 1000))  # type: ignore[arg-type]
