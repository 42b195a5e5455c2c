"""The contract's semantics that every door consults: the model of each account (`model`)."""

from __future__ import annotations

from pcaps_contract.judge.model import AccountModel, Expectation, Judgement, Request, Ticket, request_of

__all__ = ["AccountModel", "Expectation", "Judgement", "Request", "Ticket", "request_of"]
