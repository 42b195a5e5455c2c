"""`pcaps-contract lint`: the spec checked against OpenAPI and the project's own rules (`openapi.lint`), the
findings printed (`command`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.lint.command import run_lint

__all__ = ["run_lint"]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
