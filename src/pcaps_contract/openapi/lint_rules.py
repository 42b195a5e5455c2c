"""`pcaps-contract lint`: the spec is valid OpenAPI and keeps the project's own rules."""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from referencing.exceptions import Unresolvable, Unretrievable

from pcaps_contract._errors import SpecError
from pcaps_contract._text import clip
from pcaps_contract.openapi.spec import SEED_EXAMPLE_FILENAME, SEED_PATH, Spec, json_pointer, load_json

_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs")
_SUBSCHEMA_SINGLE = ("items", "additionalProperties", "not", "contains")


@dataclass(frozen=True)
class Finding:
    """One broken rule: where it is (a JSON pointer), what is wrong, and how to fix it."""

    pointer: str
    what: str
    fix: str

    def render(self, spec_path: Path) -> str:
        return f"{spec_path}#{self.pointer}: {self.what}; {self.fix}"


def lint(spec: Spec) -> list[Finding]:
    """Every finding of every rule; an empty list means the spec is clean."""
    findings = list(dict.fromkeys(openapi_is_valid(spec)))
    if findings:
        return findings  # the project's rules assume a structurally valid document
    for rule in (
        operations_have_python_ids,
        operations_document_failure_envelope,
        examples_match_schemas,
        seed_example_matches_create_response,
    ):
        findings.extend(rule(spec))
    return list(dict.fromkeys(findings))  # a shared component is reported once, not once per use


def openapi_is_valid(spec: Spec) -> Iterator[Finding]:
    """The document is valid OpenAPI 3.0 or 3.1 (openapi-spec-validator), read without following a `$ref` out."""
    version = str(spec.document.get("openapi", ""))
    validator_class = _LocalV31 if version.startswith("3.1") else _LocalV30
    found = False
    try:
        for error in validator_class(spec.document).iter_errors():
            pointer = json_pointer(*getattr(error, "path", ()))
            message = str(getattr(error, "message", error)).splitlines()[0]
            found = True
            yield Finding(pointer, f"not valid OpenAPI {version}: {message}", "correct the document there")
    except (Unresolvable, Unretrievable):  # before KeyError: Unretrievable is one
        raise SpecError(
            f"{spec.path} has a `$ref` that points outside the document or nowhere; only references inside it "
            "(`#/...`) are read: fix it."
        ) from None
    except (KeyError, IndexError, TypeError, AttributeError, ValueError, AssertionError) as exc:
        # Its keyword checks assume the shape its schema checks (e.g. `components/schemas` a mapping): past a
        # finding about that shape, they may stop with an exception. The finding before says what is wrong.
        if not found:
            what = f"openapi-spec-validator stopped reading it ({type(exc).__name__}: {clip(str(exc), 80)})"
            yield Finding("", f"not valid OpenAPI {version}: {what}", "correct the document's structure")


class _NoRetrieval(dict[str, Callable[[str], Any]]):
    """jsonschema-path's handlers, one for every URI scheme, each refusing (its fallback would use urlopen)."""

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return _refuse


def _refuse(uri: str) -> Any:
    raise LookupError("a spec is read alone: no other file, no URL")


class _LocalV30(OpenAPIV30SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]  # every scheme, where it types a few


class _LocalV31(OpenAPIV31SpecValidator):
    resolver_handlers = _NoRetrieval()  # type: ignore[assignment]  # every scheme, where it types a few


def operations_have_python_ids(spec: Spec) -> Iterator[Finding]:
    """Every operation has an operationId usable as a Python function name in the generated client.

    Uniqueness is openapi-spec-validator's rule, checked before this one.
    """
    for operation in spec.operations():
        operation_id = operation.operation_id
        if operation_id is None:
            yield Finding(
                operation.pointer,
                f"{operation.label} has no operationId",
                "add a snake_case operationId; it becomes the generated client's function name",
            )
        elif not operation_id.isidentifier() or keyword.iskeyword(operation_id) or operation_id != operation_id.lower():
            yield Finding(
                operation.pointer,
                f"operationId `{operation_id}` is not a snake_case Python name",
                "rename it (keep the official id in `x-cloudflare-operation-id`)",
            )


def operations_document_failure_envelope(spec: Spec) -> Iterator[Finding]:
    """Every operation answers `4XX` and `default` with the failure envelope (`success` exactly false)."""
    for operation in spec.operations():
        responses = operation.definition.get("responses") or {}
        for status in ("4XX", "default"):
            where = f"{operation.pointer}/responses/{status}"
            if status not in responses:
                yield Finding(
                    where,
                    f"{operation.label} does not document `{status}`",
                    "add it with `$ref: '#/components/responses/Failure'`",
                )
                continue
            response = spec.resolve(responses[status])
            schema = spec.resolve((((response or {}).get("content") or {}).get("application/json") or {}).get("schema"))
            success = spec.resolve(((schema or {}).get("properties") or {}).get("success")) or {}
            if success.get("const") is not False and success.get("enum") != [False]:
                yield Finding(
                    where,
                    f"{operation.label} `{status}` is not the failure envelope",
                    "use the FailureResponse schema (`success: false`, `result: null`, errors)",
                )


def examples_match_schemas(spec: Spec) -> Iterator[Finding]:
    """Every example in the spec (parameters, bodies, responses, schemas) validates against its schema."""
    for pointer, name, value, schema_pointer in _examples(spec):
        for error in spec.errors(schema_pointer, value)[:3]:
            at = json_pointer(*error.absolute_path) or "the top"
            yield Finding(
                pointer,
                f"example `{name}` breaks its schema at {at}: {clip(error.message, 160)}",
                "fix the example, or the schema if the example shows real behaviour",
            )


def seed_example_matches_create_response(spec: Spec) -> Iterator[Finding]:
    """The reference page's exact example response validates against the create operation's 200 schema."""
    seed_path = spec.path.parent / SEED_EXAMPLE_FILENAME
    if not seed_path.is_file():
        return
    create = spec.find("post", SEED_PATH)
    if create is None:
        yield Finding(
            "/paths",
            f"the reference page's operation POST {SEED_PATH} is missing",
            f"document it; {SEED_EXAMPLE_FILENAME} must validate against its 200 response",
        )
        return
    try:
        schema_pointer = spec.response_schema_pointer(create, "200")
    except SpecError as exc:
        yield Finding(create.pointer, str(exc), f"document it; {SEED_EXAMPLE_FILENAME} must validate against it")
        return
    for error in spec.errors(schema_pointer, load_json(seed_path))[:3]:
        at = json_pointer(*error.absolute_path) or "the top"
        yield Finding(
            schema_pointer,
            f"the reference page's example response breaks it at {at}: {clip(error.message, 160)}",
            "the real API answers this way: loosen the schema to accept it",
        )


def _examples(spec: Spec) -> Iterator[tuple[str, str, Any, str]]:
    """(where, name, value, schema pointer) for every example the document holds."""
    document = spec.document
    for operation in spec.operations():
        yield from _parameter_examples(spec, operation.definition.get("parameters"), operation.pointer)
        body, body_pointer = spec.resolve_with_pointer(
            operation.definition.get("requestBody"), f"{operation.pointer}/requestBody"
        )
        yield from _content_examples(spec, body, body_pointer)
        for status, response in (operation.definition.get("responses") or {}).items():
            resolved, pointer = spec.resolve_with_pointer(response, f"{operation.pointer}/responses/{status}")
            yield from _content_examples(spec, resolved, pointer)
    for path, item in (document.get("paths") or {}).items():
        yield from _parameter_examples(spec, (item or {}).get("parameters"), json_pointer("paths", path))
    for name, schema in ((document.get("components") or {}).get("schemas") or {}).items():
        yield from _schema_examples(schema, json_pointer("components", "schemas", name))


def _parameter_examples(spec: Spec, parameters: Any, owner: str) -> Iterator[tuple[str, str, Any, str]]:
    for index, parameter in enumerate(parameters or []):
        resolved, pointer = spec.resolve_with_pointer(parameter, f"{owner}/parameters/{index}")
        if isinstance(resolved, Mapping) and "schema" in resolved:
            yield from _named_examples(spec, resolved, pointer, f"{pointer}/schema")


def _content_examples(spec: Spec, holder: Any, pointer: str) -> Iterator[tuple[str, str, Any, str]]:
    if not isinstance(holder, Mapping):
        return
    for media_type, media in (holder.get("content") or {}).items():
        media_pointer = f"{pointer}/content/{json_pointer(media_type)[1:]}"
        if isinstance(media, Mapping) and "schema" in media:
            yield from _named_examples(spec, media, media_pointer, f"{media_pointer}/schema")


def _named_examples(
    spec: Spec, holder: Mapping[str, Any], pointer: str, schema_pointer: str
) -> Iterator[tuple[str, str, Any, str]]:
    if "example" in holder:
        yield f"{pointer}/example", "example", holder["example"], schema_pointer
    for name, example in (holder.get("examples") or {}).items():
        resolved = spec.resolve(example)
        if isinstance(resolved, Mapping) and "value" in resolved:
            yield f"{pointer}/examples/{json_pointer(name)[1:]}", name, resolved["value"], schema_pointer


def _schema_examples(schema: Any, pointer: str) -> Iterator[tuple[str, str, Any, str]]:
    if not isinstance(schema, Mapping):
        return
    if "example" in schema:
        yield f"{pointer}/example", "example", schema["example"], pointer
    for index, value in enumerate(schema.get("examples") or []) if isinstance(schema.get("examples"), list) else ():
        yield f"{pointer}/examples/{index}", f"examples[{index}]", value, pointer
    for key in _SUBSCHEMA_SINGLE:
        yield from _schema_examples(schema.get(key), f"{pointer}/{key}")
    for key in _SUBSCHEMA_LISTS:
        for index, sub in enumerate(schema.get(key) or []):
            yield from _schema_examples(sub, f"{pointer}/{key}/{index}")
    for key in _SUBSCHEMA_MAPS:
        for name, sub in (schema.get(key) or {}).items():
            yield from _schema_examples(sub, f"{pointer}/{key}/{json_pointer(name)[1:]}")
