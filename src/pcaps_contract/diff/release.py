"""The generated client's release record, kept beside it in `generated/`: the spec it was generated from
(`spec.openapi.yaml`), its version (the generator config's `package_version_override`) and `CHANGELOG.md`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pcaps_contract._errors import SpecError, UsageError
from pcaps_contract.diff.changelog import bump, changelog_entry
from pcaps_contract.diff.rules import Change, diff_documents
from pcaps_contract.diff.sources import checked
from pcaps_contract.openapi import read_document

SNAPSHOT_FILENAME = "spec.openapi.yaml"
CHANGELOG_FILENAME = "CHANGELOG.md"
CHANGELOG_TITLE = "# Changelog of the generated client `pcaps_client`\n"
_VERSION = re.compile(r"""^(package_version_override:[ \t]*)(["']?)([^"'\s#]+)\2""", re.M)


@dataclass(frozen=True)
class Release:
    """What a regeneration changes for the client's users, and the version it calls for."""

    changes: list[Change]
    old_version: str
    new_version: str
    entry: str  # the CHANGELOG entry; empty when nothing changed
    first: bool = False  # no earlier generation is recorded

    @property
    def level(self) -> str:
        return bump(self.changes)


def plan(spec_path: Path, output_dir: Path, config_path: Path) -> Release:
    """The changes since the spec the client was last generated from, and the version they call for."""
    version = read_version(config_path)
    snapshot = output_dir / SNAPSHOT_FILENAME
    if not snapshot.is_file():
        return Release([], version, version, f"## {version}\n\nFirst recorded generation.\n", first=True)
    changes = _changes(snapshot, spec_path)
    new_version, entry = changelog_entry(changes, version)
    return Release(changes, version, new_version, entry)


def stale(spec_path: Path, output_dir: Path) -> list[Change] | None:
    """The spec's changes since the recorded generation (empty when current); None when nothing is recorded."""
    snapshot = output_dir / SNAPSHOT_FILENAME
    if not snapshot.is_file():
        return None
    return _changes(snapshot, spec_path)


def _changes(snapshot: Path, spec_path: Path) -> list[Change]:
    old = checked(read_document(snapshot), str(snapshot))
    return diff_documents(old, checked(read_document(spec_path), str(spec_path)))


def read_version(config_path: Path) -> str:
    """The client's version, from the generator config."""
    match = _VERSION.search(_read(config_path))
    if match is None:
        raise UsageError(f"{config_path} has no `package_version_override: X.Y.Z` line; add the client's version.")
    return match.group(3)


def write_version(config_path: Path, version: str) -> None:
    """Set the client's version in the generator config, leaving its comments and layout alone."""
    text = _read(config_path)
    config_path.write_text(_VERSION.sub(lambda m: f"{m.group(1)}{m.group(2)}{version}{m.group(2)}", text, count=1))


def record(spec_path: Path, output_dir: Path, entry: str) -> None:
    """After a generation: keep the spec it came from, and prepend the CHANGELOG entry (if any)."""
    (output_dir / SNAPSHOT_FILENAME).write_bytes(spec_path.read_bytes())
    if not entry:
        return
    changelog = output_dir / CHANGELOG_FILENAME
    previous = changelog.read_text(encoding="utf-8") if changelog.is_file() else CHANGELOG_TITLE
    body = previous.removeprefix(CHANGELOG_TITLE).lstrip("\n")
    changelog.write_text(f"{CHANGELOG_TITLE}\n{entry}" + (f"\n{body}" if body else ""), encoding="utf-8")


def _read(config_path: Path) -> str:
    try:
        return config_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"{config_path} cannot be read ({exc.strerror}); restore the generator config.") from None
