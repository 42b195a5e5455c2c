"""Judging traffic this toolkit did not send (`proxy` and `verify`, the two commands in `command`): recorded
exchanges read and written (`traffic`), the passive judge (`judging`), and the proxy (`proxy`) with its judge on a
thread of its own (`off_path`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.passive.command import run_proxy, run_verify
    from pcaps_contract.passive.judging import PassiveJudge, Router
    from pcaps_contract.passive.traffic import Recorded, Secrets, read_traffic

__all__ = ["PassiveJudge", "Recorded", "Router", "Secrets", "read_traffic", "run_proxy", "run_verify"]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
