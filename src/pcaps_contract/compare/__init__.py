"""`pcaps-contract compare`: the same seeded cases against two implementations, and every divergence reported.

The sides (`sides`: each a run's connection and its own passive judge), the seeded cases (`cases`) sent in order
(`sequence`), normalisation by role (`normalize`), what differs and whether it matters (`divergence`), the outcome
(`result`), a recording replayed (`recorded`), the reports (`report`); `command` is the door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.compare.command import add_arguments, run

__all__ = ["add_arguments", "run"]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
