"""The rules the mock enforces, read from the spec: routes and methods, path parameter limits, request bodies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from pcaps_contract._errors import SpecError
from pcaps_contract._text import clip
from pcaps_contract.mock._envelope import ApiError, ErrorCode, ErrorDetail
from pcaps_contract.openapi import Spec, json_pointer, resolve_pointer

_TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# JSON exchanged between systems is UTF-8 (RFC 8259); NaN and Infinity are not JSON at all.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}


@dataclass(frozen=True)
class ParamRule:
    """A path parameter and the length its schema allows."""

    name: str
    min_length: int
    max_length: int | None

    def check(self, value: str) -> None:
        """Raise a 400 ApiError when the value is too short or too long."""
        too_long = self.max_length is not None and len(value) > self.max_length
        if len(value) < self.min_length or too_long:
            limit = f"{self.min_length} to {self.max_length}" if self.max_length is not None else f"{self.min_length}+"
            raise ApiError.single(
                400,
                ErrorCode.INVALID_IDENTIFIER,
                f"{self.name} must be {limit} characters long, not {len(value)}; check the identifier in the URL.",
            )


@dataclass(frozen=True)
class OperationRule:
    """What the spec declares about one operation's request."""

    operation_id: str
    method: str
    body_schema: str | None
    body_required: bool
    media_types: tuple[str, ...]
    body_validator: Draft202012Validator | None = None


@dataclass(frozen=True)
class RouteRule:
    """One path of the spec: how to match it, its parameters and its operations by HTTP method."""

    template: str
    pattern: re.Pattern[str]
    params: tuple[ParamRule, ...]
    operations: Mapping[str, OperationRule]

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


class SpecRules:
    """The request rules of a spec, precomputed once so that each request only looks them up."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        routes = [self._route(path, item) for path, item in (spec.document.get("paths") or {}).items()]
        # Fewest parameters first: `/ownership/validate` is tried before `/ownership/{ownership_id}`.
        self.routes = tuple(sorted(routes, key=lambda r: r.template.count("{")))

    def _route(self, template: str, item: Mapping[str, Any]) -> RouteRule:
        regex = "".join(
            f"(?P<{part}>[^/]*)" if index % 2 else re.escape(part)
            for index, part in enumerate(_TEMPLATE_PARAM.split(template))
        )
        declared = [self.spec.resolve(parameter) for parameter in item.get("parameters") or ()]
        params = tuple(self._param(parameter) for parameter in declared if parameter.get("in") == "path")
        operations = {
            operation.method.upper(): self._operation(operation.method, operation.definition)
            for operation in self.spec.operations()
            if operation.path == template
        }
        return RouteRule(template, re.compile(regex), params, operations)

    def _param(self, parameter: Mapping[str, Any]) -> ParamRule:
        schema = self.spec.resolve(parameter.get("schema") or {})
        return ParamRule(parameter["name"], int(schema.get("minLength", 0)), schema.get("maxLength"))

    def _operation(self, method: str, definition: Mapping[str, Any]) -> OperationRule:
        operation = self.spec.operation(definition["operationId"])
        body, body_pointer = self.spec.resolve_with_pointer(
            definition.get("requestBody") or {}, f"{operation.pointer}/requestBody"
        )
        content = body.get("content") or {}
        schema_pointer, validator = None, None
        if "application/json" in content:
            schema_pointer = f"{body_pointer}/content/application~1json/schema"
            # Inlined once: following `$ref`s through the registry on every request costs four times as much.
            inlined = _inline(self.spec.document, {"$ref": "#" + schema_pointer})
            validator = Draft202012Validator(inlined, format_checker=Draft202012Validator.FORMAT_CHECKER)
        return OperationRule(
            definition["operationId"],
            method.upper(),
            schema_pointer,
            bool(body.get("required")),
            tuple(content),
            validator,
        )

    def match(self, path: str) -> tuple[RouteRule, dict[str, str]] | None:
        """The route of a path and its path parameters; as OpenAPI says, a concrete path wins over a template."""
        for route in self.routes:
            params = route.match(path)
            if params is not None:
                return route, params
        return None

    def parse_body(self, operation: OperationRule, content_type: str | None, raw: bytes) -> Any:
        """The request body as JSON, once it has the declared media type and matches the declared schema."""
        if operation.body_schema is None:
            return None
        if not raw.strip():
            if not operation.body_required:
                return None
            raise ApiError.single(
                400, ErrorCode.BODY_REQUIRED, f"{operation.operation_id} needs a JSON object as the request body."
            )
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type not in operation.media_types:
            wanted = " or ".join(operation.media_types)
            sent = f"`{media_type}`" if media_type else "no Content-Type"
            raise ApiError.single(
                415, ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"send the body as Content-Type: {wanted}, not {sent}."
            )
        try:
            body = _DECODER.decode(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            reason = "it is not UTF-8" if isinstance(exc, UnicodeDecodeError) else _short(exc)
            raise ApiError.single(
                400, ErrorCode.MALFORMED_JSON, f"the request body is not valid JSON ({reason}); send a JSON object."
            ) from None
        validator = operation.body_validator
        if validator is not None and not validator.is_valid(body):
            errors = sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
            raise ApiError(400, tuple(detail for error in errors for detail in _details(error)))
        return body


def _inline(document: Mapping[str, Any], node: Any, seen: tuple[str, ...] = ()) -> Any:
    """A copy of a schema with every local `$ref` replaced by what it points to (the request schemas are acyclic)."""
    if isinstance(node, list):
        return [_inline(document, item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        if ref in seen:
            raise SpecError(f"a request schema refers to itself through {ref}; the mock needs acyclic ones.")
        target = _inline(document, resolve_pointer(document, ref), (*seen, ref))
        siblings = {key: _inline(document, value, seen) for key, value in node.items() if key != "$ref"}
        return {"allOf": [target], **siblings} if siblings else target
    return {key: _inline(document, value, seen) for key, value in node.items()}


def _short(exc: BaseException) -> str:
    text = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
    return clip(text, 120, "...")


def _details(error: ValidationError) -> Iterator[ErrorDetail]:
    """The errors of the failure envelope that say how the body breaks the schema, each naming the field."""
    path = [str(part) for part in error.absolute_path]
    where = ".".join(path) or "the request body"
    if error.validator == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield ErrorDetail(ErrorCode.INVALID_FIELD, f"{name} is required.", json_pointer(*path, name))
        return
    if error.validator == "type":
        expected = error.validator_value if isinstance(error.validator_value, str) else "/".join(error.validator_value)
        article = "an" if expected[0] in "aeiou" else "a"
        message = f"{where} must be {article} {expected}, not {_JSON_TYPES.get(type(error.instance), 'a number')}."
    elif error.validator == "pattern":
        example = error.schema.get("example") if isinstance(error.schema, dict) else None
        message = f"{where} does not match the pattern {error.validator_value}" + (
            f"; for example `{example}`." if example else "."
        )
    else:
        message = f"{where}: {clip(error.message, 120, '...')}"
    yield ErrorDetail(ErrorCode.INVALID_FIELD, message, json_pointer(*path))
