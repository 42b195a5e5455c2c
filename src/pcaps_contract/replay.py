"""What a replay file of `pcaps-contract fuzz` runs: send the recorded request again, assert the rule it broke.

A replay test fails while the finding is still there and passes once it is fixed. It reads the credentials from
`CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`) and the target from `PCAPS_BASE_URL`
(default: the URL the run used), so that the file itself never holds a secret. Credentials go to the target's
origin only, and no redirect is followed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC as _UTC
from datetime import datetime as _datetime
from typing import Any

import httpx

from pcaps_contract.fuzz import findings as _findings
from pcaps_contract.judge import checks as _checks

__all__ = ["BASE_URL_ENV", "replay"]

BASE_URL_ENV = "PCAPS_BASE_URL"
_TIMEOUT_SECONDS = 30.0


def _send_request(method: str, url: str, headers: Mapping[str, str], content: bytes | None) -> httpx.Response:
    """Send one request as recorded: no redirect followed (credentials stay with the target), a bounded wait."""
    return httpx.request(
        method, url, headers=dict(headers), content=content, follow_redirects=False, timeout=_TIMEOUT_SECONDS
    )


def replay(request: Mapping[str, Any], recorded_base_url: str, environ: Mapping[str, str] | None = None) -> None:
    """Send the recorded request again and assert the rule the finding broke; raises AssertionError if it is broken."""
    from pcaps_contract._credentials import resolve_credentials
    from pcaps_contract._urls import parse_target

    env = os.environ if environ is None else environ
    target = parse_target(env.get(BASE_URL_ENV, recorded_base_url), allow_production=True, flag=BASE_URL_ENV)
    path = str(request["path"])
    url = path if "://" in path else target.base_url + path
    if not target.same_origin(url):
        raise RuntimeError(f"{url!a} is not on {target.origin}; a replay sends its credentials to the target only.")
    headers = dict(request.get("headers") or {})
    if request.get("authenticated", True):
        headers.update(resolve_credentials(None, None, None, env).headers())
    content = request.get("content")
    if content is None and request.get("body") is not None:  # replay files written before `content` existed
        content = str(request["body"]).encode("utf-8")
    body = content.decode("utf-8", "replace") if isinstance(content, bytes) else None
    check = str(request["check"])
    sent_at = _datetime.now(_UTC)  # the window the rules on an answer's stamps judge it by
    try:
        response = _send_request(str(request["method"]), url, headers, content)
    except httpx.TransportError as exc:
        raise AssertionError(f"Expected: a response\nReceived: {type(exc).__name__}") from None
    if check == _findings.TRANSPORT_CHECK:
        return
    if response.status_code in (401, 403) and request.get("recorded_status") not in (401, 403):
        # Refused credentials would hide the finding and pass the test: that must not read as "fixed".
        raise RuntimeError(
            f"{url} answered {response.status_code}: the credentials are refused; set CLOUDFLARE_API_TOKEN "
            "(or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY) to credentials of this account."
        )
    exchange = _checks.Exchange(
        operation_id=request["operation"],
        method=request["method"],
        url=url,
        status=response.status_code,
        content=response.content,
        request_body=_json_or_none(body),
        request_headers=headers,
        response_headers=dict(response.headers),
        sent_at=sent_at,
        read_at=_datetime.now(_UTC),  # httpx.request reads the whole answer before it returns
    )
    if check in _checks.RESPONSE_CHECKS:
        _checks.RESPONSE_CHECKS[check](exchange, _checks.Policy())
        return
    from pcaps_contract.engine import judge_builtin
    from pcaps_contract.openapi import load_spec

    judge_builtin(load_spec(), str(request["operation"]), check, request, response)


def _json_or_none(body: str | None) -> Any:
    try:
        return json.loads(body) if body is not None else None
    except ValueError:
        return None
