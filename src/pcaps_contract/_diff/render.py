"""The three outputs of `diff`: a terminal table, Markdown for a pull-request comment, and stable JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from pcaps_contract._diff.rules import Change

FORMATS = ("table", "markdown", "json")


def summary(changes: Sequence[Change]) -> str:
    """`2 breaking, 1 non-breaking` (or `no changes`)."""
    breaking = sum(change.breaking for change in changes)
    if not changes:
        return "no changes"
    return f"{breaking} breaking, {len(changes) - breaking} non-breaking"


def render(changes: Sequence[Change], old: str, new: str, output_format: str) -> str:
    """The report of a comparison in one of FORMATS."""
    if output_format == "json":
        return render_json(changes, old, new)
    if output_format == "markdown":
        return render_markdown(changes, old, new)
    return render_table(changes, old, new)


def render_json(changes: Sequence[Change], old: str, new: str) -> str:
    """Keys: old, new, breaking, non_breaking, changes[] (class, audience, rule, description, location, spec,
    operations)."""
    breaking = sum(change.breaking for change in changes)
    report = {
        "old": old,
        "new": new,
        "breaking": breaking,
        "non_breaking": len(changes) - breaking,
        "changes": [change.as_json() for change in changes],
    }
    return json.dumps(report, indent=2, ensure_ascii=False)


def render_markdown(changes: Sequence[Change], old: str, new: str) -> str:
    lines = [f"### API contract: `{old}` → `{new}`", "", f"**{summary(changes)}**"]
    if changes:
        lines += ["", "| | change | for | where | operations |", "|---|---|---|---|---|"]
        for change in changes:
            mark = "❌ breaking" if change.breaking else "✅ non-breaking"
            where = f"`{change.location}`" + ("" if change.spec == "new" else " (old spec)")
            cells = [mark, change.description, change.audience, where, ", ".join(change.operations)]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def render_table(changes: Sequence[Change], old: str, new: str) -> str:
    rows = [("CLASS", "FOR", "CHANGE", "WHERE")]
    for change in changes:
        what = change.description + (f" [{', '.join(change.operations)}]" if change.operations else "")
        rows.append((change.classification, change.audience, what, _where(change)))
    lines = []
    if changes:
        widths = [max(len(row[column]) for row in rows) for column in range(3)]
        for row in rows:
            lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3])
        lines.append("")
    lines.append(f"{old} -> {new}: {summary(changes)}")
    return "\n".join(lines)


def _where(change: Change) -> str:
    return change.location if change.spec == "new" else f"{change.location} (old spec)"
