"""The contract's semantics that every door consults, pure rules that send nothing: the model of each account
(`model`), the pages of a listing (`paging`) and how a validation settles (`validation`)."""

from __future__ import annotations

from pcaps_contract.judge.model import AccountModel, Expectation, Judgement, Request, Ticket, request_of
from pcaps_contract.judge.paging import MAX_PAGES, Listing
from pcaps_contract.judge.validation import Settling, is_pending, narrowed, settled_record

__all__ = [
    "MAX_PAGES",
    "AccountModel",
    "Expectation",
    "Judgement",
    "Listing",
    "Request",
    "Settling",
    "Ticket",
    "is_pending",
    "narrowed",
    "request_of",
    "settled_record",
]
