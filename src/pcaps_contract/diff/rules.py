"""The rules: what changed between two normalized specs, whether it breaks, and whom.

Direction decides most verdicts. On the request side a change breaks *callers* when a request that was
valid may now be refused (a field required, a constraint tightened, an enum value removed). On the
response side a change breaks *response consumers* when a response may now hold something they were
not told to expect (a field missing, a type widened, an enum value added: strict clients, the generated
one included, reject unknown values). Names matter too: the generated client names its functions, modules,
model classes and keyword arguments after operationIds, tags, component schemas and path parameters, so a
rename that changes one of those Python names breaks callers' code even though no request or response does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pcaps_contract.diff.client_names import argument_name, class_name, function_name, module_name
from pcaps_contract.diff.normalize import (
    LOWER_BOUNDS,
    UPPER_BOUNDS,
    Alternative,
    Api,
    Body,
    Media,
    Operation,
    Parameter,
    Response,
    Schema,
    canonical,
    documentation,
    normalize,
)
from pcaps_contract.openapi import json_pointer

Where = Callable[[str, str], str]  # (documentation key, "old" or "new") -> JSON pointer

CALLERS = "callers"
CONSUMERS = "response consumers"

# Every rule: its id, its class, and what fires it. The rule table of docs/diff.md mirrors this one.
RULES: dict[str, tuple[bool, str]] = {
    "path-removed": (True, "a path and all its operations removed"),
    "operation-removed": (True, "one operation (method + path) removed"),
    "operation-id-changed": (True, "operationId changed: the generated client's function is renamed"),
    "operation-tag-changed": (True, "first tag changed: the generated client's function moves to another module"),
    "path-parameter-renamed": (True, "a path parameter renamed: the generated function's keyword argument is renamed"),
    "model-renamed": (True, "a component schema's key or title changed: the generated model class is renamed"),
    "model-removed": (True, "a component schema the generated client made a model class of removed"),
    "request-parameter-removed": (True, "a parameter removed: callers that send it are ignored or refused"),
    "request-parameter-added-required": (True, "a required parameter added"),
    "request-parameter-became-required": (True, "an optional parameter made required"),
    "request-body-added-required": (True, "a required request body added"),
    "request-body-removed": (True, "the request body removed"),
    "request-body-became-required": (True, "an optional request body made required"),
    "request-media-type-removed": (True, "a request media type removed"),
    "request-field-removed": (True, "a request field removed: callers that send it are ignored or refused"),
    "request-field-added-required": (True, "a required request field added"),
    "request-field-became-required": (True, "an optional request field made required"),
    "request-type-changed": (True, "a request value's type changed or narrowed"),
    "request-became-not-nullable": (True, "a request value no longer accepts null"),
    "request-enum-value-removed": (True, "an enum value removed from a request value"),
    "request-enum-added": (True, "a request value restricted to an enum"),
    "request-constraint-tightened": (True, "maxLength down, minLength up, pattern added or changed, ... on a request"),
    "request-variant-removed": (True, "an anyOf/oneOf branch removed from a request value"),
    "response-success-status-removed": (True, "a success status removed and not covered by a `2XX` range"),
    "response-error-status-removed": (True, "an error status removed and not covered by a range or `default`"),
    "response-status-added": (True, "a status added that no range or `default` covered before"),
    "response-media-type-removed": (True, "a response media type removed"),
    "response-header-removed": (True, "a response header removed"),
    "response-field-removed": (True, "a response field removed"),
    "response-field-became-optional": (True, "a required response field made optional"),
    "response-type-changed": (True, "a response value's type changed or widened"),
    "response-became-nullable": (True, "a response value may now be null"),
    "response-enum-value-added": (True, "an enum value added to a response value: strict clients reject it"),
    "response-enum-removed": (True, "a response value's enum restriction removed"),
    "response-constraint-loosened": (
        True,
        "maxLength up, minLength down, pattern removed or changed, ... on a response",
    ),
    "response-variant-added": (True, "an anyOf/oneOf branch added to a response value"),
    "security-requirement-removed": (True, "a way to authenticate no longer accepted (or credentials now required)"),
    "security-scheme-changed": (True, "a security scheme's type, scheme, header or location changed"),
    "server-removed": (True, "a server URL removed"),
    "path-added": (False, "a path added"),
    "operation-added": (False, "an operation added"),
    "client-name-respelled": (
        False,
        "an operationId, tag, schema or path parameter renamed to what the generated client spells the same",
    ),
    "request-parameter-added-optional": (False, "an optional parameter added"),
    "request-parameter-became-optional": (False, "a required parameter made optional"),
    "request-body-added-optional": (False, "an optional request body added"),
    "request-body-became-optional": (False, "a required request body made optional"),
    "request-media-type-added": (False, "a request media type added"),
    "request-field-added-optional": (False, "an optional request field added"),
    "request-field-became-optional": (False, "a required request field made optional"),
    "request-type-widened": (False, "a request value accepts more types"),
    "request-became-nullable": (False, "a request value now accepts null"),
    "request-enum-value-added": (False, "an enum value added to a request value"),
    "request-enum-removed": (False, "a request value's enum restriction removed"),
    "request-constraint-loosened": (False, "maxLength up, minLength down, pattern removed, ... on a request"),
    "request-variant-added": (False, "an anyOf/oneOf branch added to a request value"),
    "response-status-documented": (
        False,
        "a status added or removed that a range or `default` covers (bodies compared)",
    ),
    "response-media-type-added": (False, "a response media type added"),
    "response-header-added": (False, "a response header added"),
    "response-field-added": (False, "a response field added"),
    "response-field-became-required": (False, "an optional response field made required"),
    "response-type-narrowed": (False, "a response value has fewer possible types"),
    "response-became-not-nullable": (False, "a response value is never null now"),
    "response-enum-value-removed": (False, "an enum value removed from a response value"),
    "response-enum-added": (False, "a response value restricted to an enum"),
    "response-constraint-tightened": (False, "maxLength down, minLength up, pattern added, ... on a response"),
    "response-variant-removed": (False, "an anyOf/oneOf branch removed from a response value"),
    "security-requirement-added": (False, "a new way to authenticate accepted"),
    "server-added": (False, "a server URL added"),
    "description-changed": (False, "a description, summary or title changed"),
    "example-changed": (False, "an example changed, added or removed"),
    "default-changed": (False, "a default value changed"),
    "deprecation-changed": (False, "something deprecated or undeprecated"),
    "info-changed": (False, "the spec's title, summary, description or version changed"),
}

# Rules whose non-breaking change adds something a user can use (a minor version bump, not a patch).
ADDITIONS = frozenset(
    {
        "path-added",
        "operation-added",
        "request-parameter-added-optional",
        "request-body-added-optional",
        "request-media-type-added",
        "request-field-added-optional",
        "request-enum-value-added",
        "request-variant-added",
        "response-media-type-added",
        "response-header-added",
        "response-field-added",
        "security-requirement-added",
        "server-added",
    }
)


@dataclass(frozen=True)
class Change:
    """One difference between two specs: where, what, whether it breaks, and whom."""

    rule: str
    audience: str
    location: str  # JSON pointer into the new spec, or into the old one when `spec` is "old"
    description: str
    spec: str = "new"
    operations: tuple[str, ...] = ()

    @property
    def breaking(self) -> bool:
        return RULES[self.rule][0]

    @property
    def classification(self) -> str:
        return "breaking" if self.breaking else "non-breaking"

    def as_json(self) -> dict[str, Any]:
        return {
            "class": self.classification,
            "audience": self.audience,
            "rule": self.rule,
            "description": self.description,
            "location": self.location,
            "spec": self.spec,
            "operations": list(self.operations),
        }


@dataclass(frozen=True)
class _Side:
    name: str  # "request" or "response"
    audience: str

    def breaks(self, new_accepts_old: bool, old_accepts_new: bool) -> bool:
        """Requests break when an old value may be refused; responses when a new value may surprise."""
        return not new_accepts_old if self.name == "request" else not old_accepts_new


REQUEST = _Side("request", CALLERS)
RESPONSE = _Side("response", CONSUMERS)


def compare(old: Api, new: Api) -> list[Change]:
    """Every change from the old spec to the new one, one entry per edit, breaking ones first."""
    collector = _Collector()
    collector.api(old, new)
    return collector.grouped()


@dataclass
class _Collector:
    found: list[tuple[Change, str | None]] = field(default_factory=list)
    operation: str | None = None
    renamed_models: set[str] = field(default_factory=set)  # old class names a model-renamed change explains

    def emit(self, rule: str, audience: str, location: str, description: str, spec: str = "new") -> None:
        if rule not in RULES:  # a rule the catalogue lacks is a bug of the comparison, never a change
            raise KeyError(f"{rule!r} is not in RULES")
        self.found.append((Change(rule, audience, location, description, spec), self.operation))

    def grouped(self) -> list[Change]:
        """Merge the same edit seen through several operations into one change listing them."""
        operations: dict[Change, list[str]] = {}
        for change, operation in self.found:
            names = operations.setdefault(change, [])
            if operation is not None and operation not in names:
                names.append(operation)
        changes = [
            Change(change.rule, change.audience, change.location, change.description, change.spec, tuple(sorted(names)))
            for change, names in operations.items()
        ]
        return sorted(changes, key=lambda c: (not c.breaking, c.location, c.description, c.rule, c.audience, c.spec))

    # -- the document -------------------------------------------------------------------------------------

    def api(self, old: Api, new: Api) -> None:
        self.docs(old.docs, new.docs, lambda key, spec: f"/info/{key}", "the spec", CALLERS, rule="info-changed")
        for url in old.servers:
            if url not in new.servers:
                self.emit("server-removed", CALLERS, "/servers", f"server `{url}` removed", "old")
        for url in new.servers:
            if url not in old.servers:
                self.emit("server-added", CALLERS, "/servers", f"server `{url}` added")
        self.security_schemes(old.security_schemes, new.security_schemes)
        self.paths(old, new)
        for key in sorted(old.operations.keys() & new.operations.keys()):
            self.operation = new.operations[key].name
            self.operation_pair(old.operations[key], new.operations[key])
            self.operation = None
        self.models(old, new)

    def models(self, old: Api, new: Api) -> None:
        """Model classes that disappear from the generated client without a rename that explains them."""
        old_names = {model.name for model in old.models.values()}
        new_names = {model.name for model in new.models.values()}
        if old_names == new_names:
            return
        kept = {class_name(name) for name in new_names} | self.renamed_models
        for at, model in sorted(old.models.items()):
            if class_name(model.name) not in kept:
                what = f"model class `{class_name(model.name)}` removed: imports of it break"
                self.emit("model-removed", CALLERS, at, what, "old")

    def renamed(
        self, rule: str, where: str, names: tuple[str, str], python: tuple[str, str], role: str, of: str = ""
    ) -> bool:
        """Report a renamed spec name by the Python name the client makes of it; whether that name changed.

        `names` are the spec's old and new names, `python` the generated client's, `role` what callers hold
        (`model class`, ...) and, after a colon, what breaks; `of` says whose it is (` of GET /x`).
        """
        what, _, consequence = role.partition(": ")
        if python[0] == python[1]:
            text = f"`{names[0]}`{of} renamed `{names[1]}`; the generated {what} is still `{python[1]}`"
            self.emit("client-name-respelled", CALLERS, where, text)
            return False
        self.emit(rule, CALLERS, where, f"{what} `{python[0]}`{of} becomes `{python[1]}`: {consequence}")
        return True

    def paths(self, old: Api, new: Api) -> None:
        old_paths = {path for _, path in old.operations}
        new_paths = {path for _, path in new.operations}
        for key in sorted(old.operations.keys() - new.operations.keys()):
            operation = old.operations[key]
            if key[1] in new_paths:
                self.emit("operation-removed", CALLERS, operation.at, f"operation {operation.label} removed", "old")
        for key in sorted(new.operations.keys() - old.operations.keys()):
            operation = new.operations[key]
            if key[1] in old_paths:
                self.emit("operation-added", CALLERS, operation.at, f"operation {operation.label} added")
        for path in sorted(old_paths - new_paths):
            operation = next(op for (_, p), op in old.operations.items() if p == path)
            self.emit("path-removed", CALLERS, operation.at.rsplit("/", 1)[0], f"path {operation.path} removed", "old")
        for path in sorted(new_paths - old_paths):
            operation = next(op for (_, p), op in new.operations.items() if p == path)
            self.emit("path-added", CALLERS, operation.at.rsplit("/", 1)[0], f"path {operation.path} added")

    def security_schemes(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for name in sorted(old.keys() & new.keys()):
            before, after = old[name] or {}, new[name] or {}
            where = json_pointer("components", "securitySchemes", name)
            for key in ("type", "scheme", "in", "name"):
                if str(before.get(key, "")).lower() != str(after.get(key, "")).lower():
                    self.emit(
                        "security-scheme-changed",
                        CALLERS,
                        f"{where}/{key}",
                        f"security scheme `{name}`: {key} `{before.get(key)}` became `{after.get(key)}`",
                    )
            self.docs(
                documentation(before), documentation(after), _keyed(where, where), f"security scheme `{name}`", CALLERS
            )

    # -- one operation ------------------------------------------------------------------------------------

    def operation_pair(self, old: Operation, new: Operation) -> None:
        label = new.label
        # Without an operationId the generator names the function after the method and the path as written.
        if old.operation_id != new.operation_id or (new.operation_id is None and old.path != new.path):
            self.renamed(
                "operation-id-changed",
                f"{new.at}/operationId",
                (old.operation_id or old.label, new.operation_id or new.label),
                (
                    function_name(old.operation_id, old.method, old.path),
                    function_name(new.operation_id, new.method, new.path),
                ),
                "function: imports and calls of it break",
                f" of {label}",
            )
        tags = (old.tags[0] if old.tags else None, new.tags[0] if new.tags else None)
        if tags[0] != tags[1]:
            self.renamed(
                "operation-tag-changed",
                f"{new.at}/tags",
                (str(tags[0]), str(tags[1])),
                (f"api.{module_name(tags[0])}", f"api.{module_name(tags[1])}"),
                "module: imports of its functions break",
                f" of {label}",
            )
        for before, after in zip(old.path_parameters, new.path_parameters, strict=False):
            if before != after:
                self.renamed(
                    "path-parameter-renamed",
                    new.at.rsplit("/", 1)[0],
                    (before, after),
                    (argument_name(before), argument_name(after)),
                    "keyword argument: calls that pass it by name break",
                )
        self.docs(old.docs, new.docs, lambda key, spec: f"{(new if spec == 'new' else old).at}/{key}", label, CALLERS)
        self.security(old, new)
        self.parameters(old.parameters, new.parameters)
        self.body(old.body, new.body, new.at)
        self.responses(old.responses, new.responses, old, new)

    def security(self, old: Operation, new: Operation) -> None:
        def accepts(requirement: Alternative, credentials: Alternative) -> bool:
            held = dict(credentials)
            return all(name in held and scopes <= held[name] for name, scopes in requirement)

        for alternative in sorted(old.security, key=_describe_alternative):
            if not any(accepts(requirement, alternative) for requirement in new.security):
                what = _describe_alternative(alternative)
                self.emit("security-requirement-removed", CALLERS, old.security_at, f"{what} no longer accepted", "old")
        for alternative in sorted(new.security - old.security, key=_describe_alternative):
            if not any(accepts(requirement, alternative) for requirement in old.security):
                what = _describe_alternative(alternative)
                self.emit("security-requirement-added", CALLERS, new.security_at, f"{what} accepted")

    def parameters(self, old: Mapping[tuple[str, str], Parameter], new: Mapping[tuple[str, str], Parameter]) -> None:
        for key in sorted(old.keys() - new.keys()):
            parameter = old[key]
            what = f"{parameter.location} parameter `{parameter.name}`"
            self.emit("request-parameter-removed", CALLERS, parameter.at, f"{what} removed", "old")
        for key in sorted(new.keys() - old.keys()):
            parameter = new[key]
            what = f"{parameter.location} parameter `{parameter.name}`"
            if parameter.required:
                self.emit("request-parameter-added-required", CALLERS, parameter.at, f"required {what} added")
            else:
                self.emit("request-parameter-added-optional", CALLERS, parameter.at, f"optional {what} added")
        for key in sorted(old.keys() & new.keys()):
            before, after = old[key], new[key]
            what = f"{after.location} parameter `{after.name}`"
            if before.required != after.required:
                rule = "request-parameter-became-required" if after.required else "request-parameter-became-optional"
                state = "required" if after.required else "optional"
                self.emit(rule, CALLERS, f"{after.at}/required", f"{what} is now {state}")
            self.docs(before.docs, after.docs, _keyed(before.at, after.at), what, CALLERS)
            self.optional_schema(before.schema, after.schema, REQUEST, what)

    def body(self, old: Body | None, new: Body | None, operation_at: str) -> None:
        if old is None and new is None:
            return
        if new is None:
            assert old is not None
            self.emit("request-body-removed", CALLERS, old.at, "request body removed", "old")
            return
        if old is None:
            rule = "request-body-added-required" if new.required else "request-body-added-optional"
            self.emit(rule, CALLERS, new.at, f"{'required' if new.required else 'optional'} request body added")
            return
        if old.required != new.required:
            rule = "request-body-became-required" if new.required else "request-body-became-optional"
            self.emit(
                rule, CALLERS, f"{new.at}/required", f"request body is now {'required' if new.required else 'optional'}"
            )
        self.docs(old.docs, new.docs, _keyed(old.at, new.at), "request body", CALLERS)
        self.content(old.content, new.content, REQUEST, "request")

    def responses(
        self, old: Mapping[str, Response], new: Mapping[str, Response], old_op: Operation, new_op: Operation
    ) -> None:
        for status in sorted(old.keys() | new.keys()):
            before, after = old.get(status), new.get(status)
            if before is not None and after is not None:
                self.response(before, after, status)
                continue
            cover = _covering(status, new if after is None else old)
            if before is not None and after is None:
                if cover is not None:
                    where, what = before.at, f"response `{status}` removed; `{cover}` covers it"
                    self.emit("response-status-documented", CONSUMERS, where, what, "old")
                    self.response(before, new[cover], status)
                else:
                    rule = "response-success-status-removed" if _is_success(status) else "response-error-status-removed"
                    self.emit(rule, CONSUMERS, before.at, f"response `{status}` removed", "old")
            elif after is not None:
                if cover is not None:
                    what = f"response `{status}` documented apart from `{cover}`"
                    self.emit("response-status-documented", CONSUMERS, after.at, what)
                    self.response(old[cover], after, status)
                else:
                    self.emit("response-status-added", CONSUMERS, after.at, f"response `{status}` added")

    def response(self, old: Response, new: Response, status: str) -> None:
        what = f"response `{status}`"
        self.docs(old.docs, new.docs, _keyed(old.at, new.at), what, CONSUMERS)
        for name in sorted(old.headers.keys() - new.headers.keys()):
            self.emit(
                "response-header-removed", CONSUMERS, old.headers[name].at, f"{what} header `{name}` removed", "old"
            )
        for name in sorted(new.headers.keys() - old.headers.keys()):
            self.emit("response-header-added", CONSUMERS, new.headers[name].at, f"{what} header `{name}` added")
        for name in sorted(old.headers.keys() & new.headers.keys()):
            header = f"{what} header `{name}`"
            before, after = old.headers[name], new.headers[name]
            if before.required and not after.required:
                self.emit(
                    "response-field-became-optional", CONSUMERS, f"{after.at}/required", f"{header} is now optional"
                )
            self.optional_schema(before.schema, after.schema, RESPONSE, header)
        self.content(old.content, new.content, RESPONSE, what)

    def content(self, old: Mapping[str, Media], new: Mapping[str, Media], side: _Side, what: str) -> None:
        for media_type in sorted(old.keys() - new.keys()):
            self.emit(
                f"{side.name}-media-type-removed",
                side.audience,
                old[media_type].at,
                f"{what} `{media_type}` removed",
                "old",
            )
        for media_type in sorted(new.keys() - old.keys()):
            self.emit(
                f"{side.name}-media-type-added", side.audience, new[media_type].at, f"{what} `{media_type}` added"
            )
        for media_type in sorted(old.keys() & new.keys()):
            before, after = old[media_type], new[media_type]
            self.docs(before.docs, after.docs, _keyed(before.at, after.at), f"{what} `{media_type}`", side.audience)
            self.optional_schema(before.schema, after.schema, side, f"{side.name} body")

    # -- schemas ------------------------------------------------------------------------------------------

    def optional_schema(self, old: Schema | None, new: Schema | None, side: _Side, what: str) -> None:
        """Compare two schemas that may be missing; a missing schema allows anything."""
        present = new if new is not None else old
        if present is not None:
            self.schema(old or Schema(present.at), new or Schema(present.at), side, what)

    def schema(self, old: Schema, new: Schema, side: _Side, what: str) -> None:
        if old.model is not None and new.model is not None and old.model.name != new.model.name:
            names = (old.model.name, new.model.name)
            python = (class_name(names[0]), class_name(names[1]))
            if self.renamed("model-renamed", new.model.at, names, python, "model class: imports of it break"):
                self.renamed_models.add(python[0])
        if old.cycle or new.cycle:
            return  # a recursive schema is compared down to where it recurses
        self.docs(old.docs, new.docs, lambda key, spec: (new if spec == "new" else old).where(key), what, side.audience)
        self.types(old, new, side, what)
        self.values(old, new, side, what)
        self.constraints(old, new, side, what)
        self.properties(old, new, side)
        if old.items is not None or new.items is not None:
            items = what.rstrip("`") + "[]`" if what.endswith("`") else f"items of {what}"
            self.schema(old.items or Schema(old.at), new.items or Schema(new.at), side, items)
        self.variants(old, new, side, what)

    def types(self, old: Schema, new: Schema, side: _Side, what: str) -> None:
        if old.types == new.types:
            return
        new_accepts_old, old_accepts_new = _covers(new.types, old.types), _covers(old.types, new.types)
        breaking = side.breaks(new_accepts_old, old_accepts_new)
        where, spec = (new.where("type"), "new") if new.types is not None else (old.where("type"), "old")
        if old.types is not None and new.types is not None and old.types ^ new.types == {"null"}:
            nullable = "null" in new.types
            rule = f"{side.name}-became-{'nullable' if nullable else 'not-nullable'}"
            self.emit(
                rule, side.audience, where, f"{what} {'may now be null' if nullable else 'may no longer be null'}", spec
            )
            return
        if breaking:
            rule = f"{side.name}-type-changed"
        else:
            rule = "request-type-widened" if side is REQUEST else "response-type-narrowed"
        description = f"{what} type `{_describe_types(old.types)}` became `{_describe_types(new.types)}`"
        self.emit(rule, side.audience, where, description, spec)

    def values(self, old: Schema, new: Schema, side: _Side, what: str) -> None:
        if old.values == new.values:
            return
        if old.values is None or new.values is None:
            restricted = new.values is not None
            assert (new.values if restricted else old.values) is not None
            rule = f"{side.name}-enum-{'added' if restricted else 'removed'}"
            where, spec = (new.where("values"), "new") if restricted else (old.where("values"), "old")
            shown = _describe_values(new.values if restricted else old.values)
            text = f"{what} now restricted to {shown}" if restricted else f"{what} no longer restricted to {shown}"
            self.emit(rule, side.audience, where, text, spec)
            return
        added = {key: value for key, value in new.values.items() if key not in old.values}
        removed = {key: value for key, value in old.values.items() if key not in new.values}
        if added:
            text = f"enum value{'s' if len(added) > 1 else ''} {_describe_values(added)} added to {what}"
            self.emit(f"{side.name}-enum-value-added", side.audience, new.where("values"), text)
        if removed:
            text = f"enum value{'s' if len(removed) > 1 else ''} {_describe_values(removed)} removed from {what}"
            self.emit(f"{side.name}-enum-value-removed", side.audience, new.where("values"), text)

    def constraints(self, old: Schema, new: Schema, side: _Side, what: str) -> None:
        for keyword in sorted(old.constraints.keys() | new.constraints.keys()):
            before, after = old.constraints.get(keyword), new.constraints.get(keyword)
            if before == after:
                continue
            tightened, loosened = _tightened(keyword, before, after)
            if side is REQUEST:
                rule = "request-constraint-tightened" if tightened else "request-constraint-loosened"
            else:
                rule = "response-constraint-loosened" if loosened else "response-constraint-tightened"
            where, spec = (new.where(keyword), "new") if after is not None else (old.where(keyword), "old")
            if before is None:
                text = f"{what}: {keyword} {_describe_constraint(after)} added"
            elif after is None:
                text = f"{what}: {keyword} {_describe_constraint(before)} removed"
            else:
                text = f"{what}: {keyword} {_describe_constraint(before)} became {_describe_constraint(after)}"
            self.emit(rule, side.audience, where, text, spec)

    def properties(self, old: Schema, new: Schema, side: _Side) -> None:
        for name in sorted(old.properties.keys() - new.properties.keys()):
            field_ = f"{side.name} field `{name}`"
            self.emit(f"{side.name}-field-removed", side.audience, old.property_at[name], f"{field_} removed", "old")
        for name in sorted(new.properties.keys() - old.properties.keys()):
            field_ = f"{side.name} field `{name}`"
            if side is RESPONSE:
                self.emit("response-field-added", CONSUMERS, new.property_at[name], f"{field_} added")
            elif name in new.required:
                self.emit("request-field-added-required", CALLERS, new.property_at[name], f"required {field_} added")
            else:
                self.emit("request-field-added-optional", CALLERS, new.property_at[name], f"optional {field_} added")
        for name in sorted(old.properties.keys() & new.properties.keys()):
            field_ = f"{side.name} field `{name}`"
            was, now = name in old.required, name in new.required
            if was != now:
                rule = f"{side.name}-field-became-{'required' if now else 'optional'}"
                self.emit(
                    rule, side.audience, f"{new.at}/required", f"{field_} is now {'required' if now else 'optional'}"
                )
            self.schema(old.properties[name], new.properties[name], side, f"`{name}`")

    def variants(self, old: Schema, new: Schema, side: _Side, what: str) -> None:
        if not old.variants and not new.variants:
            return
        unmatched_old = list(old.variants)
        unmatched_new = []
        for variant in new.variants:
            twin = next((v for v in unmatched_old if _shape(v) == _shape(variant)), None)
            if twin is None:
                unmatched_new.append(variant)
            else:
                unmatched_old.remove(twin)
                self.schema(twin, variant, side, what)
        if len(unmatched_old) == len(unmatched_new):
            for before, after in zip(unmatched_old, unmatched_new, strict=True):
                self.schema(before, after, side, what)
            return
        for variant in unmatched_old:
            self.emit(f"{side.name}-variant-removed", side.audience, variant.at, f"a form of {what} removed", "old")
        for variant in unmatched_new:
            self.emit(f"{side.name}-variant-added", side.audience, variant.at, f"a form of {what} added")

    # -- documentation ------------------------------------------------------------------------------------

    def docs(
        self,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        where: Where,
        what: str,
        audience: str,
        rule: str | None = None,
    ) -> None:
        for key in sorted(old.keys() | new.keys()):
            before, after = old.get(key), new.get(key)
            if canonical(before) == canonical(after):
                continue
            spec = "new" if key in new else "old"
            chosen = rule or _DOC_RULES[key]
            if chosen == "deprecation-changed":
                text = f"{what} {'deprecated' if after else 'no longer deprecated'}"
            elif key in ("example", "examples"):
                text = f"{what} examples changed"
            else:
                text = f"{what} {key} changed"
            self.emit(chosen, audience, where(key, spec), text, spec)


_DOC_RULES = {
    "title": "description-changed",
    "summary": "description-changed",
    "description": "description-changed",
    "example": "example-changed",
    "examples": "example-changed",
    "default": "default-changed",
    "deprecated": "deprecation-changed",
    "version": "info-changed",
}


def _keyed(old_at: str, new_at: str) -> Where:
    """Where a documentation key lives: under the new node, or the old one when it was removed."""
    return lambda key, spec: f"{new_at if spec == 'new' else old_at}/{key}"


def _is_success(status: str) -> bool:
    return status[:1] in ("1", "2", "3")


def _covering(status: str, responses: Mapping[str, Response]) -> str | None:
    """The range key or `default` that documents a status which has no entry of its own."""
    if status == "default":
        return None
    if status[1:] != "XX" and f"{status[0]}XX" in responses:
        return f"{status[0]}XX"
    if not _is_success(status) and "default" in responses:
        return "default"
    return None


def _covers(wide: frozenset[str] | None, narrow: frozenset[str] | None) -> bool:
    """Whether every value of the narrow types is also of the wide ones."""
    if wide is None:
        return True
    if narrow is None:
        return False
    return all(kind in wide or (kind == "integer" and "number" in wide) for kind in narrow)


def _tightened(keyword: str, before: Any, after: Any) -> tuple[bool, bool]:
    """(may refuse an old value, may allow a new value) for a change of one constraint keyword."""
    if before is None:
        return True, False
    if after is None:
        return False, True
    if keyword in UPPER_BOUNDS:
        return after < before, after > before
    if keyword in LOWER_BOUNDS:
        return after > before, after < before
    if keyword == "pattern" and after < before:
        return False, True
    if keyword == "pattern" and after > before:
        return True, False
    return True, True  # a different pattern or format: neither contains the other, as far as anyone can tell


def _shape(schema: Schema) -> str:
    """The structure of a schema without its documentation or where it came from."""

    def walk(node: Schema, depth: int) -> Any:
        if depth > 20 or node.cycle:
            return node.cycle
        return {
            "types": sorted(node.types) if node.types is not None else None,
            "values": sorted(node.values) if node.values is not None else None,
            "constraints": {k: sorted(v) if isinstance(v, frozenset) else v for k, v in node.constraints.items()},
            "properties": {name: walk(sub, depth + 1) for name, sub in node.properties.items()},
            "required": sorted(node.required),
            "items": walk(node.items, depth + 1) if node.items is not None else None,
            "variants": sorted(canonical(walk(v, depth + 1)) for v in node.variants),
        }

    return canonical(walk(schema, 0))


def _describe_alternative(alternative: Alternative) -> str:
    if not alternative:
        return "calling without credentials"
    return "authentication with " + " + ".join(f"`{name}`" for name, _ in sorted(alternative))


def _describe_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else " | ".join(sorted(types)) or "nothing"


def _describe_values(values: Mapping[str, Any] | None) -> str:
    shown = (value if isinstance(value, str) else canonical(value) for value in (values or {}).values())
    return ", ".join(f"`{value}`" for value in sorted(shown))


def _describe_constraint(value: Any) -> str:
    if isinstance(value, frozenset):
        return " and ".join(f"`{v}`" for v in sorted(value))
    return f"`{canonical(value)}`"


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from the old OpenAPI document to the new one, breaking ones first."""
    return compare(normalize(old), normalize(new))
