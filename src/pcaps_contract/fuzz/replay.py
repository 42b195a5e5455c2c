"""Replay files: one small pytest module per finding that re-sends its request and asserts the broken rule.

A replay test fails while the finding is still there and passes once it is fixed. It reads the credentials from
`CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`) and the target from `PCAPS_BASE_URL`
(default: the URL the run used), so that the file itself never holds a secret.
"""

from __future__ import annotations

import json
import os
import pprint
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from pcaps_contract import checks
from pcaps_contract.fuzz.findings import TRANSPORT_CHECK, Finding

BASE_URL_ENV = "PCAPS_BASE_URL"
_TEMPLATE = '''"""Replay of finding {key}: `{check}` on `{operation}` (seen {count} time(s) while fuzzing {target}).

Expected: {expected}
Received: {received}

Run: pytest {filename}
It fails while the finding is there and passes once it is fixed. Credentials come from CLOUDFLARE_API_TOKEN
(or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY); PCAPS_BASE_URL points it at another deployment.
"""

from pcaps_contract.fuzz.replay import replay

REQUEST = {request}


def test_{function}():
    replay(REQUEST, recorded_base_url={base_url!r})
'''


def replay_filename(finding: Finding) -> str:
    return f"test_{finding.key}_{finding.operation}_{finding.check}.py"


def write_replay(finding: Finding, directory: Path, base_url: str, redact: Any) -> Path:
    """Write the replay module of one finding; returns its path."""
    exemplar = finding.exemplar
    request = {
        "operation": finding.operation,
        "check": finding.check,
        "method": exemplar.method,
        "path": exemplar.url[len(base_url) :] if exemplar.url.startswith(base_url) else exemplar.url,
        "path_parameters": exemplar.path_parameters,
        "query": exemplar.query,
        "headers": exemplar.headers,
        "body": exemplar.body,
        "authenticated": exemplar.authenticated,
        "recorded_status": exemplar.status,
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / replay_filename(finding)
    text = _TEMPLATE.format(
        key=finding.key,
        check=finding.check,
        operation=finding.operation,
        count=finding.count,
        target=base_url,
        expected=finding.expected.replace('"""', "'''"),
        received=finding.received.replace('"""', "'''"),
        filename=path.name,
        request=pprint.pformat(request, width=110, sort_dicts=False),
        function=f"{finding.check}_on_{finding.operation}",
        base_url=base_url,
    )
    path.write_text(redact(text), encoding="utf-8")
    return path


def replay(request: Mapping[str, Any], recorded_base_url: str, environ: Mapping[str, str] | None = None) -> None:
    """Send the recorded request again and assert the rule the finding broke; raises AssertionError if it is broken."""
    from pcaps_contract.credentials import resolve_credentials

    env = os.environ if environ is None else environ
    base_url = env.get(BASE_URL_ENV, recorded_base_url).rstrip("/")
    headers = dict(request.get("headers") or {})
    if request.get("authenticated", True):
        headers.update(resolve_credentials(None, None, None, env).headers())
    body = request.get("body")
    url = request["path"] if "://" in request["path"] else base_url + request["path"]
    check = str(request["check"])
    try:
        response = httpx.request(
            request["method"], url, headers=headers, content=body.encode() if body is not None else None, timeout=30
        )
    except httpx.TransportError as exc:
        raise AssertionError(f"Expected: a response\nReceived: {type(exc).__name__}") from None
    if check == TRANSPORT_CHECK:
        return
    if response.status_code in (401, 403) and request.get("recorded_status") not in (401, 403):
        # Refused credentials would hide the finding and pass the test: that must not read as "fixed".
        raise RuntimeError(
            f"{url} answered {response.status_code}: the credentials are refused; set CLOUDFLARE_API_TOKEN "
            "(or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY) to credentials of this account."
        )
    exchange = checks.Exchange(
        operation_id=request["operation"],
        method=request["method"],
        url=url,
        status=response.status_code,
        content=response.content,
        request_body=_json_or_none(body),
        request_headers=headers,
        response_headers=dict(response.headers),
    )
    if check in checks.RESPONSE_CHECKS:
        checks.RESPONSE_CHECKS[check](exchange, checks.Policy())
        return
    _builtin(request, check, response)


def _json_or_none(body: str | None) -> Any:
    try:
        return json.loads(body) if body is not None else None
    except ValueError:
        return None


def _builtin(request: Mapping[str, Any], check: str, response: httpx.Response) -> None:
    """A schemathesis built-in check on the replayed response; checks that judge generated data by its mode
    (negative or positive) are judged by the status codes their configuration accepts."""
    import schemathesis
    from schemathesis.checks import CHECKS, load_all_checks
    from schemathesis.core.failures import FailureGroup

    from pcaps_contract.spec import load_spec

    schema = schemathesis.openapi.from_dict(load_spec().document)
    operation = schema.find_operation_by_id(request["operation"])
    config = schema.config.checks_config_for()
    status = response.status_code
    if check in ("negative_data_rejection", "positive_data_acceptance"):
        section = getattr(config, check)
        allowed = {str(code) for code in (section.expected_statuses or [])}
        if not ({str(status), f"{status // 100}XX"} & allowed):
            raise AssertionError(f"Expected: one of {', '.join(sorted(allowed))}\nReceived: status {status}")
        return
    case = operation.Case(path_parameters=dict(request.get("path_parameters") or {}), query=request.get("query"))
    try:
        load_all_checks()
        case.validate_response(response, checks=[CHECKS.get_one(check)])  # type: ignore[list-item]
    except FailureGroup as group:
        found = "\n\n".join(str(failure) for failure in group.exceptions)
        raise AssertionError(f"{found}\nReceived: status {status}: {response.text[:200]}") from None
