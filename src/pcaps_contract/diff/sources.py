"""Where the two specs come from: a file, `REV:path` in git, or a bare revision of the working-tree spec."""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcaps_contract._errors import SpecError
from pcaps_contract._limits import MAX_SPEC_BYTES
from pcaps_contract._terminal import printable
from pcaps_contract._text import clip
from pcaps_contract.openapi import (
    Spec,
    check_revision,
    check_revision_path,
    openapi_is_valid,
    parse_document,
    read_document,
    require_openapi_3,
)


@dataclass(frozen=True)
class Source:
    """A spec to compare: a label for people, and the parsed document."""

    label: str
    document: dict[str, Any]


def load_source(argument: str, spec_path: Path) -> Source:
    """Read one side of a comparison.

    Args:
        argument: an existing file; or `REV:path` (the file at that git revision, the path relative to
            the repository's top, or to the current directory when it starts with `./`); or a bare
            revision `REV`, meaning `spec_path` as it was at that revision.
        spec_path: the working-tree spec a bare revision refers to.
    """
    path = Path(argument)
    if path.is_file():
        return Source(argument, checked(read_document(path), argument))
    if ":" in argument:
        revision, _, inside = argument.partition(":")
        return _from_git(revision, inside, Path.cwd(), argument)
    check_revision(argument, argument)
    top = _toplevel(spec_path.resolve().parent)
    inside = spec_path.resolve().relative_to(top).as_posix()
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{argument}^{{commit}}"], top, argument)
    except SpecError:
        raise SpecError(
            f"`{_escaped(argument)}` is neither a file nor a git revision of {top}; "
            "name an existing file, `REV:path` or `REV`."
        ) from None
    return _from_git(argument, inside, top, f"{argument}:{inside}")


def load_working_tree(spec_path: Path) -> Source:
    """The working-tree spec itself, labelled relative to the current directory when it lies below it."""
    try:
        label = spec_path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        label = str(spec_path)
    return Source(label, checked(read_document(spec_path), label))


def checked(document: dict[str, Any], label: str) -> dict[str, Any]:
    """The document, once it is known to be valid OpenAPI 3 (what the comparison relies on)."""
    require_openapi_3(document, label)
    for finding in openapi_is_valid(Spec(Path(label), document)):
        where = finding.pointer or "the top"
        what = clip(finding.what, 200)
        raise SpecError(f"{_escaped(label)} is {what} (at {where}); run `pcaps-contract lint` on it and fix it.")
    return document


def _from_git(revision: str, inside: str, where: Path, label: str) -> Source:
    if not revision or not inside:
        raise SpecError(
            f"`{_escaped(label)}` is neither a file nor `REV:path`; name an existing file, `REV:path` or `REV`."
        )
    check_revision(revision, label)
    check_revision_path(inside, label)
    text = _git(["show", "--end-of-options", f"{revision}:{inside}"], where, label)
    return Source(label, checked(parse_document(text, label), label))


def _toplevel(directory: Path) -> Path:
    return Path(_git(["rev-parse", "--show-toplevel"], directory, str(directory)).decode("utf-8", "replace").strip())


def _git(arguments: list[str], where: Path, label: str) -> bytes:
    """What git prints, cut one byte past MAX_SPEC_BYTES (the reader refuses that much), or a SpecError."""
    if not where.is_dir():
        raise SpecError(f"{where} is not a directory, so `{_escaped(label)}` cannot be read from git; check --spec.")
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(["git", *arguments], cwd=where, stdout=subprocess.PIPE, stderr=errors)
        except FileNotFoundError:
            raise SpecError(
                f"git is not installed, so `{_escaped(label)}` cannot be read; pass spec files instead."
            ) from None
        with process:
            assert process.stdout is not None
            output = process.stdout.read(MAX_SPEC_BYTES + 1)
            if len(output) > MAX_SPEC_BYTES:
                process.kill()
                return output
        if process.returncode == 0:
            return output
        errors.seek(0)
        lines = errors.read(64 * 1024).decode("utf-8", "replace").strip().splitlines()
    reason = (lines or ["git failed"])[-1].removeprefix("fatal: ")
    if "not a git repository" in reason:
        raise SpecError(
            f"{where} is not inside a git repository, so `{_escaped(label)}` cannot be read; pass spec files instead."
        )
    raise SpecError(f"`{_escaped(label)}` cannot be read from git ({reason}); check the revision and the path.")


def _escaped(argument: str) -> str:
    """What the user named, for a sentence: on one line, every control character escaped, cut short."""
    return clip(printable(json.dumps(argument, ensure_ascii=False)[1:-1]), 120)
