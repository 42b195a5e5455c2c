"""The cases sent to every side in turn, one case at a time, and what differs after each.

Both sides get each case before the next is sent, so that what each holds after a step is compared at that step;
each side's ids are its own (`normalize.Roles`). A side with a `--noise-from` twin: the fields where the two
known-good sides differ are noise, learned over the whole run per operation and field, as Diffy learns them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from pcaps_contract._json import loads, parsed_or_none
from pcaps_contract.compare.cases import Case, Delivered
from pcaps_contract.compare.divergence import Answer, Difference, Policy, differences, is_divergence
from pcaps_contract.compare.normalize import Roles, Window, normalized
from pcaps_contract.compare.result import ALLOWED, DIVERGENCE, MAX_KEPT, NOISE, Found, Outcome, SideSummary
from pcaps_contract.compare.sides import Sent, Side, operation_url
from pcaps_contract.engine import SERVED_ORIGIN, id_problem
from pcaps_contract.judge import Step
from pcaps_contract.openapi import api

CONTRACT = "contract"


def answer_of(recorded_status: int | None, body: bytes, roles: Roles, window: Window, *, adding: bool) -> Answer:
    """A side's answer made comparable: its body read by the bounded reader, then normalised by role."""
    if recorded_status is None:
        return Answer(None)
    if not body:
        return Answer(recorded_status, None, json=True)
    try:
        value = loads(body)
    except ValueError:
        return Answer(recorded_status, None, json=False)
    return Answer(recorded_status, normalized(value, roles, window, adding=adding))


def contract_differences(broken_a: Sequence[str], broken_b: Sequence[str]) -> list[tuple[Difference, str]]:
    """A check one side broke on the case and the other kept, with the side that broke it."""
    found = []
    for check in dict.fromkeys([*broken_a, *broken_b]):
        if (check in broken_a) != (check in broken_b):
            side = "A" if check in broken_a else "B"
            a, b = ("breaks it", "keeps it") if side == "A" else ("keeps it", "breaks it")
            found.append((Difference(check, CONTRACT, a, b), side))
    return found


def curl_of(side: Side, sent: Sent) -> str:
    """The request as a runnable curl, the side's secrets as its own variables (`$CLOUDFLARE_API_TOKEN_B`)."""
    if sent.skipped:
        return f"(not sent: {sent.skipped})"
    body = sent.body.decode("utf-8", "replace") if sent.body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    origin = SERVED_ORIGIN if side.options.target.in_process else None
    command = Step(sent.method, sent.url, headers, body, authenticated=False).curl(side.options.credentials, origin)
    auth = [header.removesuffix('"') + side.suffix + '"' for header in side.options.credentials.curl_headers()]
    return " ".join(["curl", *auth, command.removeprefix("curl ")])


def run_cases(
    cases: Sequence[Case],
    sides: Sequence[Side],
    noise: Side | None,
    policy: Policy,
    outcome: Outcome,
    max_requests: int | None = None,
) -> None:
    """Every case to every side (and the noise twin), in order; the differences into `outcome`."""
    a, b = sides
    learned_noise: set[tuple[str, str]] = set()
    kept: list[Found] = []  # until the run ends, so that noise learned later reclasses them (bounded: MAX_KEPT)

    def keep(found: Found) -> None:
        if len(kept) < MAX_KEPT:
            kept.append(found)
        else:
            outcome.add(found)

    for case in cases:
        if stop(outcome, [*sides, *([noise] if noise else [])], max_requests):
            break
        everyone = (*sides, *([noise] if noise else []))
        if case.needs_challenges and any(side.source is None for side in everyone):
            outcome.skipped.append(f"case {case.number} ({case.label}): a side delivers no challenge the run can read")
            continue
        if case.foreign and any(len(side.options.accounts) < 2 for side in everyone):
            outcome.skipped.append(f"case {case.number} ({case.label}): give each side two accounts to compare tenancy")
            continue
        sent_a, sent_b = send_case(a, case), send_case(b, case)
        outcome.cases += 1
        answer_a, answer_b = comparable(a, case, sent_a), comparable(b, case, sent_b)
        requests = ((a.name, curl_of(a, sent_a)), (b.name, curl_of(b, sent_b)))
        broken_a = [failure.check for failure in sent_a.broken]
        broken_b = [failure.check for failure in sent_b.broken]
        breaker = "A" if broken_a and not broken_b else "B" if broken_b and not broken_a else None
        for difference in differences(case.operation, answer_a, answer_b, policy):
            keep(found_of(case, difference, policy, requests, breaks=breaker))
        for difference, side in contract_differences(broken_a, broken_b):
            keep(found_of(case, difference, policy, requests, breaks=side))
        for check in sorted(set(broken_a) & set(broken_b)):
            outcome.notes.append(f"both sides break {check} at case {case.number} ({case.label}).")
        if noise is not None:
            sent_n = send_case(noise, case)
            answer_n = comparable(noise, case, sent_n)
            for difference in differences(case.operation, answer_a, answer_n, policy):
                learned_noise.add((case.operation, difference.field))
    overflow, outcome.found = outcome.found, []
    for found in [*kept, *overflow]:
        if found.verdict == DIVERGENCE and (found.operation, found.difference.field) in learned_noise:
            found = Found(
                found.case, found.operation, found.label, found.difference, NOISE, found.requests, found.breaks
            )
        outcome.add(found)


def stop(outcome: Outcome, sides: Sequence[Side], max_requests: int | None) -> bool:
    """Whether the run sends no more: a side's target halted (the verdict), or the budget is spent (`stopped`)."""
    halted = next((side.halted for side in sides if side.halted), None)
    if halted is not None:
        outcome.error = outcome.error or f"could not judge every case: {halted}"
        return True
    stopped = next((side.stopped for side in sides if side.stopped), None)
    if stopped is None and max_requests is not None and max(side.sent for side in sides) >= max_requests:
        stopped = f"--max-requests {max_requests} was reached"
    if stopped is not None:
        outcome.stopped = f"{stopped} after {outcome.cases} case(s)"
        return True
    return False


def found_of(
    case: Case, difference: Difference, policy: Policy, requests: tuple[tuple[str, str], ...], breaks: str | None = None
) -> Found:
    verdict = DIVERGENCE if is_divergence(difference, policy) else ALLOWED
    return Found(case.number, case.operation, case.label, difference, verdict, requests, breaks)


def send_case(side: Side, case: Case) -> Sent:
    """The case as this side's request (its own ids and challenges), sent; or why it could not be sent."""
    ownership_id = case.literal
    if case.target is not None:
        ownership_id = side.roles.id_of(case.target)
        if ownership_id is None:
            url = operation_url(side, case.operation, f"<{case.target}>")
            return Sent(case.method, url, None, skipped=f"no record {case.target} on this side (its add made none)")
    problem = id_problem(ownership_id) if case.target is not None else None
    if problem is not None:  # an id the side answered that no request can carry (the cleanup's rule): never sent
        return Sent(case.method, side.path("<unsendable id>"), None, skipped=problem)
    account = side.options.accounts[1] if case.foreign else case.account
    url = operation_url(side, case.operation, ownership_id, account)
    body = case.raw if case.raw is not None else _body(side, case.body)
    # A delete in another account leaves the record where it is (404 says nothing of it): the cleanup still holds it.
    deleting = ownership_id if case.operation == api.DELETE and not case.foreign else None
    sent = side.send(case.method, url, body, deleting)
    if case.creates is not None and sent.recorded is not None and 200 <= sent.recorded.status < 300:
        document = parsed_or_none(sent.recorded.response_body)
        result = document.get("result") if isinstance(document, dict) else None
        if isinstance(result, dict):
            side.roles.name(result.get("id"), case.creates)
            side.added[case.creates] = time.monotonic()
    return sent


def comparable(side: Side, case: Case, sent: Sent) -> Answer:
    recorded = sent.recorded
    if recorded is None:
        return Answer(None, missing=f"not sent: {sent.skipped}" if sent.skipped else sent.error)
    window = Window(*side.window(sent), skew=side.options.clock_skew)
    return answer_of(recorded.status, recorded.response_body, side.roles, window, adding=case.creates is not None)


def _body(side: Side, body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, dict) and isinstance(body.get("ownership_challenge"), Delivered):
        role = body["ownership_challenge"].role
        ownership_id = side.roles.id_of(role) or ""
        challenge = side.challenge(role, body["destination_conf"], ownership_id, side.roles.filenames.get(role, ""))
        body = {**body, "ownership_challenge": challenge or ""}
    return json.dumps(body).encode()


def summaries(sides: Sequence[Side], name: Callable[[Side], str] = lambda side: side.name) -> list[SideSummary]:
    summary = []
    for side in sides:
        broken: dict[str, int] = {}
        for operation in side.judge.ledger.operations:
            for check in side.judge.ledger.checks:
                cell = side.judge.ledger.cells.get((operation, check))
                if cell is not None and cell.failed:
                    broken[check] = broken.get(check, 0) + cell.failed
        # Over a network every request the sender sent (the preflight's and the cleanup's too); in-process the cases'.
        sent = side.connection.stats["requests"] if side.connection.adapter is not None else side.sent
        summary.append(SideSummary(name(side), side.description, sent, dict(side.statuses), broken))
    return summary
