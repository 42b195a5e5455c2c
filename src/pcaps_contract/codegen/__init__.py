"""`generate`: the client rendered by the pinned generator and compared (`render`), as one release (`release`);
`command` is the door."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.codegen.command import run_generate

__all__ = ["run_generate"]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
