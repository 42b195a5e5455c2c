"""The contract's semantics that every door consults: the model of each account (`model`) and the pages of a
listing (`paging`); pure rules, they send nothing."""

from __future__ import annotations

from pcaps_contract.judge.model import AccountModel, Expectation, Judgement, Request, Ticket, request_of
from pcaps_contract.judge.paging import MAX_PAGES, Listing

__all__ = ["MAX_PAGES", "AccountModel", "Expectation", "Judgement", "Listing", "Request", "Ticket", "request_of"]
