"""The contract's semantics beyond one answer: what a judge of the whole run reads (pure, sends nothing)."""

from pcaps_contract.judge.paging import MAX_PAGES, Listing

__all__ = ["MAX_PAGES", "Listing"]
