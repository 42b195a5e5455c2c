"""The Python names the generated client gives to names in the spec, spelled as the pinned generator spells them.

openapi-python-client names a model class after a component schema's `title` or key (`ClassName`), a
function after the operationId (or the method and path when there is none), a module after the first tag,
and a keyword argument after a parameter's name (`PythonIdentifier`, snake_case). `diff` compares these, so a
rename the generator spells the same (`ownershipId` and `ownership_id`) breaks nobody.

The spelling rules are those of the generator's `strings` module (0.29.1), written out here so that `diff` works
where only the toolkit's runtime is installed (the generator is the `generate` extra);
`tests/unit/test_diff_client_names.py` compares them with the generator's own on many names.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping
from functools import cache
from keyword import iskeyword
from typing import Any

# The generator's defaults; spec/client-config.yaml sets neither a `field_prefix` nor `class_overrides`.
FIELD_PREFIX = "field_"
TAG_PREFIX = "tag"
DEFAULT_TAG = "default"
_DELIMITERS = r"\. _-"
_RESERVED = (set(dir(builtins)) | {"self", "true", "false", "datetime"}) - {"id"}


def _words(value: str) -> list[str]:
    kept = "".join(c for c in value if c.isidentifier() or c.isdecimal() or c in _DELIMITERS)
    if any(c.isupper() for c in kept):
        kept = " ".join(re.split("([A-Z]?[a-z]+)", kept))
    return re.findall(rf"[^{re.escape(_DELIMITERS)}]+", kept)


def _unreserved(value: str) -> str:
    return f"{value}_" if value in _RESERVED or iskeyword(value) else value


def _pascal(value: str) -> str:
    return "".join(word if word.isupper() else word.capitalize() for word in _words(value))


@cache
def class_name(name: str) -> str:
    """The model class of a component schema whose `title` or key is `name`."""
    name = name.rsplit("/", maxsplit=1)[-1]
    spelled = _unreserved(_pascal(name))
    if not spelled.isidentifier():
        spelled = _unreserved(_pascal(f"{FIELD_PREFIX}{spelled}"))
    return spelled


def _identifier(name: str, prefix: str) -> str:
    kept = "".join(c for c in name if c.isidentifier() or c.isdecimal() or c in _DELIMITERS)
    spelled = _unreserved("_".join(_words(kept)).lower())
    return f"{prefix}{spelled}" if not spelled.isidentifier() or kept.startswith("_") else spelled


@cache
def argument_name(name: str) -> str:
    """The keyword argument (and attribute) a parameter or property named `name` becomes."""
    return _identifier(name, FIELD_PREFIX)


def function_name(operation_id: str | None, method: str, path: str) -> str:
    """The module and function of an operation: its operationId, or `method_path` when it has none."""
    if operation_id is not None:
        return argument_name(operation_id)
    generated = path.replace("{", "").replace("}", "").replace("/", "_").removeprefix("_").removesuffix("_")
    return argument_name(f"{method}_{generated}")


@cache
def module_name(tag: str | None) -> str:
    """The module under `api/` of an operation whose first tag is `tag` (`default` when it has none)."""
    return _identifier(DEFAULT_TAG if tag is None else tag, TAG_PREFIX)


def makes_class(node: Mapping[str, Any]) -> bool:
    """Whether the generator turns this (dereferenced) schema into a class of its own: a model or an enum.

    The order is the generator's (`property_from_data`): one `$ref` in `allOf`/`anyOf`/`oneOf` reuses the
    referenced class, booleans are never enums, an enum wins over a union, a union over a model.
    """
    members = [*(node.get("allOf") or []), *(node.get("anyOf") or []), *(node.get("oneOf") or [])]
    kind = node.get("type")
    if len(members) == 1 and isinstance(members[0], Mapping) and "$ref" in members[0]:
        return False
    if kind == "boolean":
        return False
    if node.get("enum"):
        return True
    if node.get("anyOf") or node.get("oneOf") or isinstance(kind, list) or node.get("const") is not None:
        return False
    return kind == "object" or bool(node.get("allOf")) or (kind is None and bool(node.get("properties")))
