"""The one reader of spec documents (`_documents`): whatever a spec holds, a bounded read or one sentence.

Each class of hostile spec is generated: nesting past the depth cap, alias fan-out, `$ref`s of every scheme and
shape, `$ref` graphs with and without cycles, texts around the size cap, git revisions that look like options.
An audit hook watches the process: no refused reference is ever opened or fetched.
"""

from __future__ import annotations

import itertools
import json
import string
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pcaps_contract._errors import SpecError
from pcaps_contract._limits import MAX_SPEC_BYTES, MAX_SPEC_DEPTH, MAX_SPEC_NODES
from pcaps_contract.diff.sources import load_source
from pcaps_contract.openapi.documents import check_revision, load_document, parse_json
from pcaps_contract.openapi.lint_rules import openapi_is_valid
from pcaps_contract.openapi.spec import Spec, default_spec_path, load_spec

SOURCE = "hostile.yaml"
CANARY = "CANARY-TOKEN-5f1e2d"  # what a refused file holds: never in a message
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_watching: list[tuple[str, tuple[Any, ...]]] | None = None


def _audit(event: str, arguments: tuple[Any, ...]) -> None:
    if _watching is not None and event in ("open", "socket.connect", "socket.getaddrinfo", "subprocess.Popen"):
        _watching.append((event, arguments))


sys.addaudithook(_audit)


class Watch:
    """What the process opened, connected to and ran while the block ran."""

    def __init__(self) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []

    def __enter__(self) -> Watch:
        global _watching
        _watching = self.events
        return self

    def __exit__(self, *exc: object) -> None:
        global _watching
        _watching = None

    def opened(self) -> set[str]:
        return {str(Path(str(arguments[0])).resolve()) for event, arguments in self.events if event == "open"}

    def connected(self) -> list[tuple[Any, ...]]:
        return [arguments for event, arguments in self.events if event.startswith("socket")]

    def commands(self) -> list[list[str]]:
        return [[str(part) for part in arguments[1]] for event, arguments in self.events if event == "subprocess.Popen"]


def refused(data: str | bytes, source: str = SOURCE) -> str:
    """The one sentence the reader refuses `data` with (fails when it loads)."""
    with pytest.raises(SpecError) as caught:
        load_document(data, source)
    message = str(caught.value)
    assert message.startswith(source) and "\n" not in message and "Traceback" not in message
    return message


def minimal(**extra: Any) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, **extra}


# --- anything -----------------------------------------------------------------------------------------------

YAMLISH = st.text(alphabet=":-[]{}&*!|>'\"#%@` \n\t,?.~<=\\abx01$/", max_size=300)


@settings(max_examples=400, deadline=None)
@given(st.one_of(YAMLISH, st.text(max_size=200), st.binary(max_size=200)))
def test_any_text_is_read_as_a_mapping_or_refused_in_one_sentence(data: str | bytes) -> None:
    try:
        document = load_document(data, SOURCE)
    except SpecError as exc:
        assert str(exc).startswith(SOURCE) and "\n" not in str(exc)
    else:
        assert isinstance(document, dict)
        json.dumps(document)  # plain JSON data, as the generator and schemathesis are handed it


# --- size ---------------------------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(st.integers(MAX_SPEC_BYTES - 3, MAX_SPEC_BYTES + 3))
def test_a_text_is_read_up_to_the_size_cap_and_refused_past_it(size: int) -> None:
    head = "openapi: 3.1.0\n#"
    text = head + "x" * (size - len(head))
    if size > MAX_SPEC_BYTES:
        assert "larger than 2 MiB" in refused(text)
    else:
        assert load_document(text, SOURCE) == {"openapi": "3.1.0"}


def test_a_file_is_read_no_further_than_the_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as file:
        file.truncate(1 << 30)  # 1 GiB, sparse: read whole, it would take seconds and a gigabyte
    with pytest.raises(SpecError, match=r"larger than 2 MiB, far more than any spec of this API; pass the spec"):
        load_spec(big)


# --- depth --------------------------------------------------------------------------------------------------


def _nested(depth: int, style: str) -> str:
    """Text holding `depth` collections, each inside the one before (JSON for the first two styles)."""
    if style == "yaml-flow":
        return "x: " + "[" * (depth - 1) + "]" * (depth - 1)
    if style == "flow-lists":
        return "[" * depth + "]" * depth
    if style == "flow-maps":
        return '{"a": ' * depth + "1" + "}" * depth
    if style == "block-maps":
        return "".join("  " * level + "a:\n" for level in range(depth - 1)) + "  " * (depth - 1) + "a: 1\n"
    return "".join("  " * level + "-\n" for level in range(depth - 1)) + "  " * (depth - 1) + "- 1\n"


STYLES = ("flow-lists", "flow-maps", "yaml-flow", "block-maps", "block-lists")


@PROPERTY
@given(st.integers(1, 3000), st.sampled_from(STYLES))
@example(MAX_SPEC_DEPTH, "flow-lists")
@example(MAX_SPEC_DEPTH + 1, "flow-lists")
@example(MAX_SPEC_DEPTH, "flow-maps")
@example(MAX_SPEC_DEPTH + 1, "flow-maps")
@example(MAX_SPEC_DEPTH, "yaml-flow")
@example(MAX_SPEC_DEPTH + 1, "yaml-flow")
@example(MAX_SPEC_DEPTH, "block-maps")
@example(MAX_SPEC_DEPTH + 1, "block-maps")
@example(MAX_SPEC_DEPTH, "block-lists")
@example(MAX_SPEC_DEPTH + 1, "block-lists")
def test_nesting_is_read_to_the_depth_cap_and_refused_past_it(depth: int, style: str) -> None:
    assume(not style.startswith("block") or depth <= 300)  # block YAML that deep is megabytes of indentation
    text = _nested(depth, style)
    if depth > MAX_SPEC_DEPTH:
        assert f"nests deeper than {MAX_SPEC_DEPTH} levels" in refused(text)
    elif "lists" in style:
        assert "does not hold a mapping at the top level" in refused(text)  # read whole, then judged
    else:
        assert isinstance(load_document(text, SOURCE), dict)


@PROPERTY
@given(st.integers(1, 5000))
def test_json_nesting_is_read_to_the_depth_cap_and_refused_past_it(depth: int) -> None:
    text = '{"a": ' * depth + "1" + "}" * depth
    if depth > MAX_SPEC_DEPTH:
        with pytest.raises(SpecError, match=f"^seed.json nests deeper than {MAX_SPEC_DEPTH} levels"):
            parse_json(text, "seed.json")
    else:
        assert parse_json(text, "seed.json") is not None


# --- aliases ------------------------------------------------------------------------------------------------


def _laughs(levels: int, fan_out: int) -> tuple[str, int]:
    """A "billion laughs" document and the number of values it holds once every alias is expanded."""
    lines = ['l0: &a0 ["lol"]']
    size = 2  # the list and its one string
    total = 1 + 1 + size  # the top mapping, the key `l0`, the list
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan_out)}]")
        size = 1 + fan_out * size
        total += 1 + size
    return "\n".join(lines) + "\n", total


@PROPERTY
@given(st.integers(1, 12), st.integers(1, 12))
def test_aliases_are_read_until_what_they_expand_to_passes_the_cap(levels: int, fan_out: int) -> None:
    text, total = _laughs(levels, fan_out)
    if total > MAX_SPEC_NODES:
        assert f"more than {MAX_SPEC_NODES:,} values, each YAML alias counted as all it repeats" in refused(text)
    else:
        document = load_document(text, SOURCE)
        assert len(document) == levels + 1 and document[f"l{levels}"] == [document[f"l{levels - 1}"]] * fan_out


@pytest.mark.parametrize(("anchored", "used_at", "read"), [(40, 24, True), (40, 25, False), (1, 63, True)])
def test_an_alias_is_as_deep_as_what_it_names_where_it_is_used(anchored: int, used_at: int, read: bool) -> None:
    """`anchored` lists deep, repeated under `used_at` collections: that many plus its own, against the cap."""
    text = "a: &deep " + "[" * anchored + "]" * anchored + "\nb: " + "[" * (used_at - 1) + "*deep" + "]" * (used_at - 1)
    if read:
        assert isinstance(load_document(text, SOURCE)["b"], list)
    else:
        assert f"nests deeper than {MAX_SPEC_DEPTH} levels" in refused(text)


def test_the_billion_laughs_of_a_kilobyte_is_refused_before_it_is_built() -> None:
    text, total = _laughs(9, 10)
    assert len(text) < 1024 and total > 10**9
    with Watch() as watch:
        refused(text)
    assert watch.events == []


@pytest.mark.parametrize("text", ["a: &a [*a]", "a: &x\n  b: *x\n", "&r {a: [1, {b: *r}]}", "a: &m {<<: *m}"])
def test_an_alias_inside_the_node_it_names_is_refused(text: str) -> None:
    assert "inside the node it names" in refused(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: !!binary aGVsbG8=",
        "a: !!set {x}",
        "a: !!timestamp 2020-01-01",
        "a: !!python/object:os.system x",
        "? [a]\n: b",
    ],
)
def test_values_no_json_document_holds_are_refused(text: str) -> None:
    refused(text)


def test_yaml_is_read_as_openapi_means_it() -> None:
    assert load_document("200: a\non: 1\nd: 2020-01-01\nyes: no\nf: 1e5\n", SOURCE) == {
        "200": "a",
        "on": 1,
        "d": "2020-01-01",
        "yes": "no",
        "f": 100000.0,
    }


# --- $ref: only inside the document -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def canaries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding spec.yaml's place, a canary next to it and one a folder up."""
    root = tmp_path_factory.mktemp("refs")
    (root / "specs").mkdir()
    for where in (root / "ci.env", root / "specs" / "ci.env", root / "specs" / "other.yaml"):
        where.write_text(f"TOKEN={CANARY}\n")
    return root


def _outside_refs(root: Path, host: str = "127.0.0.1:9") -> st.SearchStrategy[str]:
    """`$ref`s of every scheme and shape that name something outside the document.

    No server listens: a fetch would show as a `socket.connect` (the end-to-end tests run one that counts).
    """
    canary = (root / "ci.env").as_posix()
    fragment = st.sampled_from(["", "#", "#/x", "#/components/schemas/A", "#%2Fx", "#/a~1b"])
    targets = st.sampled_from(
        [
            f"file://{canary}",
            f"FILE://{canary}",
            f"file:{canary}",
            f"file://localhost{canary}",
            f"file://{quote(canary)}",
            canary,
            "ci.env",
            "./ci.env",
            "../ci.env",
            "other.yaml",
            "specs/../ci.env",
            "%2e%2e/ci.env",
            f"//{host}/evil.yaml",
            f"http://{host}/evil.yaml",
            f"HTTP://{host}/evil.yaml",
            f"https://{host}/evil.yaml",
            f"http://{host}/%65vil.yaml?a=1",
            f"http://user:pw@{host}/evil.yaml",
            f"ftp://{host}/evil.yaml",
            "data:application/json,%7B%22x%22%3A1%7D",
            "jar:file:///x.jar!/a",
            "urn:example:evil",
            "spec.yaml",
            "C:\\evil.yaml",
            " #/components",
            "",
        ]
    )
    made_up = st.text(min_size=0, max_size=40)
    return st.one_of(st.builds(str.__add__, targets, fragment), made_up).filter(lambda ref: not ref.startswith("#"))


def _placed(ref: Any, where: int) -> dict[str, Any]:
    """A valid document but for one `$ref`, placed at one of a few depths."""
    places: list[dict[str, Any]] = [
        minimal(components={"schemas": {"A": {"$ref": ref}}}),
        minimal(components={"schemas": {"A": {"type": "object", "properties": {"b": {"$ref": ref}}}}}),
        minimal(paths={"/a": {"get": {"responses": {"200": {"$ref": ref}}}}}),
        minimal(paths={"/a": {"get": {"responses": {"200": {"description": "d", "links": {"l": {"$ref": ref}}}}}}}),
    ]
    return places[where]


@PROPERTY
@given(data=st.data(), where=st.integers(0, 3))
def test_a_ref_outside_the_document_is_refused_and_nothing_is_opened_or_fetched(
    canaries: Path, data: st.DataObject, where: int
) -> None:
    ref = data.draw(_outside_refs(canaries))
    spec_path = canaries / "specs" / "spec.yaml"
    spec_path.write_text(json.dumps(_placed(ref, where)))
    with Watch() as watch, pytest.raises(SpecError) as caught:
        load_spec(spec_path)
    message = str(caught.value)
    assert message.startswith(str(spec_path)) and "\n" not in message and CANARY not in message
    assert "outside the document" in message or "not a string" in message
    assert watch.opened() == {str(spec_path.resolve())}, "the reader opened another file"
    assert watch.connected() == []


@pytest.mark.slow  # over ten seconds on two shared cores
@PROPERTY
@given(data=st.data(), where=st.integers(0, 3))
def test_lint_resolves_no_ref_out_of_a_document_it_is_handed(canaries: Path, data: st.DataObject, where: int) -> None:
    """openapi-spec-validator, should a document with an outside `$ref` reach it: one sentence, nothing read."""
    ref = data.draw(_outside_refs(canaries).filter(lambda text: text.strip() != ""))
    spec = Spec(canaries / "specs" / "spec.yaml", _placed(ref, where))
    with Watch() as watch:
        try:
            findings = list(openapi_is_valid(spec))
        except SpecError as exc:
            findings = []
            assert "\n" not in str(exc) and CANARY not in str(exc)
    assert all(CANARY not in finding.what for finding in findings)
    assert not {path for path in watch.opened() if "ci.env" in path or "other.yaml" in path}
    assert watch.connected() == []


@PROPERTY
@given(data=st.data())
def test_the_fast_validator_resolves_no_ref_out_of_the_document(canaries: Path, data: st.DataObject) -> None:
    ref = data.draw(_outside_refs(canaries))
    spec = Spec(canaries / "specs" / "spec.yaml", _placed(ref, 1))
    with Watch() as watch:
        valid = spec.surely_valid("/components/schemas/A", {"b": 1})
    assert valid in (True, False)
    assert not {path for path in watch.opened() if "ci.env" in path or "other.yaml" in path}
    assert watch.connected() == []


@pytest.mark.parametrize("ref", [5, ["#/a"], True, 1.5])
def test_a_ref_that_is_not_text_is_refused(ref: Any) -> None:
    assert "that is not a string" in refused(json.dumps(minimal(x={"$ref": ref})))


def test_a_property_named_ref_is_no_reference() -> None:
    document = minimal(components={"schemas": {"A": {"properties": {"$ref": {"type": "string"}}}}})
    assert load_document(json.dumps(document), SOURCE) == document


# --- $ref: inside the document ------------------------------------------------------------------------------

NAMES = st.text(string.ascii_letters + string.digits + "/~%{} ._-", min_size=1, max_size=12)


def _pointer_to(name: str, encode: bool) -> str:
    pointer = "#/components/schemas/" + name.replace("~", "~0").replace("/", "~1")
    return "#" + quote(pointer[1:], safe="/~") if encode else pointer


@PROPERTY
@given(st.lists(NAMES, min_size=1, max_size=6, unique=True), st.data())
def test_a_local_ref_is_read_when_it_points_somewhere_and_refused_when_it_points_nowhere(
    names: list[str], data: st.DataObject
) -> None:
    target = data.draw(st.one_of(st.sampled_from(names), NAMES))
    encode = data.draw(st.booleans()) or "%" in target  # a literal `%` must be written `%25`, encoded
    schemas: dict[str, Any] = {name: {"type": "string"} for name in names}
    schemas["Using"] = {"type": "object", "properties": {"x": {"$ref": _pointer_to(target, encode)}}}
    assume("Using" not in names)
    text = json.dumps(minimal(components={"schemas": schemas}))
    if target in names:
        assert load_document(text, SOURCE)["components"]["schemas"]["Using"] == schemas["Using"]
    else:
        assert "points nowhere" in refused(text)


def _has_cycle(edges: dict[int, set[int]]) -> bool:
    """Kahn's algorithm: a graph has a cycle when some node never loses all its incoming edges."""
    incoming = {node: 0 for node in edges}
    for targets in edges.values():
        for target in targets:
            incoming[target] += 1
    ready = [node for node, count in incoming.items() if count == 0]
    removed = 0
    while ready:
        node = ready.pop()
        removed += 1
        for target in edges[node]:
            incoming[target] -= 1
            if incoming[target] == 0:
                ready.append(target)
    return removed < len(edges)


# An edge (source, target, how): the source schema refers to the target as a whole (`$ref` alone), through
# `allOf`/`anyOf`/`not` (the same value), or for a property or an item (a part of the value).
EDGE_KINDS = ("whole", "allOf", "anyOf", "not", "property", "items")
SAME_VALUE = {"whole", "allOf", "anyOf", "not"}
GRAPHS = st.integers(1, 6).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.sampled_from(EDGE_KINDS)), max_size=10),
    )
)


def _schema_of(edges: list[tuple[int, str]]) -> dict[str, Any]:
    """A schema holding each of its references as its kind says."""

    def ref(target: int) -> dict[str, str]:
        return {"$ref": f"#/components/schemas/S{target}"}

    if [kind for _, kind in edges] == ["whole"]:
        return ref(edges[0][0])
    schema: dict[str, Any] = {"type": "object"}
    for index, (target, kind) in enumerate(edges):
        if kind in ("whole", "allOf", "anyOf"):
            schema.setdefault("anyOf" if kind == "anyOf" else "allOf", []).append(ref(target))
        elif kind == "not":
            schema["not"] = {"allOf": [*schema.get("not", {}).get("allOf", []), ref(target)]}
        elif kind == "property":
            schema.setdefault("properties", {})[f"p{index}"] = ref(target)
        else:
            schema["items"] = {"anyOf": [*schema.get("items", {}).get("anyOf", []), ref(target)]}
    return schema


@PROPERTY
@given(GRAPHS)
def test_a_ref_graph_is_refused_exactly_when_it_comes_back_to_the_same_value(
    graph: tuple[int, list[tuple[int, int, str]]],
) -> None:
    """Refused, naming a real cycle, when references come back to a schema without reaching a part of the value;
    read when every such chain ends (a recursive schema through a property or an item is read)."""
    size, triples = graph
    out: dict[int, list[tuple[int, str]]] = {node: [] for node in range(size)}
    same_value: dict[int, set[int]] = {node: set() for node in range(size)}
    for source, target, kind in triples:
        out[source].append((target, kind))
        if kind in SAME_VALUE:
            same_value[source].add(target)
    schemas = {f"S{node}": _schema_of(edges) for node, edges in out.items()}
    text = json.dumps(minimal(components={"schemas": schemas}))
    if not _has_cycle(same_value):
        assert load_document(text, SOURCE)["components"]["schemas"] == schemas
        return
    message = refused(text)
    assert "`$ref` cycle" in message
    shown = message.split("(", 1)[1].split(")", 1)[0].split(" -> ")
    chain = [int(json.loads(ref).rsplit("S", 1)[1]) for ref in shown]
    assert chain[0] == chain[-1] and all(b in same_value[a] for a, b in itertools.pairwise(chain))


def test_a_recursive_schema_is_read() -> None:
    tree = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}},
    }
    document = minimal(components={"schemas": {"Tree": tree}})
    assert load_document(json.dumps(document), SOURCE) == document


def test_a_document_that_is_a_ref_to_itself_is_a_cycle() -> None:
    assert "`$ref` cycle" in refused(json.dumps(minimal(**{"$ref": "#"})))


def test_the_bundled_spec_is_read_as_it_always_was() -> None:
    text = default_spec_path().read_text(encoding="utf-8")
    assert load_document(text, SOURCE) == yaml.safe_load(text)


# --- git revisions ------------------------------------------------------------------------------------------


@PROPERTY
@given(st.text(min_size=0, max_size=30).map(lambda tail: "-" + tail))
def test_a_revision_starting_with_a_dash_is_refused(revision: str) -> None:
    with pytest.raises(SpecError, match="which git would read as an option"):
        check_revision(revision, revision)


@PROPERTY
@given(st.text(min_size=1, max_size=20).filter(lambda text: any(c.isspace() or not c.isprintable() for c in text)))
def test_a_revision_with_spaces_or_control_characters_is_refused(revision: str) -> None:
    assume(not revision.startswith("-"))
    with pytest.raises(SpecError) as caught:
        check_revision(revision, revision)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    (root / "spec.yaml").write_text(default_spec_path().read_text(encoding="utf-8"))
    identity = ["-c", "user.name=pcaps", "-c", "user.email=pcaps@example.com", "-c", "commit.gpgsign=false"]
    for arguments in (["init", "--quiet"], ["add", "spec.yaml"], ["commit", "--quiet", "-m", "spec"]):
        subprocess.run(["git", *identity, *arguments], cwd=root, check=True, capture_output=True)
    return root


OUR_GIT_FLAGS = {"--show-toplevel", "--verify", "--quiet", "--end-of-options"}


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        st.text(min_size=1, max_size=20),
        st.sampled_from(["--output=x", "-p", "--help", "-c", "--exec=sh", "HEAD", "HEAD~0", "@", "--end-of-options"]),
    ),
    st.one_of(st.none(), st.just("spec.yaml"), st.text(max_size=20)),
)
@example(revision="HEAD", inside="spec\x00.yaml")
@example(revision="--output=victim", inside="x")
@example(revision="\n", inside="")  # a name no file or revision has, with a line break to show on one line
def test_no_git_revision_is_ever_read_as_an_option(repository: Path, revision: str, inside: str | None) -> None:
    """Whatever the user names, git sees it only after `--end-of-options` (or never), and writes nothing."""
    argument = revision if inside is None else f"{revision}:{inside}"
    before = sorted(path.name for path in repository.iterdir())
    with pytest.MonkeyPatch.context() as patch, Watch() as watch:
        patch.chdir(repository)
        patch.setenv("GIT_CEILING_DIRECTORIES", str(repository.parent))
        try:
            load_source(argument, repository / "spec.yaml")
        except SpecError as exc:
            assert "\n" not in str(exc)
    for command in watch.commands():
        assert command[0] == "git"
        given_by_user = [index for index, part in enumerate(command) if index > 1 and part not in OUR_GIT_FLAGS]
        if given_by_user:
            assert "--end-of-options" in command[: min(given_by_user)], command
            assert not any(command[index].startswith("-") for index in given_by_user), command
    assert sorted(path.name for path in repository.iterdir()) == before


def test_a_percent_encoded_local_ref_names_the_same_place_for_every_reader() -> None:
    """The reader, the spec's `resolve`, its validators and `diff` read `#/a%73` as `#/as` (RFC 6901, section 6)."""
    from pcaps_contract.diff import diff_documents

    text = default_spec_path().read_text(encoding="utf-8")
    encoded = text.replace('"#/components/responses/Failure"', '"#/components/respon%73es/Failure"')
    encoded = encoded.replace('"#/components/schemas/Ownership', '"#/component%73/schemas/Ownership')
    assert encoded.count("%73") > 4
    old, new = load_document(text, SOURCE), load_document(encoded, SOURCE)
    spec = Spec(Path(SOURCE), new)
    pointer = spec.response_schema_pointer("list_buckets", "4XX")
    assert pointer == "/components/responses/Failure/content/application~1json/schema"
    assert spec.errors(spec.response_schema_pointer("add_bucket", "200"), {"success": True}) != []
    assert diff_documents(old, new) == []
