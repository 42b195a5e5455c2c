"""The three outputs of `diff`: a terminal table, Markdown for a pull-request comment, and stable JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from pcaps_contract.diff.rules import Change

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
    """A pull-request comment: a heading and one table row per change. A spec's names and values stay inside their
    cell whatever they hold (`_cell`, `_code`): no line break, no unescaped pipe, no HTML."""
    lines = [f"### API contract: {_code(old)} → {_code(new)}", "", f"**{summary(changes)}**"]
    if changes:
        lines += ["", "| | change | for | where | operations |", "|---|---|---|---|---|"]
        for change in changes:
            mark = "❌ breaking" if change.breaking else "✅ non-breaking"
            where = _code(change.location) + ("" if change.spec == "new" else " (old spec)")
            cells = [
                mark,
                _cell(change.description),
                _cell(change.audience),
                where,
                _cell(", ".join(change.operations)),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# Line breaks and every other control character end a table row or act in a terminal: a cell shows them escaped.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}" if ord(match.group()) < 0x100 else " ", text)


def _cell(text: str) -> str:
    """Text of a table cell (which may mark code with backticks): one line, pipes escaped, `<` and `&` as entities
    (no HTML, no comment that hides what follows); a stray backtick can reach no further than its cell."""
    text = _one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    """A code span of any text: fenced by more backticks than any run inside it, one line, pipes escaped (GitHub
    reads `\\|` as a pipe inside a table's code span)."""
    text = _one_line(text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") or not text.strip() else text
    return f"{fence}{padded}{fence}"


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
