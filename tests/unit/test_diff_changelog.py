"""The generated client's changelog entry and semantic version bump, from the changes `diff` finds."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pcaps_contract.diff import Change, bump, changelog_entry, diff_documents
from pcaps_contract.errors import UsageError
from pcaps_contract.spec import Spec

Document = dict[str, Any]


def changes_after(spec: Spec, *edits: Callable[[Document], None]) -> list[Change]:
    new = copy.deepcopy(spec.document)
    for edit in edits:
        edit(new)
    return diff_documents(spec.document, new)


def add_expired_status(document: Document) -> None:
    document["components"]["schemas"]["OwnershipStatus"]["enum"].append("expired")


def add_region_field(document: Document) -> None:
    document["components"]["schemas"]["Ownership"]["properties"]["region"] = {"type": "string"}


def reword_add_summary(document: Document) -> None:
    document["paths"]["/accounts/{account_id}/pcaps/ownership"]["post"]["summary"] = "Add a bucket"


def test_a_breaking_change_is_a_major_release(spec: Spec) -> None:
    changes = changes_after(spec, add_expired_status, add_region_field)
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


def test_an_addition_without_breakage_is_a_minor_release(spec: Spec) -> None:
    changes = changes_after(spec, add_region_field, reword_add_summary)
    assert changelog_entry(changes, "1.4.2")[0] == "1.5.0"


def test_documentation_only_is_a_patch_release(spec: Spec) -> None:
    changes = changes_after(spec, reword_add_summary)
    version, markdown = changelog_entry(changes, "1.4.2")
    assert version == "1.4.3"
    assert markdown.startswith("## 1.4.3\n\nPatch release (was 1.4.2)")


def test_no_change_keeps_the_version_and_writes_no_entry(spec: Spec) -> None:
    assert changelog_entry(changes_after(spec), "1.4.2") == ("1.4.2", "")


@pytest.mark.parametrize("version", ["1.4", "v1.4.2", "one"])
def test_a_version_that_is_not_semver_is_a_usage_error(spec: Spec, version: str) -> None:
    with pytest.raises(UsageError, match=r"is not MAJOR\.MINOR\.PATCH"):
        changelog_entry(changes_after(spec, reword_add_summary), version)
