"""`pcaps-contract compare`: the same seeded cases against two implementations, and every divergence reported.

One face: the command line's flags and its run; importing it loads nothing heavy.
"""

from __future__ import annotations

from pcaps_contract.compare.command import add_arguments, run

__all__ = ["add_arguments", "run"]
