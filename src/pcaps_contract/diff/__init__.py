"""`pcaps-contract diff`: what changed between two versions of the spec, and whom it breaks.

`normalize` removes spelling differences, `rules` classifies each difference (`client_names` tells which
renames the generated client sees), `render` prints the report, `sources` reads specs from files or git, and
`changelog` turns changes into a version bump.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pcaps_contract.diff.changelog import bump, changelog_entry
from pcaps_contract.diff.normalize import normalize
from pcaps_contract.diff.rules import CALLERS, CONSUMERS, RULES, Change, compare

__all__ = ["CALLERS", "CONSUMERS", "RULES", "Change", "bump", "changelog_entry", "diff_documents"]


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Every change from the old OpenAPI document to the new one, breaking ones first."""
    return compare(normalize(old), normalize(new))
