"""The contract's semantics that every door consults, pure rules that send nothing: the model of each account
(`model`) and the pages of a listing (`paging`)."""

from __future__ import annotations

from pcaps_contract.judge.model import AccountModel, Expectation, Judgement, Request, Ticket, request_of
from pcaps_contract.judge.paging import MAX_PAGES, Listing

__all__ = ["MAX_PAGES", "AccountModel", "Expectation", "Judgement", "Listing", "Request", "Ticket", "request_of"]
