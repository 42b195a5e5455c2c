"""`generate`: the client rendered by the pinned generator and compared (`render`), as one release (`release`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.codegen import release

__all__ = ["release"]


def __getattr__(name: str) -> Any:
    return _face.served(__name__, name)
