"""`pcaps-contract diff`: two versions of the spec read, their changes classified and printed."""

from __future__ import annotations

from pathlib import Path

from pcaps_contract._errors import EXIT_FINDINGS, EXIT_OK, UsageError


def run_diff(
    old: str | None,
    new: str | None,
    *,
    base: str | None,
    spec: Path | None,
    output_format: str,
    allow_breaking: bool,
) -> int:
    """Print every change from `old` (or `base`) to `new` (default: the working-tree spec); returns 1 when one
    breaks something and breaking changes are not allowed, else 0."""
    from pcaps_contract._terminal import printable, printable_json
    from pcaps_contract.diff.formats import render
    from pcaps_contract.diff.rules import diff_documents
    from pcaps_contract.diff.sources import load_source, load_working_tree
    from pcaps_contract.openapi import working_tree_spec_path

    if base is not None and old is not None:
        raise UsageError("give either --base REF or OLD [NEW], not both.")
    old_argument = base if base is not None else old
    if old_argument is None:
        raise UsageError("nothing to compare; give OLD [NEW] (files or git revisions) or --base REF.")
    spec_path = spec or working_tree_spec_path()
    old_source = load_source(old_argument, spec_path)
    new_source = load_source(new, spec_path) if new is not None else load_working_tree(spec_path)
    changes = diff_documents(old_source.document, new_source.document)
    rendered = render(changes, old_source.label, new_source.label, output_format)
    print(printable_json(rendered) if output_format == "json" else printable(rendered))
    return EXIT_FINDINGS if any(change.breaking for change in changes) and not allow_breaking else EXIT_OK
