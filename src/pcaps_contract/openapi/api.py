"""The API's operations as the spec names them, its identifiers, and the one way to build their URLs.

Every module that names an operation or builds one of its URLs takes it from here; a unit test holds these
against the spec (`tests/unit/test_api.py`), so a renamed operation or path fails the build, not a run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pcaps_contract._urls import api_path

LIST = "list_buckets"
ADD = "add_bucket"
DELETE = "delete_bucket"
VALIDATE = "validate_bucket"
OPERATIONS = (LIST, ADD, DELETE, VALIDATE)  # the one order every report shows them in


def in_report_order(operations: Iterable[str]) -> list[str]:
    """The operations in the order every report's columns take (`OPERATIONS`), any other after them, kept as met."""
    known = set(operations)
    return [name for name in OPERATIONS if name in known] + [
        name for name in dict.fromkeys(operations) if name not in OPERATIONS
    ]


# The spec's Identifier: a string of 1 to 32 characters (real account ids are 32 lowercase hex).
_IDENTIFIER = re.compile(r"[\s\S]{1,32}")


def is_identifier(value: Any) -> bool:
    """Whether a value is a valid `account_id` / `ownership_id` by the spec (1 to 32 characters)."""
    return isinstance(value, str) and _IDENTIFIER.fullmatch(value) is not None


def ownerships_path(account: str) -> str:
    """`/accounts/{account_id}/pcaps/ownership`: list (GET) and add (POST)."""
    return api_path("accounts", account, "pcaps", "ownership")


def listing_page_path(account: str, page: int, per_page: int | None) -> str:
    """The list's path asking for one page (`?page=N&per_page=M`): not in the spec, sent only to a server whose
    own `result_info` claimed other pages (`engine.listing`)."""
    query = f"page={page}" if per_page is None else f"page={page}&per_page={per_page}"
    return f"{ownerships_path(account)}?{query}"


def ownership_path(account: str, ownership_id: str) -> str:
    """`/accounts/{account_id}/pcaps/ownership/{ownership_id}`: delete."""
    return api_path("accounts", account, "pcaps", "ownership", ownership_id)


def validate_path(account: str) -> str:
    """`/accounts/{account_id}/pcaps/ownership/validate`: validate (POST)."""
    return api_path("accounts", account, "pcaps", "ownership", "validate")
