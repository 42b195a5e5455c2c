"""The contract's semantics that every door consults, pure rules that send nothing: the checks (`checks`), what the
gate judges in report order (`catalogue`), the spec's rules on one answer (`conformance`), what counts as a real answer
(`real_answers`), the model of each account (`model`), the pages of a listing (`paging`) and how a validation
settles (`validation`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract import _face

if TYPE_CHECKING:
    from pcaps_contract.judge import checks
    from pcaps_contract.judge.catalogue import ALL_CHECKS, BUILTIN_CHECKS, BUILTIN_EXPECTATIONS, DISABLED_BUILTINS
    from pcaps_contract.judge.checks import DEFAULT_CLOCK_SKEW, RESPONSE_CHECKS, judges, parse_rfc3339
    from pcaps_contract.judge.conformance import SPEC_CHECKS, run_spec_checks
    from pcaps_contract.judge.ledger import FAILED, PASSED, SKIPPED, Cell, Failure, Ledger, Step
    from pcaps_contract.judge.model import AccountModel, Expectation, Judgement, Request, Ticket, request_of
    from pcaps_contract.judge.paging import MAX_PAGES, Listing
    from pcaps_contract.judge.real_answers import (
        COULD_NOT_JUDGE,
        answer_kind,
        could_not_judge,
        documented_statuses,
        is_a_verdict,
        kind_of,
        without_real_answers,
    )
    from pcaps_contract.judge.validation import Settling, is_pending, narrowed, settled_record

__all__ = [
    "ALL_CHECKS",
    "BUILTIN_CHECKS",
    "BUILTIN_EXPECTATIONS",
    "COULD_NOT_JUDGE",
    "DEFAULT_CLOCK_SKEW",
    "DISABLED_BUILTINS",
    "FAILED",
    "MAX_PAGES",
    "PASSED",
    "RESPONSE_CHECKS",
    "SKIPPED",
    "SPEC_CHECKS",
    "AccountModel",
    "Cell",
    "Expectation",
    "Failure",
    "Judgement",
    "Ledger",
    "Listing",
    "Request",
    "Settling",
    "Step",
    "Ticket",
    "answer_kind",
    "checks",
    "could_not_judge",
    "documented_statuses",
    "is_a_verdict",
    "is_pending",
    "judges",
    "kind_of",
    "narrowed",
    "parse_rfc3339",
    "request_of",
    "run_spec_checks",
    "settled_record",
    "without_real_answers",
]


if not TYPE_CHECKING:  # unseen by the type checker, which then holds every import to the names above

    def __getattr__(name: str) -> Any:
        return _face.served(__name__, name)
