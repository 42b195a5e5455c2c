"""Judging traffic this toolkit did not send (`proxy` and `verify`, the two commands in `command`): recorded
exchanges read and written (`traffic`), the passive judge (`judging`), and the proxy (`proxy`) with its judge on a
thread of its own (`off_path`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.passive.command import run_proxy, run_verify

__all__ = ["run_proxy", "run_verify"]


def __getattr__(name: str) -> Any:
    return _face.served(__name__, name)
