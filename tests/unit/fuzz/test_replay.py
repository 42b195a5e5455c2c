"""Replay files: they compile for any recorded bytes, re-send exactly those bytes, and never hold a secret."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcaps_contract import replay as replay_module
from pcaps_contract._credentials import Credentials
from pcaps_contract._urls import Refusal
from pcaps_contract.fuzz.findings import TRANSPORT_CHECK, Exemplar, Finding
from pcaps_contract.fuzz.replay import replay_source, write_replay

BASE = "http://127.0.0.1:8787/client/v4"
TOKEN = "replay-canary-token-0123456789abcdefghij"
_CREDENTIAL_HEADERS = {"authorization", "x-auth-email", "x-auth-key"}
header_names = st.text(min_size=1).filter(lambda name: name.lower() not in _CREDENTIAL_HEADERS)
paths = st.text().filter(lambda path: "://" not in path)


def finding_of(
    body: bytes | None, headers: dict[str, str], path: str, text: str = "", check: str = TRANSPORT_CHECK
) -> Finding:
    exemplar = Exemplar(
        "add_bucket",
        "POST",
        BASE + path,
        path_parameters={"account_id": text},
        query={text: [text, 1.5, None]},
        headers=headers,
        body=None if body is None else body.decode("utf-8", "replace"),
        status=500,
        body_base64=None if body is None else base64.b64encode(body).decode("ascii"),
    )
    return Finding("add_bucket", check, f"cause {text}", f"expected {text}", f"received {text}", exemplar)


class Sent:
    """A fake sender: records what the replay would have put on the wire."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes | None]] = []

    def __call__(self, method: str, url: str, headers: Any, content: bytes | None) -> httpx.Response:
        self.requests.append((method, url, dict(headers), content))
        return httpx.Response(500, content=b"boom")


def run_module(source: str, monkeypatch: pytest.MonkeyPatch) -> Sent:
    """Compile and run the replay module's test function with the fake sender; returns what was sent."""
    sent = Sent()
    monkeypatch.setattr(replay_module, "_send_request", sent)
    namespace: dict[str, Any] = {}
    exec(compile(source, "test_replay_module.py", "exec"), namespace)
    [test] = [value for name, value in namespace.items() if name.startswith("test_")]
    test()
    return sent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(st.none(), st.binary()),
    headers=st.dictionaries(header_names, st.text(), max_size=4),
    path=paths,
    text=st.text(),
)
def test_a_replay_module_compiles_for_any_bytes_and_resends_exactly_them(
    monkeypatch: pytest.MonkeyPatch, body: bytes | None, headers: dict[str, str], path: str, text: str
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.delenv("PCAPS_BASE_URL", raising=False)
    source = replay_source(finding_of(body, headers, path, text), BASE, "test_x.py")
    [(method, url, sent_headers, content)] = run_module(source, monkeypatch).requests
    assert (method, url, content) == ("POST", BASE + path, body)
    assert sent_headers == {**headers, "Authorization": f"Bearer {TOKEN}"}


def test_a_body_with_nul_bytes_backslashes_and_triple_quotes_makes_a_module_that_compiles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = b'{"destination_conf": "s3://b\x00\\u0000\\"""\xff"}'
    finding = finding_of(body, {"X-Odd": '"""\\\x00'}, "/accounts/a/pcaps/ownership", text='"""\\N{x}\x00\r')
    source = replay_source(finding, BASE, "test_x.py")
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    [(_, _, _, content)] = run_module(source, monkeypatch).requests
    assert content == body and "\x00" not in source and source.isascii()


def test_the_replay_file_holds_no_secret_and_sends_the_credentials_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = Credentials(token="s3cr3t-token-that-a-server-echoed-back-1234")
    assert secret.token is not None
    body = f'{{"destination_conf": "s3://b?k={secret.token}"}}'.encode()
    finding = finding_of(body, {"X-Echo": secret.token}, f"/accounts/{secret.token}", text=secret.token[:30] + "…")
    path = write_replay(finding, tmp_path, BASE, secret.redact)
    source = path.read_text(encoding="utf-8")
    assert secret.token[:12] not in source and secret.token[-12:] not in source and "$CLOUDFLARE_API_TOKEN" in source
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    [(_, url, headers, _)] = run_module(source, monkeypatch).requests
    assert headers["Authorization"] == f"Bearer {TOKEN}" and url.endswith("/accounts/$CLOUDFLARE_API_TOKEN")


def test_a_replay_refuses_to_send_credentials_to_another_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    sent = Sent()
    monkeypatch.setattr(replay_module, "_send_request", sent)
    for path in ("http://127.0.0.1:9999/client/v4/x", "https://evil.example.com/client/v4"):
        request = {"operation": "add_bucket", "check": TRANSPORT_CHECK, "method": "GET", "path": path}
        with pytest.raises(RuntimeError, match="credentials to the target only"):
            replay_module.replay(request, recorded_base_url=BASE)
    replay_module.replay({**request, "path": BASE + "/x"}, recorded_base_url=BASE)
    assert [url for _, url, _, _ in sent.requests] == [BASE + "/x"]


def test_a_replay_aimed_elsewhere_goes_through_the_same_refusals_as_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setattr(replay_module, "_send_request", Sent())
    request = {"operation": "add_bucket", "check": TRANSPORT_CHECK, "method": "GET", "path": "/x"}
    monkeypatch.setenv("PCAPS_BASE_URL", "http://api.cloudflare.com\\@127.0.0.1:8787/client/v4")
    with pytest.raises(Refusal, match="backslash"):
        replay_module.replay(request, recorded_base_url=BASE)
    monkeypatch.setenv("PCAPS_BASE_URL", "http://[::1]:8787/client/v4")
    replay_module.replay(request, recorded_base_url=BASE)


def test_a_replay_file_of_the_old_shape_still_sends_its_text_body(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    sent = Sent()
    monkeypatch.setattr(replay_module, "_send_request", sent)
    request = {"operation": "add_bucket", "check": TRANSPORT_CHECK, "method": "POST", "path": "/x", "body": "{}"}
    replay_module.replay(request, recorded_base_url=BASE)
    assert sent.requests[0][3] == b"{}"


@pytest.mark.parametrize(("hours", "fixed"), [(-1, False), (0, True)], ids=["still an hour behind", "fixed"])
def test_a_replay_judges_an_added_record_by_the_window_it_was_sent_in(
    monkeypatch: pytest.MonkeyPatch, hours: int, fixed: bool
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    stamped = (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ownership = {
        "id": "a" * 32,
        "destination_conf": "s3://b",
        "filename": "f",
        "status": "pending",
        "submitted": stamped,
    }

    def answer(method: str, url: str, headers: Any, content: bytes | None) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "errors": [], "messages": [], "result": ownership})

    monkeypatch.setattr(replay_module, "_send_request", answer)
    check = "submitted_is_not_before_add"
    request = {"operation": "add_bucket", "check": check, "method": "POST", "path": "/x", "body": "{}"}
    if fixed:
        replay_module.replay(request, recorded_base_url=BASE)
    else:
        with pytest.raises(AssertionError, match="submitted"):
            replay_module.replay(request, recorded_base_url=BASE)
