"""Reading a spec document, the one way every command does: a size cap, YAML read safely with caps on depth and
on what its aliases expand to, and `$ref`s kept inside the document (no other file, no URL, no cycle).

Whatever a spec holds, reading it ends in bounded time and memory with the document or one sentence (SpecError)
that names the source, what is wrong and how to fix it; it never echoes what the spec names, nor fetches it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote

import yaml

from pcaps_contract._errors import SpecError
from pcaps_contract._files import open_named
from pcaps_contract._limits import MAX_SPEC_BYTES, MAX_SPEC_DEPTH, MAX_SPEC_NODES
from pcaps_contract._text import clip

_MAX_REVISION = 256  # git's own refnames are far shorter; a commit id is 40 or 64 characters
_MAX_REVISION_PATH = 4096  # PATH_MAX
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """YAML as OpenAPI means it (1.2, plain JSON data): no timestamps, only `true`/`false` are booleans, `1e5` is
    a number, and a key is text as written (`200:` is "200", `on:` is "on").

    schemathesis reads a spec file the same way, so the document it is handed is the one it would have read.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
        self.flatten_mapping(node)  # `<<: *anchor` merges, counted by `_measure` as the alias they are
        mapping: dict[str, Any] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(None, None, "a key that is not text", key.start_mark)
            mapping[key.value] = self.construct_object(value, deep)
        return mapping


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.VERBOSE,
    ),
    list("-+0123456789."),
)


def _not_json(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(None, None, f"{node.tag} is no JSON value", node.start_mark)


for _tag in ("timestamp", "binary", "set", "omap", "pairs"):  # what no JSON document (nor the generator) can hold
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _not_json)


def read_bytes(path: Path, what: str = "an OpenAPI spec (YAML or JSON)") -> bytes:
    """The file's bytes, at most MAX_SPEC_BYTES of them; SpecError names the file otherwise."""
    with open_named(path, SpecError, f"pass the path of {what}", f"is a directory; pass the path of {what}") as file:
        try:
            return file.read(MAX_SPEC_BYTES + 1)
        except OSError as exc:
            raise SpecError(f"{path} cannot be read ({exc.strerror}); check its permissions.") from None


def load_document(data: bytes | str, source: str) -> dict[str, Any]:
    """The mapping a spec's text holds, once its size, YAML and `$ref`s are within bounds.

    Args:
        data: the text (bytes are read as UTF-8), e.g. a file's or `git show`'s.
        source: how the user named it (a path, `REV:path`): every sentence starts with it.
    """
    document = parse_text(data, source)
    if not isinstance(document, dict):
        raise SpecError(f"{source} does not hold a mapping at the top level; an OpenAPI spec starts with `openapi:`.")
    check_references(document, source)
    return document


def parse_text(data: bytes | str, source: str) -> Any:
    """JSON or YAML text as data, refused when it is too big, too deep, or expands through aliases too far.

    JSON is read as JSON (libyaml refuses the surrogate pairs JSON escapes astral characters with).
    """
    text = _text(data, source)
    if text.lstrip()[:1] in ("{", "["):
        try:
            return _bounded_json(text, source)
        except json.JSONDecodeError:
            pass  # YAML's flow style, read as YAML
    try:
        _measure(text, source)
        return yaml.load(text, Loader=_Loader)  # a safe loader: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        if "nesting depth" in str(exc.problem):  # libyaml's own cap (1,000), met before an event is read
            _too_deep(source, where)
        raise SpecError(f"{source} is not valid YAML or JSON{where}; fix the syntax there.") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):  # e.g. `!!int 0x`, an out-of-range `!!float`
        raise SpecError(f"{source} holds a value YAML cannot read; quote it or fix its tag.") from None


def parse_json(data: bytes | str, source: str) -> Any:
    """JSON text as data, under the same caps as a spec."""
    try:
        return _bounded_json(_text(data, source), source)
    except json.JSONDecodeError as exc:
        raise SpecError(f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}); fix it.") from None


def check_references(document: dict[str, Any], source: str) -> None:
    """Every `$ref` names a place inside this document (`#/...`) that exists, and following them ends."""
    found = list(_references(document))
    for at, ref in found:
        where = _pointer(at)
        if not isinstance(ref, str):
            raise SpecError(f"{source} has a `$ref` at {where} that is not a string; write it as `'#/components/...'`.")
        if not ref.startswith("#"):
            raise SpecError(
                f"{source} has a `$ref` at {where} to {_shown(ref)}, outside the document; only references inside "
                "it (`#/...`) are read, so bundle what it names into the spec."
            )
        if not _resolves(document, _tokens(ref)):
            raise SpecError(f"{source} has a `$ref` at {where} to {_shown(ref)}, which points nowhere; fix it.")
    cycle = _cycle(found)
    if cycle:
        chain = " -> ".join(_shown(ref) for ref in cycle)
        raise SpecError(
            f"{source} has a `$ref` cycle ({clip(chain, 300)}) that comes back to the same value without "
            "reaching a property or an item, so reading it never ends; inline one of them or break the loop."
        )


def _text(data: bytes | str, source: str) -> str:
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > MAX_SPEC_BYTES:
        raise SpecError(
            f"{source} is larger than {MAX_SPEC_BYTES // (1 << 20)} MiB, far more than any spec of this API; "
            "pass the spec itself."
        )
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecError(f"{source} is not UTF-8 text; save the spec as UTF-8 YAML or JSON.") from None


def _measure(text: str, source: str) -> None:
    """Refuse YAML nested deeper than MAX_SPEC_DEPTH or holding more than MAX_SPEC_NODES once aliases expand.

    Read as a stream of events (libyaml's parser keeps no recursion), before anything is built: an alias
    counts what its anchor holds, so a kilobyte of "billion laughs" is refused after a few hundred events.
    """
    anchors: dict[str, tuple[int, int]] = {}  # anchor -> (values, collections deep) of what it names
    stack: list[list[Any]] = []  # open collections: [anchor, values, collections deep]
    total = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 1, 1])
            total += 1
            if len(stack) > MAX_SPEC_DEPTH:
                _too_deep(source, _line(event))
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            anchor, nodes, height = stack.pop()
            if anchor is not None:
                anchors[anchor] = (nodes, height)
            added = 0  # counted as it was read
        elif isinstance(event, yaml.AliasEvent):
            if any(entry[0] == event.anchor for entry in stack):
                raise SpecError(
                    f"{source} has a YAML alias *{clip(str(event.anchor), 40)} inside the node it names{_line(event)};"
                    " a spec is a tree: write that part out."
                )
            nodes, height = anchors.get(event.anchor, (1, 0))  # an undefined alias fails when the text is loaded
            if len(stack) + height > MAX_SPEC_DEPTH:
                _too_deep(source, _line(event))
            added = nodes
        elif isinstance(event, yaml.ScalarEvent):
            nodes, height, added = 1, 0, 1
            if event.anchor is not None:
                anchors[event.anchor] = (1, 0)
        else:
            continue
        total += added
        if stack:
            stack[-1][1] += nodes
            stack[-1][2] = max(stack[-1][2], height + 1)
        if total > MAX_SPEC_NODES:
            _too_many(source, _line(event))


def _too_many(source: str, where: str) -> NoReturn:
    raise SpecError(
        f"{source} holds more than {MAX_SPEC_NODES:,} values, each YAML alias counted as all it repeats{where}; "
        "a spec of this API holds about 1,000: write each shared part once under `components` and `$ref` it."
    )


def _line(event: Any) -> str:
    mark = event.start_mark
    return f" (line {mark.line + 1})" if mark is not None else ""


def _too_deep(source: str, where: str) -> NoReturn:
    raise SpecError(
        f"{source} nests deeper than {MAX_SPEC_DEPTH} levels{where}; name the inner parts under `components` "
        "and `$ref` them."
    )


def _bounded_json(text: str, source: str) -> Any:
    """JSON text as data, nested and sized as `_measure` allows YAML (json.JSONDecodeError when it is no JSON)."""
    try:
        value = json.loads(text)
    except RecursionError:
        _too_deep(source, "")
    nodes, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if isinstance(node, dict | list):
            if depth > MAX_SPEC_DEPTH:
                _too_deep(source, "")
            nodes += len(node) if isinstance(node, dict) else 0  # the keys, as YAML counts them
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
        if nodes > MAX_SPEC_NODES:
            _too_many(source, "")
    return value


def _references(document: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(where, ref) for every `$ref` of the document (the path of the mapping holding it), without recursion."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        node, at = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref is not None and not isinstance(ref, dict):  # a dict: a property named `$ref`, no reference
                yield at, ref
            stack.extend((child, (*at, str(key))) for key, child in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((child, (*at, str(index))) for index, child in reversed(list(enumerate(node))))


def local_pointer(ref: str) -> str | None:
    """The JSON pointer a local `$ref` names, its URI fragment decoded (`#/a%20b` -> `/a b`); None for any other."""
    if not ref.startswith("#"):
        return None
    pointer = unquote(ref[1:])
    return pointer if pointer == "" or pointer.startswith("/") else None


def _tokens(ref: str) -> tuple[str, ...] | None:
    """The path a local `$ref` names (`#/a/b~1c` -> ("a", "b/c")), or None when it is no JSON pointer."""
    pointer = local_pointer(ref)
    if not pointer:
        return None if pointer is None else ()
    return tuple(token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/"))


def _resolves(document: Any, tokens: tuple[str, ...] | None) -> bool:
    if tokens is None:
        return False
    node = document
    for token in tokens:
        if isinstance(node, dict):
            matches = [value for key, value in node.items() if str(key) == token]
            if not matches:
                return False
            node = matches[0]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False
    return True


def _cycle(found: list[tuple[tuple[str, ...], Any]]) -> list[str]:
    """A chain of `$ref`s that leads back to where it started with no step into a part of the value (empty when
    every chain ends, or reaches a property or an item before it comes back).

    Following a ref means reading what it names: ref A leads to ref B when B is that node itself, or lies in it
    under keywords that judge the same value (`allOf`, `anyOf`, `oneOf`, `not`, ...). A recursive schema (a
    tree's `children: {items: {$ref: Node}}`) descends into a smaller value at each turn and is no cycle.
    """
    named: dict[tuple[str, ...], str] = {}
    for _, ref in found:
        named.setdefault(_tokens(ref) or (), ref)
    leads: dict[tuple[str, ...], list[tuple[str, ...]]] = {target: [] for target in named}
    for at, ref in found:
        for length in range(len(at) + 1):
            if at[:length] in leads and _in_place(at[length:]):
                leads[at[:length]].append(_tokens(ref) or ())
    done: set[tuple[str, ...]] = set()
    for start in leads:
        if start in done:
            continue
        path, on_path, pending = [start], {start}, [iter(leads[start])]
        while pending:
            following = next(pending[-1], None)
            if following is None:
                on_path.discard(path[-1])
                done.add(path.pop())
                pending.pop()
            elif following in on_path:
                return [named[target] for target in (*path[path.index(following) :], following)]
            elif following not in done:
                path.append(following)
                on_path.add(following)
                pending.append(iter(leads[following]))
    return []


_SAME_VALUE = frozenset({"not", "if", "then", "else"})
_SAME_VALUE_MEMBERS = frozenset({"allOf", "anyOf", "oneOf", "dependentSchemas"})  # each followed by an index or name


def _in_place(steps: tuple[str, ...]) -> bool:
    """True when a subschema this far below a schema judges the same value (`allOf/0`, `not`), not a part of it."""
    index = 0
    while index < len(steps):
        if steps[index] in _SAME_VALUE:
            index += 1
        elif steps[index] in _SAME_VALUE_MEMBERS and index + 1 < len(steps):
            index += 2
        else:
            return False
    return True


def _pointer(at: tuple[str, ...]) -> str:
    return clip("#/" + "/".join(token.replace("~", "~0").replace("/", "~1") for token in at), 200) if at else "#"


def _shown(value: str) -> str:
    """A value from the spec, quoted with its control characters escaped and cut short."""
    return clip(json.dumps(value), 120)


def check_revision(revision: str, label: str) -> str:
    """A git revision a spec is read at, refused when git could read it as an option or it holds odd characters.

    The caller still passes `--end-of-options` before it: this sentence is for the person, that flag for git.
    """
    if not revision:
        raise SpecError(f"`{clip(label, 120)}` names no git revision; write `REV:path` or `REV`, e.g. `main`.")
    if revision.startswith("-"):
        raise SpecError(
            f"the git revision {_shown(revision)} starts with `-`, which git would read as an option; "
            "name a branch, tag or commit."
        )
    if len(revision) > _MAX_REVISION or any(char.isspace() or not char.isprintable() for char in revision):
        raise SpecError(
            f"the git revision {_shown(revision)} is longer than {_MAX_REVISION} characters or holds spaces or "
            "control characters, which no git revision has; name a branch, tag or commit."
        )
    return revision


def check_revision_path(inside: str, label: str) -> str:
    """The path of `REV:path`, refused when it holds control characters (git takes no NUL, nor a file name one)."""
    if len(inside) > _MAX_REVISION_PATH or any(not char.isprintable() and char != " " for char in inside):
        raise SpecError(
            f"the path {_shown(inside)} of `REV:path` is longer than {_MAX_REVISION_PATH} characters or holds "
            "control characters; name the spec's file as the repository holds it."
        )
    return inside
