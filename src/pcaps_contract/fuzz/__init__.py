"""`pcaps-contract fuzz`: long, budgeted, rate-limited property-based runs against a staging deployment.

Safe by default (`safety`), planned up front (`plan`), and it hands back findings a person can replay (`findings`,
`baseline`, `report`, `replay`). `run` ties them together on the engine; `command` is the door."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.fuzz import findings
    from pcaps_contract.fuzz.command import run_fuzz

__all__ = ["findings", "run_fuzz"]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
