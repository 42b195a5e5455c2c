"""Contains some shared types for properties, and the checks that hold responses to the contract"""

import datetime
import json
import re
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from enum import Enum
from http import HTTPStatus
from itertools import accumulate
from typing import IO, Any, BinaryIO, Generic, Literal, TypeVar, cast

from attrs import define

from .errors import MISSING, ContractViolation


class Unset:
    def __bool__(self) -> Literal[False]:
        return False


UNSET: Unset = Unset()

# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@define
class Response(Generic[T]):
    """A response from an endpoint"""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None


E = TypeVar("E", bound=Enum)

# Strict (the default) rejects enum values the spec does not list; tolerant lets them through.
_STRICT: ContextVar[bool] = ContextVar("pcaps_client_strict", default=True)


@contextmanager
def contract_mode(*, strict: bool) -> Iterator[None]:
    """Parse responses in strict or tolerant mode inside the block (clients set it from their `strict` flag)."""
    token = _STRICT.set(strict)
    try:
        yield
    finally:
        _STRICT.reset(token)


@contextmanager
def contract_field(model: str, name: str, data: Mapping[str, Any], expected: str, required: bool) -> Iterator[None]:
    """Parse one field of a model: a missing required field, a wrong type or a broken rule becomes a ContractViolation naming it."""
    value = data.get(name, MISSING)
    try:
        if required and value is MISSING:
            raise ContractViolation("a required field", MISSING)
        yield
    except ContractViolation as violation:
        violation.path = (name, *violation.path)
        violation.model = model
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        broken = ContractViolation(expected, value)
        broken.path = (name,)
        broken.model = model
        raise broken from exc


@contextmanager
def contract_item(index: int) -> Iterator[None]:
    """Parse one item of a list: a ContractViolation inside it names the item's index."""
    try:
        yield
    except ContractViolation as violation:
        violation.path = (f"[{index}]", *violation.path)
        raise


def check_const(value: object, const: object) -> None:
    """The value is exactly the constant the spec names (`true` is not `1`)."""
    if type(value) is not type(const) or value != const:
        raise ContractViolation(f"exactly {json.dumps(const)}", value)


def _length_rule(min_length: int | None, max_length: int | None) -> str:
    """A minLength/maxLength pair in words."""
    if max_length == 0:
        return "an empty string"
    if min_length is not None and min_length == max_length:
        return f"a string of exactly {min_length} characters"
    if max_length is None:
        return f"a string of at least {min_length or 0} characters"
    if not min_length:
        return f"a string of at most {max_length} characters"
    return f"a string of {min_length} to {max_length} characters"


def _fits(value: str, min_length: int | None, max_length: int | None) -> bool:
    return (min_length is None or len(value) >= min_length) and (max_length is None or len(value) <= max_length)


def check_length(value: object, min_length: int | None, max_length: int | None) -> None:
    """A string value has a length within the spec's minLength and maxLength."""
    if isinstance(value, str) and not _fits(value, min_length, max_length):
        raise ContractViolation(f"{_length_rule(min_length, max_length)} (got {len(value)})", value)


def check_string_branches(value: object, lengths: tuple[tuple[int | None, int | None], ...], others: list[str]) -> None:
    """A string left over from a union fits one of the union's plain-string branches (e.g. `''` beside a Timestamp)."""
    if isinstance(value, str) and not any(_fits(value, *length) for length in lengths):
        allowed = [*(f"a {name}" for name in others), *(_length_rule(*length) for length in lengths)]
        raise ContractViolation(" or ".join(allowed), value)


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def parse_rfc3339(value: object) -> datetime.datetime:
    """An RFC 3339 timestamp (`format: date-time`) as an aware datetime; anything else raises ValueError."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    return datetime.datetime.fromisoformat(value.upper())


# The contract nests about 4 levels deep; json.loads recurses once per level and a body of 100,000 `[` exhausts
# the interpreter's stack (RecursionError), so deeper bodies are refused before they are parsed.
MAX_JSON_DEPTH = 64
# A string, or an unterminated one up to the end: the closing quote is optional, so no match ever fails and backtracks
# (a body of `"` and 500,000 `\"` would make a strict pattern quadratic). JSON fails on an unterminated string anyway.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_EXCERPT_BYTES = 64


def _nesting_depth(text: str) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    openings = text.count("[") + text.count("{")
    if openings <= MAX_JSON_DEPTH:
        return openings  # an upper bound, already within the limit: no need to scan
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def parse_json(content: bytes) -> Any:
    """A response body as JSON (RFC 8259: UTF-8, no NaN), nested at most MAX_JSON_DEPTH deep; anything else raises ContractViolation."""
    excerpt = content[:_EXCERPT_BYTES]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise ContractViolation("a JSON body in UTF-8", excerpt) from None
    depth = _nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ContractViolation(f"JSON nested at most {MAX_JSON_DEPTH} levels deep (got {depth})", excerpt)
    try:
        return json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):
        raise ContractViolation("a JSON body", excerpt) from None


def parse_enum(enum: type[E], value: object) -> E:
    """The enum member of a value; an unknown value raises ContractViolation, or in tolerant mode comes through as a string."""
    try:
        return enum(value)
    except ValueError:
        if _STRICT.get() or not isinstance(value, str) or not issubclass(enum, str):
            allowed = ", ".join(repr(member.value) for member in enum)
            raise ContractViolation(f"one of {allowed}", value) from None
    member = cast(E, str.__new__(cast(type[str], enum), value))
    member._name_ = value
    member._value_ = value
    return member


__all__ = [
    "MAX_JSON_DEPTH",
    "UNSET",
    "File",
    "FileTypes",
    "RequestFiles",
    "Response",
    "Unset",
    "check_const",
    "check_length",
    "check_string_branches",
    "contract_field",
    "contract_item",
    "contract_mode",
    "parse_enum",
    "parse_json",
    "parse_rfc3339",
]
