"""Sending for a judge: what reads the target on behalf of the contract's semantics."""

from pcaps_contract.engine.listing import Fetch, read_whole_listing
from pcaps_contract.engine.quiet import Quiet

__all__ = ["Fetch", "Quiet", "read_whole_listing"]
