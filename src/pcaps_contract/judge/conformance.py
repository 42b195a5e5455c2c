"""What the spec itself says of one answer: below 500, a documented status, a documented content type, a body
valid against the schema of its status; for judges that send nothing (`proxy`, `verify`).

`check` and `fuzz` get these rules from schemathesis's built-ins of the same names; these are the same rules read
straight from the spec with its `openapi.spec` validators, so that judging recorded traffic needs no engine. Each is a
`_checks.Check` over (spec, operation, exchange): `HELD`, `OUT_OF_SCOPE` or a ContractViolation carrying its name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pcaps_contract import _json as bounded_json
from pcaps_contract._text import clip
from pcaps_contract.judge.checks import EVERY_OPERATION, HELD, OUT_OF_SCOPE, Check, ContractViolation, Exchange, Verdict
from pcaps_contract.openapi import Operation, Spec, resolve_pointer


def documented_status(operation: Operation, status: int) -> str | None:
    """The `responses` key documenting a status: itself, its range (`4XX`), else `default`; None when none does."""
    responses = operation.definition.get("responses") or {}
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            return key
    return None


def _content(spec: Spec, operation: Operation, key: str) -> dict[str, Any]:
    response = spec.resolve((operation.definition.get("responses") or {}).get(key))
    content = response.get("content") if isinstance(response, dict) else None
    return content if isinstance(content, dict) else {}


def not_a_server_error(spec: Spec, operation: Operation, exchange: Exchange) -> Verdict:
    """The status is below 500."""
    if exchange.status >= 500:
        shown = exchange.content.decode("utf-8", "replace")
        raise ContractViolation("a status below 500", f"status {exchange.status}: {clip(shown, 200)}")
    return HELD


def status_code_conformance(spec: Spec, operation: Operation, exchange: Exchange) -> Verdict:
    """The status is one the operation documents (exactly, by its range, or by `default`)."""
    if documented_status(operation, exchange.status) is None:
        documented = ", ".join(str(key) for key in operation.definition.get("responses") or {})
        raise ContractViolation(
            f"a status {operation.label} documents ({documented})",
            f"status {exchange.status}",
        )
    return HELD


def _media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _matches(media_type: str, documented: str) -> bool:
    kind, _, sub = media_type.partition("/")
    want_kind, _, want_sub = documented.lower().partition("/")
    return want_kind in ("*", kind) and want_sub in ("*", sub)


def content_type_conformance(spec: Spec, operation: Operation, exchange: Exchange) -> Verdict:
    """An answer with a body carries a `Content-Type` the spec documents for its status."""
    key = documented_status(operation, exchange.status)
    documented = list(_content(spec, operation, key)) if key is not None else []
    if not documented or (not exchange.content and exchange.status == 204):
        return OUT_OF_SCOPE
    header = next((value for name, value in exchange.response_headers.items() if name.lower() == "content-type"), None)
    if header is None or not any(_matches(_media_type(header), want) for want in documented):
        raise ContractViolation(
            f"`Content-Type: {' or '.join(documented)}` with status {exchange.status}",
            "no Content-Type header" if header is None else f"`Content-Type: {clip(header, 120)}`",
        )
    return HELD


def response_schema_conformance(spec: Spec, operation: Operation, exchange: Exchange) -> Verdict:
    """The body is JSON valid against the spec's schema for its status."""
    key = documented_status(operation, exchange.status)
    if key is None or "application/json" not in _content(spec, operation, key):
        return OUT_OF_SCOPE
    pointer = spec.response_schema_pointer(operation, key)
    try:
        body = bounded_json.loads(exchange.content)
    except bounded_json.JsonRefused:
        return OUT_OF_SCOPE  # nested too deep or a number no float holds: judged by its status alone
    except ValueError:  # UnicodeDecodeError too
        raise ContractViolation(
            f"a JSON body with status {exchange.status}",
            f"{len(exchange.content)} bytes that are not JSON: {clip(repr(exchange.content[:120]), 160)}",
        ) from None
    errors = [] if spec.surely_valid(pointer, body) else spec.errors(pointer, body)
    if errors:
        error = errors[0]
        where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path)
        raise ContractViolation(
            f"a body valid against {_schema_name(spec, pointer, key)} "
            f"({error.validator}: {clip(json.dumps(error.validator_value, default=str), 120)} at `body{where}`)",
            clip(f"`body{where}`: {json.dumps(error.instance, default=str, ensure_ascii=False)}", 200),
        )
    return HELD


def _schema_name(spec: Spec, pointer: str, key: str) -> str:
    schema = resolve_pointer(spec.document, pointer)
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else f"the schema of the {key} response"


SpecCheck = Check[[Spec, Operation, Exchange]]
# In the gate's report order (gate/_catalogue.BUILTIN_CHECKS). Wrapped, not registered: `judge.checks`'s registries hold
# the project's own checks; `Check` only puts each one's name on the violations it raises.
SPEC_CHECKS: dict[str, SpecCheck] = {
    check.name: check
    for check in (
        Check(function, EVERY_OPERATION)  # schemathesis's built-ins judge every operation
        for function in (
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        )
    )
}
BODY_CHECKS = frozenset({"content_type_conformance", "response_schema_conformance"})


def run_spec_checks(
    spec: Spec, operation: Operation, exchange: Exchange, *, body: bool = True
) -> Iterator[tuple[str, ContractViolation | None]]:
    """(check name, violation or None) for every spec check that applies; `body=False` judges the status alone."""
    for name, check in SPEC_CHECKS.items():
        if not body and name in BODY_CHECKS:
            continue
        try:
            verdict = check(spec, operation, exchange)
        except ContractViolation as violation:
            yield name, violation
        else:
            if verdict is HELD:
                yield name, None
