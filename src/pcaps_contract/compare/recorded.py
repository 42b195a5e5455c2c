"""`compare --replay FILE`: each recorded request sent again to one target, its answer compared with the recorded one.

The recording (HAR or the proxy's NDJSON) is read through `_traffic` (streamed, bounded). Side A of every difference
is the recording, side B the target. The target gets its own credentials and accounts, never the recorded ones:
the recording's accounts map to the target's in the order they first appear, and the ids of records created
during the replay map by role to the recorded ids (`normalize.Roles`). Writes (POST and DELETE) are sent only with
`--allow-writes`, else skipped and counted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcaps_contract._credentials import API_KEY_ENV, EMAIL_ENV, TOKEN_ENV, r2_secrets
from pcaps_contract._json import parsed_or_none
from pcaps_contract.compare.cases import Case
from pcaps_contract.compare.divergence import Policy, differences
from pcaps_contract.compare.normalize import Roles, Window
from pcaps_contract.compare.result import Outcome
from pcaps_contract.compare.sequence import (
    answer_of,
    comparable,
    contract_differences,
    curl_of,
    found_of,
    stop,
)
from pcaps_contract.compare.sides import Sent, Side, operation_url
from pcaps_contract.openapi import Spec, api
from pcaps_contract.passive import Recorded, Secrets
from pcaps_contract.report import FailureFound

RECORDED = "recording"
TARGET = "target"


def replay(
    path: Path,
    side: Side,
    spec: Spec,
    policy: Policy,
    outcome: Outcome,
    allow_writes: bool,
    max_requests: int | None,
    redact: Any,
) -> None:
    """Replay the recording against the side; the differences into `outcome`."""
    from pcaps_contract.passive import PassiveJudge, Router, read_traffic

    router = Router(spec)
    # The recording judged as `verify` judges it, every exchange in order: which checks each recorded answer broke.
    recorded_broken: list[str] = []

    def told(event: Any) -> None:
        if isinstance(event, FailureFound):
            recorded_broken.append(event.failure.check)

    judge = PassiveJudge(spec, listener=told, clock_skew=side.options.clock_skew)
    recorded_roles = Roles()
    secrets = Secrets()
    accounts: dict[str, str] = {}
    counts = {"writes": 0, "other": 0, "throttled": 0, "accounts": 0}
    adds = 0
    for exchange in read_traffic(path, side.options.max_response_bytes):
        _learn(secrets, exchange, redact)
        if stop(outcome, [side], max_requests):
            break
        recorded_broken.clear()
        judge.begin(exchange.method, exchange.url, exchange.request_body, exchange.started)
        judge.feed(exchange)
        matched = router.match(exchange.method, exchange.url)
        if matched is None:
            counts["other"] += 1
            continue
        operation = matched[1].operation_id or ""
        parameters = matched[2]
        if exchange.status == 429:
            counts["throttled"] += 1
            continue
        if exchange.method.upper() != "GET" and not allow_writes:
            counts["writes"] += 1
            continue
        account = _account(accounts, parameters.get("account_id", ""), side.options.accounts)
        if account is None:
            counts["accounts"] += 1
            continue
        recorded_id = parameters.get("ownership_id")
        mine = None
        if recorded_id is not None:
            role = recorded_roles.role_of(recorded_id)
            mine = side.roles.id_of(role) if role is not None else recorded_id
        creates = None
        if operation == api.ADD and exchange.status == 200:
            adds += 1
            creates = f"r{adds}"
            recorded_roles.name(_result_id(exchange.response_body), creates)
        case = Case(outcome.cases + 1, operation, f"{exchange.method} {operation}", creates=creates)
        side.account = account
        url = operation_url(side, operation, mine)
        sent = side.send(
            exchange.method.upper(), url, exchange.request_body or None, mine if operation == api.DELETE else None
        )
        if creates is not None and sent.recorded is not None and 200 <= sent.recorded.status < 300:
            side.roles.name(_result_id(sent.recorded.response_body), creates)
        outcome.cases += 1
        then = Window(*_window(exchange), skew=side.options.clock_skew)
        before = answer_of(exchange.status, exchange.response_body, recorded_roles, then, adding=creates is not None)
        now = comparable(side, case, sent)
        original = Sent(exchange.method, exchange.url, exchange.request_body or None, recorded=exchange)
        requests = ((RECORDED, _recorded_curl(original)), (TARGET, curl_of(side, sent)))
        target_broken = [failure.check for failure in sent.broken]
        breaker = {"A": RECORDED, "B": TARGET}
        one = breaker["A"] if recorded_broken and not target_broken else None
        one = breaker["B"] if target_broken and not recorded_broken else one
        for difference in differences(operation, before, now, policy):
            outcome.add(found_of(case, difference, policy, requests, breaks=one))
        for difference, side_name in contract_differences(recorded_broken, target_broken):
            outcome.add(found_of(case, difference, policy, requests, breaks=breaker[side_name]))
    said = {
        "writes": "recorded write(s) (POST, DELETE) skipped: give --allow-writes to replay them against this target",
        "other": "recorded exchange(s) not of an operation of the spec, skipped",
        "throttled": "recorded answer(s) 429, skipped (the API's rate limit is never compared)",
        "accounts": "exchange(s) of more recorded accounts than the target has, skipped (give more --account-id)",
    }
    outcome.skipped += [f"{count} {said[key]}" for key, count in counts.items() if count]


def _learn(secrets: Secrets, exchange: Recorded, redact: Any) -> None:
    """The recorded request's secrets (its headers', an r2:// body's keys) into the run's one redaction."""
    secrets.learn(exchange.request_headers, exchange.request_body)
    for secret, variable in (
        (secrets.token, f"${TOKEN_ENV}"),
        (secrets.email, f"${EMAIL_ENV}"),
        (secrets.api_key, f"${API_KEY_ENV}"),
    ):
        redact.add(secret, variable)
    body = parsed_or_none(exchange.request_body)
    conf = body.get("destination_conf") if isinstance(body, dict) else None
    for secret, variable in r2_secrets(conf) if isinstance(conf, str) else ():
        redact.add(secret, variable)


def _account(accounts: dict[str, str], recorded: str, mine: tuple[str, ...]) -> str | None:
    if recorded not in accounts:
        if len(accounts) >= len(mine):
            return None
        accounts[recorded] = mine[len(accounts)]
    return accounts[recorded]


def _result_id(body: bytes) -> Any:
    document = parsed_or_none(body)
    result = document.get("result") if isinstance(document, dict) else None
    return result.get("id") if isinstance(result, dict) else None


def _window(exchange: Recorded) -> tuple[datetime | None, datetime | None]:
    started = datetime.fromtimestamp(exchange.started, UTC)
    return started, datetime.fromtimestamp(exchange.ended, UTC) if exchange.ended_known else None


def _recorded_curl(sent: Sent) -> str:
    body = sent.body.decode("utf-8", "replace") if sent.body is not None else ""
    return f"(recorded) {sent.method} {sent.url}" + (f" {body}" if body else "")
