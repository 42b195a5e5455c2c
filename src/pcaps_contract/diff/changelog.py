"""A changelog entry for the generated client: the semantic version bump a list of changes calls for."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pcaps_contract._errors import UsageError
from pcaps_contract.diff.rules import ADDITIONS, Change

_SEMVER = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def bump(changes: Sequence[Change]) -> str:
    """`major` if something breaks, `minor` if something was added, `patch` otherwise, `none` if nothing changed."""
    if not changes:
        return "none"
    if any(change.breaking for change in changes):
        return "major"
    if any(change.rule in ADDITIONS for change in changes):
        return "minor"
    return "patch"


def next_version(old_version: str, level: str) -> str:
    """The version after `old_version` (`MAJOR.MINOR.PATCH`) for a bump level."""
    match = _SEMVER.fullmatch(old_version.strip())
    if match is None:
        raise UsageError(f"version `{old_version}` is not MAJOR.MINOR.PATCH; fix the client's version.")
    major, minor, patch = map(int, match.groups())
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    if level == "patch":
        return f"{major}.{minor}.{patch + 1}"
    return old_version.strip()


def changelog_entry(changes: Sequence[Change], old_version: str) -> tuple[str, str]:
    """The client's next version and the Markdown entry for `generated/CHANGELOG.md`.

    Args:
        changes: what `diff` found between the spec the client was last generated from and the new one.
        old_version: the client's current version, `MAJOR.MINOR.PATCH`.

    Returns:
        `(new_version, markdown)`; with no changes, the old version and an empty string.
    """
    level = bump(changes)
    version = next_version(old_version, level)
    if level == "none":
        return version, ""
    lines = [f"## {version}", "", f"{level.capitalize()} release (was {old_version.strip()}): " + _counts(changes)]
    for title, breaking in (("Breaking", True), ("Non-breaking", False)):
        chosen = [change for change in changes if change.breaking is breaking]
        if chosen:
            lines += ["", f"### {title}", ""]
            for change in chosen:
                operations = f" ({', '.join(change.operations)})" if change.operations else ""
                lines.append(f"- {change.description}{operations}; for {change.audience}")
    return version, "\n".join(lines) + "\n"


def _counts(changes: Sequence[Change]) -> str:
    breaking = sum(change.breaking for change in changes)
    return f"{breaking} breaking, {len(changes) - breaking} non-breaking change(s)."
