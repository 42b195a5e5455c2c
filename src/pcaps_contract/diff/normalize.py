"""Turn an OpenAPI document into a model two versions can be compared on, whatever the spelling.

`$ref`s are followed (a cycle becomes a marker), `allOf` is merged into one schema, the nullable forms of
3.0 (`nullable: true`) and 3.1 (`type: [X, "null"]`, `anyOf: [X, {type: "null"}]`) become one set of types,
`enum: [v]` and `const: v` become one set of allowed values, and operations are keyed by method and path
with the path parameters' names left out. Every node keeps the JSON pointer it came from, and a schema the
generated client turns into a class keeps the component it names (a rename changes no shape, but the class).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pcaps_contract._errors import SpecError
from pcaps_contract.diff.client_names import makes_class
from pcaps_contract.openapi import HTTP_METHODS, json_pointer, local_pointer, resolve_pointer

UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
# Neither bigger nor smaller: any change may reject old values (`closed` is `additionalProperties: false`).
OTHER_CONSTRAINTS = ("pattern", "format", "multipleOf", "uniqueItems", "closed")
DOC_KEYS = ("title", "description", "summary", "example", "examples", "default", "deprecated")
_SPELLING = {"closed": "additionalProperties"}
_PATH_PARAMETER = re.compile(r"\{[^}/]*\}")
_COMPONENT_SCHEMA = re.compile(r"/components/schemas/[^/]+")


@dataclass(frozen=True)
class Model:
    """A component schema the generated client turns into a class: the name it is made from, and where."""

    name: str  # the schema's `title`, or its key: what the generator makes the class name of
    at: str


@dataclass
class Schema:
    """A schema with every spelling choice removed; `None` fields mean "no restriction"."""

    at: str
    types: frozenset[str] | None = None
    values: dict[str, Any] | None = None  # allowed values, keyed by their canonical JSON
    constraints: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Schema] = field(default_factory=dict)
    property_at: dict[str, str] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    items: Schema | None = None
    variants: tuple[Schema, ...] = ()  # anyOf/oneOf branches that do not reduce to one schema
    docs: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # keyword -> pointer of the node that set it
    cycle: str | None = None  # the `$ref` met again while resolving it
    model: Model | None = None  # the component whose class the generated client uses for this value

    def where(self, keyword: str) -> str:
        """The JSON pointer of a keyword of this schema, in the node that set it."""
        if keyword == "values":
            return self.origin.get("values", f"{self.at}/enum")
        return f"{self.origin.get(keyword, self.at)}/{_SPELLING.get(keyword, keyword)}"


@dataclass
class Parameter:
    """A parameter or a response header: whether it must be present, its schema, its documentation."""

    name: str
    location: str
    required: bool
    schema: Schema | None
    docs: dict[str, Any]
    at: str


@dataclass
class Media:
    """One media type of a body: its schema and its examples."""

    schema: Schema | None
    docs: dict[str, Any]
    at: str


@dataclass
class Body:
    """A request body."""

    required: bool
    content: dict[str, Media]
    docs: dict[str, Any]
    at: str


@dataclass
class Response:
    """One documented response of an operation."""

    content: dict[str, Media]
    headers: dict[str, Parameter]
    docs: dict[str, Any]
    at: str


Alternative = frozenset[tuple[str, frozenset[str]]]  # security schemes required together, with their scopes


@dataclass
class Operation:
    """One operation, keyed by method and path without path parameter names."""

    method: str
    path: str
    operation_id: str | None
    tags: tuple[str, ...]
    path_parameters: tuple[str, ...]  # names, in the order they appear in the path
    parameters: dict[tuple[str, str], Parameter]
    body: Body | None
    responses: dict[str, Response]
    security: frozenset[Alternative]
    security_at: str  # the operation's own `security`, or the document's
    docs: dict[str, Any]
    at: str

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def name(self) -> str:
        """The operationId, or the method and path when there is none."""
        return self.operation_id or self.label


@dataclass
class Api:
    """The comparable model of a whole document."""

    operations: dict[tuple[str, str], Operation]
    security_schemes: dict[str, dict[str, Any]]
    servers: tuple[str, ...]
    docs: dict[str, Any]
    models: dict[str, Model] = field(default_factory=dict)  # by pointer: every component that makes a class


def path_key(path: str) -> str:
    """The path with its parameter names left out: `/a/{id}` and `/a/{name}` are the same path."""
    return _PATH_PARAMETER.sub("{}", path)


def canonical(value: Any) -> str:
    """One string per JSON value, whatever the key order."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def normalize(document: Mapping[str, Any]) -> Api:
    """The comparable model of an OpenAPI 3.0 or 3.1 document."""
    return _Normalizer(document).api()


class _Normalizer:
    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.models = self.component_models()

    def api(self) -> Api:
        document = self.document
        global_security = document.get("security")
        operations: dict[tuple[str, str], Operation] = {}
        for path, item in (document.get("paths") or {}).items():
            item, item_at = self.follow(item, json_pointer("paths", path))
            if not isinstance(item, Mapping):
                continue
            for method in HTTP_METHODS:
                if isinstance(item.get(method), Mapping):
                    operation = self.operation(path, method, item, f"{item_at}/{method}", global_security)
                    operations[(method, path_key(path))] = operation
        info = document.get("info") or {}
        servers = tuple(str(server.get("url")) for server in document.get("servers") or [] if isinstance(server, dict))
        return Api(
            operations=operations,
            security_schemes=dict(((document.get("components") or {}).get("securitySchemes") or {}).items()),
            servers=servers,
            docs={key: info[key] for key in ("title", "summary", "description", "version") if key in info},
            models=self.models,
        )

    def component_models(self) -> dict[str, Model]:
        """The component schemas the generator makes a class of (a schema that is only a `$ref` included)."""
        models = {}
        for key, raw in ((self.document.get("components") or {}).get("schemas") or {}).items():
            at = json_pointer("components", "schemas", str(key))
            try:
                node, _ = self.follow(raw, at)
            except SpecError:
                continue  # a broken alias is reported where it is used
            if isinstance(node, Mapping) and makes_class(node):
                models[at] = Model(str(node.get("title") or key), at)
        return models

    def model_of(self, node: Mapping[str, Any]) -> Model | None:
        """The component class a schema node reuses: its `$ref`, or the one `$ref` of its `allOf`/`anyOf`/`oneOf`."""
        members = [*(node.get("allOf") or []), *(node.get("anyOf") or []), *(node.get("oneOf") or [])]
        ref = node.get("$ref")
        if not isinstance(ref, str) and len(members) == 1 and isinstance(members[0], Mapping):
            ref = members[0].get("$ref")
        pointer = local_pointer(ref) if isinstance(ref, str) else None
        if pointer is not None and _COMPONENT_SCHEMA.fullmatch(pointer):
            return self.models.get(pointer)
        return None

    def follow(self, node: Any, at: str) -> tuple[Any, str]:
        """Follow `$ref`s (not of schemas) to the node they name, with its pointer."""
        seen: set[str] = set()
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = self.local_ref(node["$ref"])
            if ref in seen:
                raise SpecError(f"`$ref` cycle through #{ref}; break the cycle.")
            seen.add(ref)
            node, at = self.target(ref), ref
        return node, at

    def local_ref(self, ref: str) -> str:
        pointer = local_pointer(ref)
        if pointer is None:
            raise SpecError(f"`$ref` {ref} points outside the document; only local references (`#/...`) are compared.")
        return pointer

    def target(self, pointer: str) -> Any:
        try:
            return resolve_pointer(self.document, pointer)
        except (KeyError, IndexError, ValueError, TypeError):
            raise SpecError(f"`$ref` #{pointer} points nowhere; fix the reference.") from None

    def operation(self, path: str, method: str, item: Mapping[str, Any], at: str, global_security: Any) -> Operation:
        definition = item[method]
        names = tuple(name[1:-1] for name in _PATH_PARAMETER.findall(path))
        parameters: dict[tuple[str, str], Parameter] = {}
        for owner, owner_at in ((item, at.rsplit("/", 1)[0]), (definition, at)):
            for index, raw in enumerate(owner.get("parameters") or []):
                parameter = self.parameter(raw, f"{owner_at}/parameters/{index}")
                if parameter is not None:
                    parameters[self.parameter_key(parameter, names)] = parameter
        body = None
        if "requestBody" in definition:
            raw_body, body_at = self.follow(definition["requestBody"], f"{at}/requestBody")
            body = Body(
                required=bool(raw_body.get("required", False)),
                content=self.content(raw_body.get("content"), f"{body_at}/content"),
                docs=documentation(raw_body),
                at=body_at,
            )
        responses = {}
        for status, raw in (definition.get("responses") or {}).items():
            response, response_at = self.follow(raw, f"{at}/responses/{json_pointer(str(status))[1:]}")
            headers = {}
            for name, raw_header in (response.get("headers") or {}).items():
                header, header_at = self.follow(raw_header, f"{response_at}/headers/{json_pointer(name)[1:]}")
                resolved = self.parameter({**header, "name": name, "in": "header"}, header_at)
                if resolved is not None:
                    headers[name.lower()] = resolved
            responses[str(status) if str(status) == "default" else str(status).upper()] = Response(
                content=self.content(response.get("content"), f"{response_at}/content"),
                headers=headers,
                docs=documentation(response),
                at=response_at,
            )
        security = definition.get("security", global_security)
        return Operation(
            method=method,
            path=path,
            operation_id=definition.get("operationId"),
            tags=tuple(definition.get("tags") or ()),
            path_parameters=names,
            parameters=parameters,
            body=body,
            responses=responses,
            security=_security(security),
            security_at=f"{at}/security" if "security" in definition else "/security",
            docs=documentation(definition),
            at=at,
        )

    @staticmethod
    def parameter_key(parameter: Parameter, path_names: tuple[str, ...]) -> tuple[str, str]:
        if parameter.location == "path" and parameter.name in path_names:
            return ("path", str(path_names.index(parameter.name)))
        if parameter.location == "header":
            return ("header", parameter.name.lower())
        return (parameter.location, parameter.name)

    def parameter(self, raw: Any, at: str) -> Parameter | None:
        node, node_at = self.follow(raw, at)
        if not isinstance(node, Mapping):
            return None
        location = str(node.get("in", "header"))
        return Parameter(
            name=str(node.get("name", "")),
            location=location,
            required=bool(node.get("required", location == "path")),
            schema=self.schema(node["schema"], f"{node_at}/schema") if "schema" in node else None,
            docs=documentation(node),
            at=node_at,
        )

    def content(self, raw: Any, at: str) -> dict[str, Media]:
        content = {}
        for media_type, media in (raw or {}).items():
            media_at = f"{at}/{json_pointer(media_type)[1:]}"
            examples = {
                name: self.follow(example, media_at)[0] for name, example in (media.get("examples") or {}).items()
            }
            docs = documentation({**media, "examples": examples} if examples else media)
            schema = self.schema(media["schema"], f"{media_at}/schema") if "schema" in media else None
            content[media_type.lower()] = Media(schema=schema, docs=docs, at=media_at)
        return content

    def schema(self, node: Any, at: str, stack: tuple[str, ...] = ()) -> Schema:
        """The normalized schema of a raw schema node, with the component class it reuses."""
        schema = self.shape(node, at, stack)
        # A union with null keeps its one branch's class (`_union`); an `allOf` merge keeps none of its own.
        model = (self.model_of(node) if isinstance(node, Mapping) else None) or schema.model
        return schema if schema.model == model else replace(schema, model=model)

    def shape(self, node: Any, at: str, stack: tuple[str, ...]) -> Schema:
        """The normalized schema of a raw schema node, what it accepts and documents."""
        if node is True or node == {}:
            return Schema(at)
        if node is False:
            return Schema(at, types=frozenset())
        if not isinstance(node, Mapping):
            return Schema(at)
        if isinstance(node.get("$ref"), str):
            ref = self.local_ref(node["$ref"])
            if ref in stack:
                return Schema(at, cycle=ref)
            target = self.schema(self.target(ref), ref, (*stack, ref))
            rest = {key: value for key, value in node.items() if key != "$ref"}
            return _merge([self.schema(rest, at, stack), target]) if rest else target
        base = self.own(node, at, stack)
        members = [self.schema(sub, f"{at}/allOf/{i}", stack) for i, sub in enumerate(node.get("allOf") or [])]
        for keyword in ("anyOf", "oneOf"):
            if node.get(keyword):
                branches = [self.schema(sub, f"{at}/{keyword}/{i}", stack) for i, sub in enumerate(node[keyword])]
                members.append(_union(branches, at))
        return _merge([base, *members]) if members else base

    def own(self, node: Mapping[str, Any], at: str, stack: tuple[str, ...]) -> Schema:
        """The schema made of a node's own keywords (not its `allOf`, `anyOf` or `oneOf`)."""
        schema = Schema(at, docs=documentation(node))
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            schema.types = frozenset(str(kind) for kind in types)
            if node.get("nullable") is True:
                schema.types |= {"null"}
        if "const" in node:
            schema.values = {canonical(node["const"]): node["const"]}
            schema.origin["values"] = f"{at}/const"
        elif isinstance(node.get("enum"), list):
            schema.values = {canonical(value): value for value in node["enum"]}
        constraints = {key: node[key] for key in (*UPPER_BOUNDS, *LOWER_BOUNDS, *OTHER_CONSTRAINTS) if key in node}
        for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
            if isinstance(constraints.get(bound), bool):  # 3.0 spelling: a flag on minimum/maximum
                flag = constraints.pop(bound)
                if flag and limit in constraints:
                    constraints[bound] = constraints.pop(limit)
        if "pattern" in constraints:
            constraints["pattern"] = frozenset([constraints["pattern"]])
        if not constraints.get("uniqueItems", True):
            del constraints["uniqueItems"]
        if node.get("additionalProperties") is False:
            constraints["closed"] = True
        schema.constraints = constraints
        for name, sub in (node.get("properties") or {}).items():
            schema.property_at[name] = f"{at}/properties/{json_pointer(name)[1:]}"
            schema.properties[name] = self.schema(sub, schema.property_at[name], stack)
        schema.required = frozenset(str(name) for name in node.get("required") or [])
        if isinstance(node.get("items"), Mapping | bool):
            schema.items = self.schema(node["items"], f"{at}/items", stack)
        return schema


def documentation(node: Mapping[str, Any]) -> dict[str, Any]:
    """The documentation keys of a node (description, examples, ...), which never change what is valid."""
    return {key: node[key] for key in DOC_KEYS if key in node}


def _security(requirements: Any) -> frozenset[Alternative]:
    """The ways to authenticate: a set of alternatives; `{}` (no credentials) when nothing is required."""
    if not requirements:
        return frozenset([frozenset()])
    return frozenset(
        frozenset((str(name), frozenset(map(str, scopes or []))) for name, scopes in requirement.items())
        for requirement in requirements
        if isinstance(requirement, Mapping)
    )


def _is_null_only(schema: Schema) -> bool:
    return schema.types == frozenset({"null"}) and not (schema.variants or schema.properties or schema.constraints)


def _union(branches: list[Schema], at: str) -> Schema:
    """An `anyOf`/`oneOf`: a null branch makes the rest nullable; one branch left is that branch itself."""
    nullable = any(_is_null_only(branch) for branch in branches)
    rest = [branch for branch in branches if not _is_null_only(branch)]
    if len(rest) == 1:
        single = rest[0]
        if nullable and single.types is not None:
            single = replace(single, types=single.types | {"null"})
        if nullable and single.values is not None:
            single = replace(single, values={**single.values, "null": None})
        return single
    if not rest:
        return Schema(at, types=frozenset({"null"}))
    variants = tuple(rest) + ((Schema(at, types=frozenset({"null"})),) if nullable else ())
    return Schema(at, variants=variants)


def _merge(schemas: Iterable[Schema]) -> Schema:
    """The conjunction of schemas (`allOf`): the first one's documentation wins, every restriction applies."""
    schemas = list(schemas)
    merged = replace(schemas[0], constraints={}, properties={}, property_at={}, docs={}, origin={})
    for schema in schemas:
        for key, value in schema.docs.items():
            if key not in merged.docs:
                merged.docs[key] = value
                merged.origin[key] = schema.origin.get(key, schema.at)
        if schema.cycle and not merged.cycle:
            merged.cycle = schema.cycle
        if schema.types is not None:
            merged.types = schema.types if merged.types is None else _intersect_types(merged.types, schema.types)
            merged.origin.setdefault("type", schema.origin.get("type", schema.at))
        if schema.values is not None:
            merged.values = (
                dict(schema.values)
                if merged.values is None
                else {key: value for key, value in merged.values.items() if key in schema.values}
            )
            merged.origin.setdefault("values", schema.where("values"))
        for key, value in schema.constraints.items():
            chosen = _tighter(key, merged.constraints.get(key), value)
            if chosen is not merged.constraints.get(key):
                merged.constraints[key] = chosen
                merged.origin[key] = schema.origin.get(key, schema.at)
        for name, sub in schema.properties.items():
            if name in merged.properties:
                merged.properties[name] = _merge([merged.properties[name], sub])
            else:
                merged.properties[name] = sub
                merged.property_at[name] = schema.property_at[name]
        merged.required |= schema.required
        if schema.items is not None and schema is not schemas[0]:
            merged.items = schema.items if merged.items is None else _merge([merged.items, schema.items])
        if schema.variants and schema is not schemas[0]:
            merged.variants = merged.variants + schema.variants
    return merged


def _intersect_types(left: frozenset[str], right: frozenset[str]) -> frozenset[str]:
    both = left & right
    if "integer" in left | right and "number" in left | right:
        both |= {"integer"}
    return both


def _tighter(key: str, current: Any, candidate: Any) -> Any:
    if current is None:
        return candidate
    if key == "pattern":
        return current | candidate
    if key in UPPER_BOUNDS:
        return candidate if candidate < current else current
    if key in LOWER_BOUNDS:
        return candidate if candidate > current else current
    return current
