"""Replay files: one small pytest module per finding that re-sends its request and asserts the broken rule.

A replay test fails while the finding is still there and passes once it is fixed. It reads the credentials from
`CLOUDFLARE_API_TOKEN` (or `CLOUDFLARE_EMAIL` + `CLOUDFLARE_API_KEY`) and the target from `PCAPS_BASE_URL`
(default: the URL the run used), so that the file itself never holds a secret.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from pcaps_contract import _checks as checks
from pcaps_contract._fuzz.findings import TRANSPORT_CHECK, Finding
from pcaps_contract._text import clip

BASE_URL_ENV = "PCAPS_BASE_URL"
TIMEOUT_SECONDS = 30.0
_NOT_IDENTIFIER = re.compile(r"[^0-9A-Za-z_]")


def replay_filename(finding: Finding) -> str:
    return f"test_{finding.key}_{_identifier(finding.operation)}_{_identifier(finding.check)}.py"


def _identifier(text: str) -> str:
    return _NOT_IDENTIFIER.sub("_", text) or "_"


def _doc(text: object) -> str:
    """Text for a docstring that reads as itself and cannot end it: every odd character written as an escape."""
    return ascii(str(text))[1:-1].replace('"', "\\x22")


def replay_source(finding: Finding, base_url: str, filename: str) -> str:
    """The replay module of one finding: every value a Python literal (`ascii()`), so it compiles for any bytes."""
    exemplar = finding.exemplar
    path = exemplar.url[len(base_url) :] if exemplar.url.startswith(base_url) else exemplar.url
    fields = [
        ("operation", ascii(finding.operation)),
        ("check", ascii(finding.check)),
        ("method", ascii(exemplar.method)),
        ("path", ascii(path)),
        ("path_parameters", f"json.loads({json.dumps(exemplar.path_parameters, default=str)!a})"),
        ("query", f"json.loads({json.dumps(exemplar.query, default=str)!a})"),
        ("headers", ascii({str(name): str(value) for name, value in exemplar.headers.items()})),
        ("content", repr(exemplar.content)),
        ("authenticated", repr(bool(exemplar.authenticated))),
        ("recorded_status", repr(exemplar.status if isinstance(exemplar.status, int) else None)),
    ]
    request = "".join(f"    {name!r}: {value},\n" for name, value in fields)
    return (
        f'"""Replay of finding {_doc(finding.key)}: `{_doc(finding.check)}` on `{_doc(finding.operation)}` '
        f"(seen {int(finding.count)} time(s) while fuzzing {_doc(base_url)}).\n"
        "\n"
        f"Expected: {_doc(finding.expected)}\n"
        f"Received: {_doc(finding.received)}\n"
        "\n"
        f"Run: pytest {_doc(filename)}\n"
        "It fails while the finding is there and passes once it is fixed. Credentials come from CLOUDFLARE_API_TOKEN\n"
        "(or CLOUDFLARE_EMAIL + CLOUDFLARE_API_KEY); PCAPS_BASE_URL points it at another deployment.\n"
        '"""\n'
        "\n"
        "import json\n"
        "\n"
        "from pcaps_contract._fuzz.replay import replay\n"
        "\n"
        f"REQUEST = {{\n{request}}}\n"
        "\n"
        "\n"
        f"def test_{_identifier(finding.check)}_on_{_identifier(finding.operation)}():\n"
        f"    replay(REQUEST, recorded_base_url={base_url!a})\n"
    )


def write_replay(finding: Finding, directory: Path, base_url: str, redact: Callable[[str], str]) -> Path:
    """Write the replay module of one finding, redacted value by value before it is written; returns its path."""
    finding = finding.redacted(redact)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / replay_filename(finding)
    path.write_text(replay_source(finding, redact(base_url), path.name), encoding="utf-8")
    return path


def send_request(method: str, url: str, headers: Mapping[str, str], content: bytes | None) -> httpx.Response:
    """Send one request as recorded: no redirect followed (credentials stay with the target), a bounded wait."""
    return httpx.request(
        method, url, headers=dict(headers), content=content, follow_redirects=False, timeout=TIMEOUT_SECONDS
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
    try:
        response = send_request(str(request["method"]), url, headers, content)
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

    from pcaps_contract._spec import load_spec

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
        raise AssertionError(f"{found}\nReceived: status {status}: {clip(response.text, 200)}") from None
