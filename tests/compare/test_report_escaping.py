"""Every value a server answers is shown escaped: on the terminal (`printable`), in JSON, JUnit and HTML (autoescape
under the Content-Security-Policy); and a record whose id no request can carry is never sent, but left behind, exit 3.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Redactor
from pcaps_contract.compare.divergence import Difference
from pcaps_contract.compare.report import html, junit, text
from pcaps_contract.compare.result import DIVERGENCE, Found, Outcome, SideSummary
from pcaps_contract.openapi import api
from tests.cli.helpers import Run
from tests.cli.served import served_mock
from tests.compare.test_compare_cli import PEER_SECRET, run_cli  # noqa: F401 (the fixture)
from tests.peers.server import serve_peer

pytestmark = pytest.mark.sockets  # compare served or in a process, over 127.0.0.1

HOSTILE = "\x1b[31m<script>\u202e"
UNSHOWABLE = {chr(code) for code in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))} | {"\u202e"}


def outcome_of(a: object, b: object, secret: str) -> Outcome:
    difference = Difference("result.filename", "value", a, b)
    found = Found(3, api.ADD, "add r1", difference, DIVERGENCE, (("A", f"curl -d {secret}"), ("B", "curl")))
    return Outcome("compare", 1, [SideSummary("A", "a"), SideSummary("B", "b")], [found], cases=3)


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_whatever_a_server_answers_is_shown_escaped_in_every_writer(a: str, b: str) -> None:
    secret = "s3cr3t-token-value-000111"
    redact = Redactor([(secret, "$CLOUDFLARE_API_TOKEN")])
    outcome = outcome_of(a, b, secret)
    shown = text(outcome, redact)
    assert not UNSHOWABLE & set(shown.replace("\n", "")), ascii(shown)
    page = html(outcome, redact)
    assert "<script" not in page.lower().replace("script-src", "") and secret not in page
    ElementTree.fromstring(junit(outcome, redact))  # parses: every character XML cannot carry is escaped
    assert secret not in shown


def test_an_id_no_request_can_carry_is_never_sent_and_is_left_behind(run_cli: Run, tmp_path: Path) -> None:  # noqa: F811
    with served_mock() as a, serve_peer(token=PEER_SECRET, odd_id=HOSTILE) as (b, peer):
        outcome = run_cli("compare", "--base-url", a, "--base-url", b, "--seed", "1", "--report-dir", str(tmp_path))
        held = [ownership for records in peer.store.values() for ownership in records]
    assert outcome.code == 3, outcome.stdout + outcome.stderr
    assert "left behind: side B: ownership" in outcome.stdout and "\x1b" not in outcome.stdout
    assert len(held) == 1 and held[0].startswith(HOSTILE)  # the one the report lists, nothing else
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 3 and any(item["path"] == "status" for item in result["divergences"])
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize("value", [HOSTILE, {"k": HOSTILE}, [HOSTILE]])
def test_a_hostile_value_on_the_terminal_keeps_its_escape_visible(value: object) -> None:
    shown = text(outcome_of(value, "x", "unused-secret-0000"), Redactor())
    assert "\x1b" not in shown and ("\\x1b" in shown or "\\u001b" in shown)


def test_a_writer_that_fails_ends_in_one_sentence_without_either_side_s_secret(
    run_cli: Run,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import pcaps_contract.compare.report as report

    def broken(*_: object) -> str:
        raise RuntimeError(f"the page could not be rendered for {PEER_SECRET}")

    monkeypatch.setattr(report, "html", broken)
    with served_mock() as a, serve_peer(token=PEER_SECRET) as (b, _):
        outcome = run_cli("compare", "--base-url", a, "--base-url", b, "--seed", "1", "--report-dir", str(tmp_path))
    assert outcome.code == 2
    assert outcome.stderr.count("\n") == 1 and "please report it" in outcome.stderr, outcome.stderr
    assert PEER_SECRET not in outcome.stdout + outcome.stderr and "$CLOUDFLARE_API_TOKEN_B" in outcome.stderr
