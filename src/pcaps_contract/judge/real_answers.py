"""Which operations a run judged on real answers of the API: the one rule behind "exit 0 means judged".

A real answer is a 2xx, or a refusal the spec documents for the operation (a status below 500, documented
exactly, as a range like `4XX`, or as `default`) that is not a 404 saying the URL is no route of the API
(`Exchange.is_no_route`). An operation that a run was told to cover and that got no real answer at all was never
judged: its checks passed on nothing, and what they found on such answers says nothing of the API's operation, but
for a server error or a request never answered in time (`ALWAYS_A_VERDICT`), violations whatever the route.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from pcaps_contract._errors import SpecError
from pcaps_contract.judge import checks
from pcaps_contract.openapi import Spec

NO_ROUTE = "404 without the API's envelope"  # the kind of a no-route answer, as the sentence names it
COULD_NOT_JUDGE = "could not judge "  # how the sentence starts
ALWAYS_A_VERDICT = frozenset({"not_a_server_error", "request_completes"})  # the second is fuzz's TRANSPORT_CHECK


def answer_kind(operation_id: str, status: int, content: bytes) -> str:
    """How an answer counts: its status (`"204"`), or `NO_ROUTE` for a 404 that is no answer of the operation."""
    return kind_of(checks.Exchange(operation_id, "", "", status, content))


def kind_of(exchange: checks.Exchange) -> str:
    """`answer_kind` of an exchange already read."""
    return NO_ROUTE if exchange.is_no_route else str(exchange.status)


def documented_statuses(spec: Spec, operation_ids: Iterable[str]) -> dict[str, frozenset[str]]:
    """The response keys the spec declares for each operation (`"200"`, `"4XX"`, `"default"`)."""
    documented = {}
    for operation_id in operation_ids:
        try:
            responses = spec.operation(operation_id).definition.get("responses") or {}
        except SpecError:  # an operation the spec does not have documents nothing
            responses = {}
        documented[operation_id] = frozenset(str(key).upper() for key in responses)
    return documented


def is_real(kind: str, documented: Collection[str]) -> bool:
    """Whether an answer of this kind is one the checks can judge the operation on."""
    if not kind.isdigit() or len(kind) != 3:
        return False
    return kind.startswith("2") or (kind < "500" and bool({kind, f"{kind[0]}XX", "DEFAULT"} & set(documented)))


def is_a_verdict(operation: str, check: str, unjudged: Collection[str]) -> bool:
    """Whether a violation of `check` on `operation` is a verdict, given the operations without a real answer."""
    return operation not in unjudged or check in ALWAYS_A_VERDICT


def without_real_answers(
    answers: Mapping[str, Mapping[str, int]], documented: Mapping[str, Collection[str]], covered: Iterable[str]
) -> dict[str, dict[str, int]]:
    """The covered operations without a single real answer, each with the answers it got (by kind, maybe none).

    `answers` holds the judged answers of each operation by kind (`answer_kind`); operations outside `covered`
    (excluded by the plan) are never named.
    """
    unjudged = {}
    for operation in covered:
        got = {kind: count for kind, count in (answers.get(operation) or {}).items() if count > 0}
        if not any(is_real(kind, documented.get(operation, ())) for kind in got):
            unjudged[operation] = got
    return unjudged


def could_not_judge(unjudged: Mapping[str, Mapping[str, int]], why_none: str = "") -> str:
    """One sentence naming each unjudged operation and what it got: "could not judge delete_bucket: its 12
    answers were all 404 without the API's envelope"."""
    parts = []
    for operation, got in unjudged.items():
        total = sum(got.values())
        if not got:
            parts.append(f"{operation}: it got no answer to judge{f' ({why_none})' if why_none else ''}")
        elif len(got) == 1 and NO_ROUTE in got:
            parts.append(f"{operation}: its {total} answer(s) were all {NO_ROUTE}")
        elif len(got) == 1:
            kind = next(iter(got))
            parts.append(f"{operation}: its {total} answer(s) were all {kind}, a status the spec does not document")
        else:
            shown = ", ".join(f"{kind} x{count}" for kind, count in sorted(got.items()))
            parts.append(f"{operation}: its {total} answer(s) were {shown}, none a 2xx or a documented refusal")
    return COULD_NOT_JUDGE + "; ".join(parts)
