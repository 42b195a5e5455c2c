"""`pcaps-contract diff`: what changed between two versions of the spec, and whom it breaks.

`normalize` removes spelling differences, `rules` classifies each difference (`client_names` tells which
renames the generated client sees), `formats` prints the report, `sources` reads specs from files or git,
`changelog` turns changes into a version bump, and `command` is the door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.diff import release
    from pcaps_contract.diff.changelog import bump, changelog_entry
    from pcaps_contract.diff.command import run_diff
    from pcaps_contract.diff.formats import render, render_table, summary
    from pcaps_contract.diff.release import Release
    from pcaps_contract.diff.rules import CALLERS, CONSUMERS, RULES, Change, diff_documents
    from pcaps_contract.diff.sources import load_source, load_working_tree

__all__ = [
    "CALLERS",
    "CONSUMERS",
    "RULES",
    "Change",
    "Release",
    "bump",
    "changelog_entry",
    "diff_documents",
    "load_source",
    "load_working_tree",
    "release",
    "render",
    "render_table",
    "run_diff",
    "summary",
]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
