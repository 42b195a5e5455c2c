"""The spec, read the one way every part reads it: the document (`documents`), the spec and its validators
(`spec`), the operations and the one builder of each URL (`api`), and `lint`'s rules over the document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.openapi import api, spec
    from pcaps_contract.openapi.api import OPERATIONS, in_report_order, is_identifier, ownership_path, ownerships_path
    from pcaps_contract.openapi.documents import check_revision, check_revision_path, local_pointer
    from pcaps_contract.openapi.lint_rules import lint, openapi_is_valid
    from pcaps_contract.openapi.spec import (
        HTTP_METHODS,
        Operation,
        Spec,
        default_spec_path,
        json_pointer,
        load_spec,
        parse_document,
        read_document,
        require_openapi_3,
        resolve_pointer,
        spec_dir,
        working_tree_spec_path,
    )

__all__ = [
    "HTTP_METHODS",
    "OPERATIONS",
    "Operation",
    "Spec",
    "api",
    "check_revision",
    "check_revision_path",
    "default_spec_path",
    "in_report_order",
    "is_identifier",
    "json_pointer",
    "lint",
    "load_spec",
    "local_pointer",
    "openapi_is_valid",
    "ownership_path",
    "ownerships_path",
    "parse_document",
    "read_document",
    "require_openapi_3",
    "resolve_pointer",
    "spec",
    "spec_dir",
    "working_tree_spec_path",
]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
