"""Loading the hand-maintained OpenAPI spec and validating instances against its schemas."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from pcaps_contract._errors import SpecError
from pcaps_contract.openapi.documents import load_document, local_pointer, parse_json, read_bytes

SPEC_FILENAME = "pcaps-ownership.openapi.yaml"
SEED_EXAMPLE_FILENAME = "seed-example-response.json"
SEED_PATH = "/accounts/{account_id}/pcaps/ownership"  # the reference page's endpoint (POST)
_SPEC_URI = "urn:pcaps-contract:spec"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def spec_dir() -> Path:
    """The directory holding the bundled spec: the checkout's `spec/`, or the copy inside the package."""
    checkout = Path(__file__).resolve().parents[3] / "spec"
    if (checkout / SPEC_FILENAME).is_file():
        return checkout
    return Path(__file__).resolve().parents[1] / "_bundled"


def default_spec_path() -> Path:
    """The path of the bundled spec."""
    return spec_dir() / SPEC_FILENAME


def working_tree_spec_path(cwd: Path | None = None) -> Path:
    """The spec of the git working tree around `cwd` (its `spec/`), else the bundled spec.

    A CI job installs the toolkit (not editable) and runs it in a checkout: its spec is the checkout's, not the
    installed copy, which no git revision knows. The search goes up from `cwd` and stops at the repository's top.
    """
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "spec" / SPEC_FILENAME
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            break
    return default_spec_path()


def read_document(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON spec through the one bounded reader (`documents`), raising SpecError naming the file."""
    return load_document(read_bytes(path), str(path))


def parse_document(text: str | bytes, source: str) -> dict[str, Any]:
    """Parse a spec's text read from `source` (a path, or e.g. `main:spec.yaml`), raising SpecError."""
    return load_document(text, source)


def require_openapi_3(document: dict[str, Any], source: str) -> None:
    """Raise SpecError unless the document declares `openapi: 3.x`."""
    if not str(document.get("openapi", "")).startswith("3."):
        raise SpecError(f"{source} is not an OpenAPI 3 document (no `openapi: 3.x` key); pass an OpenAPI 3 spec.")


def json_pointer(*parts: str | int) -> str:
    """Join path segments into a JSON pointer, escaping `~` and `/` as RFC 6901 says."""
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts) if parts else ""


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value a local JSON pointer (`/a/b` or `#/a/b`) designates inside the document."""
    node = document
    for raw in pointer.lstrip("#").split("/")[1:]:
        token = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: where it lives and what it declares."""

    path: str
    method: str
    definition: Mapping[str, Any]

    @property
    def operation_id(self) -> str | None:
        value = self.definition.get("operationId")
        return value if isinstance(value, str) else None

    @property
    def pointer(self) -> str:
        return json_pointer("paths", self.path, self.method)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


class Spec:
    """A loaded spec: the raw document plus schema validators that resolve `$ref`s inside it."""

    def __init__(self, path: Path, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document
        resource: Resource[Any] = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast: dict[str, Any] = {}

    @cached_property
    def sha256(self) -> str:
        """The spec file's SHA-256, which names the contract a report judged against ("" when it is gone)."""
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return ""

    def operations(self) -> Iterator[Operation]:
        """Every operation, in document order."""
        for path, item in (self.document.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                if isinstance(item.get(method), dict):
                    yield Operation(path, method, item[method])

    def operation(self, operation_id: str) -> Operation:
        """The operation with this operationId."""
        for operation in self.operations():
            if operation.operation_id == operation_id:
                return operation
        raise SpecError(f"{self.path} has no operation `{operation_id}`; check the operationIds in the spec.")

    def find(self, method: str, path: str) -> Operation | None:
        """The operation at this method and path, if the spec has it."""
        return next((op for op in self.operations() if (op.method, op.path) == (method.lower(), path)), None)

    def resolve(self, node: Any) -> Any:
        """Follow a local `$ref` (repeatedly) to the node it names; other nodes come back as they are."""
        return self.resolve_with_pointer(node, "")[0]

    def resolve_with_pointer(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Like `resolve`, also returning the JSON pointer of the node finally reached."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"{self.path}: `$ref` cycle through {ref}; break the cycle.")
            seen.add(ref)
            try:
                pointer = local_pointer(ref) or ""
                node = resolve_pointer(self.document, pointer)
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpecError(f"{self.path}: `$ref` {ref} points nowhere; fix the reference.") from None
        return node, pointer

    def validator(self, schema_pointer: str) -> Draft202012Validator:
        """A validator for the schema at a JSON pointer of the spec, e.g. `/components/schemas/Ownership`."""
        if schema_pointer not in self._validators:
            self._validators[schema_pointer] = Draft202012Validator(
                {"$ref": f"{_SPEC_URI}#{schema_pointer}"},
                registry=self._registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return self._validators[schema_pointer]

    def errors(self, schema_pointer: str, instance: Any) -> list[ValidationError]:
        """Every way the instance breaks the schema at the pointer, in document order of the instance."""
        return sorted(self.validator(schema_pointer).iter_errors(instance), key=lambda e: list(map(str, e.path)))

    def surely_valid(self, schema_pointer: str, instance: Any) -> bool:
        """True when the instance is valid by jsonschema_rs (a compiled validator, ~1000x faster than `errors`).

        False means "ask `errors`": it is the authority on what is wrong, and on formats the two may read apart.
        Judges of every answer of real traffic (`proxy`, `verify`) take this fast path first.
        """
        if schema_pointer not in self._fast:
            try:
                import jsonschema_rs

                root = {**self.document, "$ref": "#" + quote(schema_pointer, safe="/~")}
                self._fast[schema_pointer] = jsonschema_rs.Draft202012Validator(
                    root, validate_formats=True, offline=True
                )
            except (ImportError, ValueError):  # not installed, or a schema it cannot compile: the slow path only
                self._fast[schema_pointer] = None
        validator = self._fast[schema_pointer]
        return validator is not None and bool(validator.is_valid(instance))

    def response_schema_pointer(self, operation: Operation | str, status: str) -> str:
        """The JSON pointer of the JSON schema of one documented response of an operation (or operationId)."""
        if isinstance(operation, str):
            operation = self.operation(operation)
        responses = operation.definition.get("responses") or {}
        response, pointer = self.resolve_with_pointer(responses.get(status), f"{operation.pointer}/responses/{status}")
        if not isinstance(response, dict) or "application/json" not in (response.get("content") or {}):
            raise SpecError(f"{operation.label} documents no JSON response for {status}.")
        return f"{pointer}/content/application~1json/schema"


def load_spec(path: Path | str | None = None) -> Spec:
    """Load a spec (the bundled one by default)."""
    spec_path = Path(path) if path is not None else default_spec_path()
    document = read_document(spec_path)
    require_openapi_3(document, str(spec_path))
    return Spec(spec_path, document)


def load_json(path: Path) -> Any:
    """Read a JSON file (bounded as a spec is), raising SpecError with a sentence that names it."""
    return parse_json(read_bytes(path, "a JSON file"), str(path))
