"""The generated client's changelog entry and semantic version bump, from the changes `diff` finds."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pcaps_contract._errors import UsageError
from pcaps_contract.diff import Change, bump, changelog_entry, diff_documents
from pcaps_contract.openapi.spec import Spec

SpecEdit = Callable[[dict[str, Any]], None]  # the `spec_edits` fixture's values


def changes_after(spec: Spec, *edits: SpecEdit) -> list[Change]:
    new = copy.deepcopy(spec.document)
    for edit in edits:
        edit(new)
    return diff_documents(spec.document, new)


def test_a_breaking_change_is_a_major_release(spec: Spec, spec_edits: dict[str, SpecEdit]) -> None:
    changes = changes_after(spec, spec_edits["breaking"], spec_edits["addition"])
    assert bump(changes) == "major"
    version, markdown = changelog_entry(changes, "1.4.2")
    assert version == "2.0.0"
    assert markdown == (
        "## 2.0.0\n"
        "\n"
        "Major release (was 1.4.2): 1 breaking, 1 non-breaking change(s).\n"
        "\n"
        "### Breaking\n"
        "\n"
        "- enum value `expired` added to `status` (add_bucket, list_buckets, validate_bucket); for response consumers\n"
        "\n"
        "### Non-breaking\n"
        "\n"
        "- response field `region` added (add_bucket, list_buckets, validate_bucket); for response consumers\n"
    )


def test_an_addition_without_breakage_is_a_minor_release(spec: Spec, spec_edits: dict[str, SpecEdit]) -> None:
    changes = changes_after(spec, spec_edits["addition"], spec_edits["documentation"])
    assert changelog_entry(changes, "1.4.2")[0] == "1.5.0"


def test_documentation_only_is_a_patch_release(spec: Spec, spec_edits: dict[str, SpecEdit]) -> None:
    changes = changes_after(spec, spec_edits["documentation"])
    version, markdown = changelog_entry(changes, "1.4.2")
    assert version == "1.4.3"
    assert markdown.startswith("## 1.4.3\n\nPatch release (was 1.4.2)")


def test_no_change_keeps_the_version_and_writes_no_entry(spec: Spec) -> None:
    assert changelog_entry(changes_after(spec), "1.4.2") == ("1.4.2", "")


@pytest.mark.parametrize("version", ["1.4", "v1.4.2", "one"])
def test_a_version_that_is_not_semver_is_a_usage_error(
    spec: Spec, spec_edits: dict[str, SpecEdit], version: str
) -> None:
    with pytest.raises(UsageError, match=r"is not MAJOR\.MINOR\.PATCH"):
        changelog_entry(changes_after(spec, spec_edits["documentation"]), version)
