#!/usr/bin/env python3
"""Compare `pcaps-contract diff` with Optic's breaking-change checks on a corpus of edits to the bundled spec.

    .venv/bin/python scripts/compare_optic.py             # installs Optic 1.0.9 once, prints a Markdown table
    .venv/bin/python scripts/compare_optic.py --only "request schema renamed"

Each edit carries the verdict a caller of the generated client (`pcaps_client`) would give it, and why. Both
tools judge the same pair of files: `pcaps-contract diff OLD NEW --format json` (its `breaking` count) and
`optic diff OLD NEW --check --validation loose` (exit 1 with failed checks; `--validation loose` because
Optic's strict validation refuses OpenAPI 3.1 keywords such as `const`). Optic is installed from npm into
a cache folder outside the repository (`$XDG_CACHE_HOME` or `~/.cache`, `pcaps-contract/optic-1.0.9`), with
ajv pinned by an `overrides` entry: without it, Optic 1.0.9 does not start. Telemetry is switched off.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "pcaps-ownership.openapi.yaml"
OPTIC_VERSION = "1.0.9"
TIMEOUT = 120  # seconds for one tool on one pair of specs; npm install gets five times that
LIST = "/accounts/{account_id}/pcaps/ownership"
ONE = LIST + "/{ownership_id}"
VALIDATE = LIST + "/validate"
SCHEMAS = ("components", "schemas")

Document = dict[str, Any]
Mutation = Callable[[Document], None]


class Unavailable(Exception):
    """A tool that cannot run here; the message is one sentence saying what to do."""


@dataclass(frozen=True)
class Edit:
    """One change of the spec, and what a caller of the generated client makes of it."""

    name: str
    breaking: bool
    reason: str
    mutate: Mutation
    before: Mutation | None = None  # applied to both sides first
    reverse: bool = False  # compare the edited copy with the original: an addition is a removal reversed

    def documents(self, original: Document) -> tuple[Document, Document]:
        """(old, new): the spec before and after the edit."""
        old = copy.deepcopy(original)
        if self.before is not None:
            self.before(old)
        new = copy.deepcopy(old)
        self.mutate(new)
        return (new, old) if self.reverse else (old, new)


# -- mutations -------------------------------------------------------------------------------------------


def node(document: Document, keys: Sequence[str | int]) -> Any:
    found: Any = document
    for key in keys:
        found = found[key]
    return found


def put(*keys: str | int, value: Any) -> Mutation:
    """Set one value deep in the document (a copy of it, so that no two documents share it)."""
    return lambda document: node(document, keys[:-1]).__setitem__(keys[-1], copy.deepcopy(value))


def drop(*keys: str | int) -> Mutation:
    return lambda document: node(document, keys[:-1]).__delitem__(keys[-1])


def append(*keys: str | int, value: Any) -> Mutation:
    return lambda document: node(document, keys).append(copy.deepcopy(value))


def remove(*keys: str | int, value: Any) -> Mutation:
    return lambda document: node(document, keys).remove(value)


def both(*mutations: Mutation) -> Mutation:
    def mutate(document: Document) -> None:
        for mutation in mutations:
            mutation(document)

    return mutate


def rename_schema(old: str, new: str) -> Mutation:
    """A component schema renamed, with every `$ref` to it."""

    def rename(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("$ref") == f"#/components/schemas/{old}":
                value["$ref"] = f"#/components/schemas/{new}"
            for item in value.values():
                rename(item)
        elif isinstance(value, list):
            for item in value:
                rename(item)

    def mutate(document: Document) -> None:
        schemas = node(document, SCHEMAS)
        schemas[new] = schemas.pop(old)
        rename(document)

    return mutate


def rename_path_parameter(name: str) -> Mutation:
    def mutate(document: Document) -> None:
        document["paths"][LIST + "/{" + name + "}"] = document["paths"].pop(ONE)
        document["components"]["parameters"]["ownership_id"]["name"] = name

    return mutate


CHALLENGE = (*SCHEMAS, "OwnershipValidateRequest", "properties", "ownership_challenge")
OWNERSHIP = (*SCHEMAS, "Ownership")
ADD = ("paths", LIST, "post")
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer"}}
TOKEN_ONLY: list[dict[str, list[str]]] = [{"api_token": []}]

CORPUS: tuple[Edit, ...] = (
    Edit("path removed", True, "its generated function calls a URL that is gone", drop("paths", VALIDATE)),
    Edit("path added", False, "a new function; nothing existing changes", drop("paths", VALIDATE), reverse=True),
    Edit("operation removed", True, "`list_buckets` calls a method the path no longer has", drop("paths", LIST, "get")),
    Edit("operation added", False, "a new function", drop("paths", LIST, "get"), reverse=True),
    Edit("operationId renamed", True, "the function `add_bucket` is renamed", put(*ADD, "operationId", value="create")),
    Edit(
        "operationId respelled", False, "`addBucket` is still `add_bucket`", put(*ADD, "operationId", value="addBucket")
    ),
    Edit("first tag changed", True, "the function moves to `api.buckets`", put(*ADD, "tags", value=["buckets"])),
    Edit("path parameter renamed", True, "keyword `ownership_id=` becomes `id=`", rename_path_parameter("id")),
    Edit(
        "path parameter respelled",
        False,
        "`ownershipId` is still `ownership_id=`",
        rename_path_parameter("ownershipId"),
    ),
    Edit(
        "request schema renamed",
        True,
        "`OwnershipRequest` becomes `BucketRequest`: imports break",
        rename_schema("OwnershipRequest", "BucketRequest"),
    ),
    Edit(
        "response schema renamed",
        True,
        "`Ownership` becomes `Bucket`: imports break",
        rename_schema("Ownership", "Bucket"),
    ),
    Edit(
        "schema key respelled",
        False,
        "`ownership` still makes the class `Ownership`",
        rename_schema("Ownership", "ownership"),
    ),
    Edit(
        "optional query parameter added",
        False,
        "a new keyword with a default",
        put("paths", LIST, "get", "parameters", value=[PAGE]),
    ),
    Edit(
        "required query parameter added",
        True,
        "a new keyword without a default",
        put("paths", LIST, "get", "parameters", value=[{**PAGE, "required": True}]),
    ),
    Edit(
        "query parameter removed",
        True,
        "the keyword `page=` disappears",
        drop("paths", LIST, "get", "parameters"),
        put("paths", LIST, "get", "parameters", value=[PAGE]),
    ),
    Edit(
        "required request field added",
        True,
        "`OwnershipRequest(...)` needs a new argument",
        both(
            put(*SCHEMAS, "OwnershipRequest", "properties", "note", value={"type": "string"}),
            append(*SCHEMAS, "OwnershipRequest", "required", value="note"),
        ),
    ),
    Edit(
        "optional request field added",
        False,
        "a new optional argument",
        put(*SCHEMAS, "OwnershipRequest", "properties", "note", value={"type": "string"}),
    ),
    Edit(
        "request field removed",
        True,
        "`ownership_challenge=` is no longer an argument",
        both(drop(*CHALLENGE), remove(*SCHEMAS, "OwnershipValidateRequest", "required", value="ownership_challenge")),
    ),
    Edit(
        "request field made required",
        True,
        "an argument callers could omit becomes mandatory",
        remove(*SCHEMAS, "OwnershipValidateRequest", "required", value="ownership_challenge"),
        reverse=True,
    ),
    Edit(
        "request field made optional",
        False,
        "callers may still pass it",
        remove(*SCHEMAS, "OwnershipValidateRequest", "required", value="ownership_challenge"),
    ),
    Edit(
        "request field type changed",
        True,
        "a `str` argument becomes an `int`",
        put(*CHALLENGE, "type", value="integer"),
    ),
    Edit(
        "request enum value removed",
        True,
        "the server refuses a value callers send",
        put(*CHALLENGE, "enum", value=["a"]),
        put(*CHALLENGE, "enum", value=["a", "b"]),
    ),
    Edit(
        "request enum value added",
        False,
        "one more value callers may send",
        put(*CHALLENGE, "enum", value=["a", "b"]),
        put(*CHALLENGE, "enum", value=["a"]),
    ),
    Edit(
        "request maxLength lowered",
        True,
        "account ids of 17 to 32 characters are refused",
        put(*SCHEMAS, "Identifier", "maxLength", value=16),
    ),
    Edit(
        "request maxLength raised",
        False,
        "every old id is still accepted",
        put(*SCHEMAS, "Identifier", "maxLength", value=64),
    ),
    Edit(
        "request pattern narrowed",
        True,
        "`gs://` and `r2://` buckets are refused",
        put(*SCHEMAS, "DestinationConf", "pattern", value=r"^s3://[^/?#\u0000-\u0020]+(?![\s\S])"),
    ),
    Edit(
        "response field added",
        False,
        "one more attribute; the model keeps unknown fields",
        put(*OWNERSHIP, "properties", "region", value={"type": "string"}),
    ),
    Edit(
        "response field removed",
        True,
        "`.validated` disappears from the model",
        drop(*OWNERSHIP, "properties", "validated"),
    ),
    Edit(
        "response field made optional",
        True,
        "`.filename` may be `UNSET` where code expects a `str`",
        remove(*OWNERSHIP, "required", value="filename"),
    ),
    Edit(
        "response field made required",
        False,
        "the attribute is always there now",
        remove(*OWNERSHIP, "required", value="filename"),
        reverse=True,
    ),
    Edit(
        "response field type changed",
        True,
        "`.filename` becomes an `int`",
        put(*OWNERSHIP, "properties", "filename", "type", value="integer"),
    ),
    Edit(
        "response field may be null",
        True,
        "`.filename` may be `None` where code expects a `str`",
        put(*OWNERSHIP, "properties", "filename", "type", value=["string", "null"]),
    ),
    Edit(
        "response enum value added",
        True,
        "`OwnershipStatus('expired')` raises while parsing",
        append(*SCHEMAS, "OwnershipStatus", "enum", value="expired"),
    ),
    Edit(
        "response enum value removed",
        False,
        "one value fewer to handle",
        remove(*SCHEMAS, "OwnershipStatus", "enum", value="failed"),
    ),
    Edit(
        "response anyOf form added",
        True,
        "`validated` may be an `int` the union parser refuses",
        append(*OWNERSHIP, "properties", "validated", "anyOf", value={"type": "integer"}),
    ),
    Edit(
        "success status added",
        True,
        "`201` is parsed as a failure, or raises `UnexpectedStatus`",
        put(*ADD, "responses", "201", value={"$ref": "#/components/responses/Failure"}),
    ),
    Edit(
        "error status inside its range",
        False,
        "`404` was already parsed as a `4XX` failure",
        put(*ADD, "responses", "404", value={"$ref": "#/components/responses/Failure"}),
    ),
    Edit("success status removed", True, "the `200` body is no longer parsed", drop(*ADD, "responses", "200")),
    Edit(
        "email and key no longer accepted",
        True,
        "clients built with an email and key are refused",
        put("security", value=TOKEN_ONLY),
    ),
    Edit(
        "email and key accepted", False, "one more way to authenticate", put("security", value=TOKEN_ONLY), reverse=True
    ),
    Edit(
        "server moved",
        True,
        "calls to the documented base URL stop working",
        put("servers", value=[{"url": "https://api.example.com/v4"}]),
    ),
    Edit("summary reworded", False, "documentation only", put(*ADD, "summary", value="Add a bucket")),
)


# -- the two tools ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One edit's verdicts: breaking (True), non-breaking (False), or an error text."""

    edit: Edit
    ours: bool | str
    optic: bool | str


def pcaps_verdict(returncode: int, stdout: str) -> bool | str:
    """`pcaps-contract diff --format json`: breaking when its `breaking` count is not zero."""
    try:
        report = json.loads(stdout)
        return bool(report["breaking"]) if returncode in (0, 1) else f"exit {returncode}"
    except (ValueError, KeyError, TypeError):
        return f"exit {returncode}, no JSON report"


_CHECKS = re.compile(r"Checks: (\d+)/(\d+) passed")


def optic_verdict(returncode: int, stdout: str) -> bool | str:
    """`optic diff --check`: exit 0 when every check passes, 1 when one fails (its `Checks: n/m passed` line)."""
    checks = _CHECKS.search(stdout)
    if returncode == 0:
        return False
    if returncode == 1 and checks is not None and checks.group(1) != checks.group(2):
        return True
    return f"exit {returncode}" + ("" if checks else ", no checks ran")


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "pcaps-contract" / f"optic-{OPTIC_VERSION}"


def install_optic(folder: Path) -> Path:
    """Optic's executable, installed into `folder` from npm the first time."""
    executable = folder / "node_modules" / ".bin" / "optic"
    if executable.is_file():
        return executable
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed, so Optic cannot be installed; install Node.js 18 or later and rerun.")
    folder.mkdir(parents=True, exist_ok=True)
    package = {
        "name": "pcaps-contract-optic",
        "private": True,
        "dependencies": {"@useoptic/optic": OPTIC_VERSION},
        "overrides": {"ajv": "8.17.1"},  # Optic 1.0.9 does not start with the ajv its own ranges pick
    }
    (folder / "package.json").write_text(json.dumps(package, indent=2) + "\n", encoding="utf-8")
    command = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=5 * TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise Unavailable(f"npm install of Optic took over {5 * TIMEOUT} s; check the network and rerun.") from None
    if done.returncode != 0 or not executable.is_file():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise Unavailable(f"npm install of Optic {OPTIC_VERSION} failed ({last}); fix npm's access and rerun.")
    return executable


def run(command: list[str], cwd: Path) -> tuple[int, str]:
    environment = {**os.environ, "OPTIC_TELEMETRY_LEVEL": "off", "NO_COLOR": "1"}
    try:
        done = subprocess.run(
            command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return -1, ""
    return done.returncode, done.stdout


def judge(edit: Edit, original: Document, optic: Path, work: Path) -> Row:
    """Both tools' verdicts on one edit, from two files written in `work`."""
    old, new = edit.documents(original)
    (work / "old.json").write_text(json.dumps(old, indent=1), encoding="utf-8")
    (work / "new.json").write_text(json.dumps(new, indent=1), encoding="utf-8")
    ours = run([sys.executable, "-m", "pcaps_contract", "diff", "old.json", "new.json", "--format", "json"], work)
    theirs = run([str(optic), "diff", "old.json", "new.json", "--check", "--validation", "loose"], work)
    return Row(edit, pcaps_verdict(*ours), optic_verdict(*theirs))


# -- the table -------------------------------------------------------------------------------------------


def cell(verdict: bool | str, expected: bool) -> str:
    if isinstance(verdict, str):
        return f"error ({verdict})"
    word = "breaking" if verdict else "non-breaking"
    return word if verdict is expected else f"**{word}** ✗"


def agreed(rows: Sequence[Row], tool: str) -> int:
    return sum(getattr(row, tool) is row.edit.breaking for row in rows)


def render(rows: Sequence[Row]) -> str:
    """The side-by-side Markdown table, a wrong verdict in bold with ✗, and the totals."""
    lines = ["| change | expected (generated-client caller) | pcaps-contract | Optic |", "|---|---|---|---|"]
    for row in rows:
        expected = f"{'breaking' if row.edit.breaking else 'non-breaking'}: {row.edit.reason}"
        cells = [row.edit.name, expected, cell(row.ours, row.edit.breaking), cell(row.optic, row.edit.breaking)]
        lines.append("| " + " | ".join(text.replace("|", "\\|") for text in cells) + " |")
    total = len(rows)
    lines += [
        "",
        f"pcaps-contract agreed with a client's view on {agreed(rows, 'ours')} of {total}; "
        f"Optic {OPTIC_VERSION} on {agreed(rows, 'optic')} of {total}.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="judge only this edit (repeatable)")
    arguments = parser.parse_args(argv)
    edits = [edit for edit in CORPUS if not arguments.only or edit.name in arguments.only]
    if not edits:
        print(f"no edit is named {', '.join(arguments.only)}; see CORPUS in {Path(__file__).name}.", file=sys.stderr)
        return 2
    try:
        optic = install_optic(cache_dir())
    except Unavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    original = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="pcaps-contract-optic-") as work:
        rows = [judge(edit, original, optic, Path(work)) for edit in edits]
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
