"""Redaction is total: a secret at any offset around any cut never reaches an output, whole or in a piece."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from pcaps_contract._credentials import Credentials
from pcaps_contract._text import clip
from pcaps_contract.fuzz.findings import Exemplar, Finding, FindingSet, normalise_cause
from pcaps_contract.fuzz.replay import write_replay
from pcaps_contract.fuzz.report import Reporter
from pcaps_contract.fuzz.result import FuzzResult
from pcaps_contract.judge.ledger import Failure, Ledger, Step
from pcaps_contract.report.eventlog import EventLog
from pcaps_contract.report.run_report import RunReport

PIECE = 12
OFFSETS = range(150, 260)  # around the cuts at 160 (causes), 200 (bodies) and 300 (messages)
BASE = "http://127.0.0.1:8787/client/v4"
_random = random.Random(20240611)


def random_text(size: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_random.choice(alphabet) for _ in range(size))


TOKEN = Credentials(token=random_text(40))
KEY_PAIR = Credentials(email=f"ops.{random_text(24).lower()}@example.com", api_key=random_text(37, "0123456789abcdef"))
# Both styles in one run: every secret of each redacted from the same text.
BOTH = Credentials(token=random_text(40), email=f"ops.{random_text(24).lower()}@example.org", api_key=random_text(37))
CREDENTIALS = [
    pytest.param(TOKEN, id="token"),
    pytest.param(KEY_PAIR, id="email-and-key"),
    pytest.param(BOTH, id="token-email-and-key"),
]


def secrets_of(credentials: Credentials) -> list[str]:
    """Every secret value, to keep out of output (the email identifies a person, so it counts)."""
    return [value for value in (credentials.token, credentials.email, credentials.api_key) if value]


def assert_no_piece(credentials: Credentials, text: str) -> None:
    for secret in secrets_of(credentials):
        pieces = [secret[start : start + PIECE] for start in range(len(secret) - PIECE + 1)]
        leaked = [piece for piece in pieces if piece in text]
        assert not leaked, f"{leaked[0]!r} of a secret leaked into {text[:80]!r}…"


def echoed_bodies(credentials: Credentials) -> list[str]:
    """A server's answer echoing the secret(s), at every offset around the cuts."""
    echoed = " ".join(secrets_of(credentials))
    return ["x" * k + echoed + "y" * 50 for k in OFFSETS]


def cut_the_way_the_run_does(body: str) -> list[str]:
    """The values the run makes of a body today, each cut before anyone redacts it."""
    return [
        f"status 500: {body[:200]}",  # fuzz/run.py, `not_a_server_error`
        f"status 500; Server error: {clip(body, 300)}",  # gate.split_message
        f"Received: {body[:77]}...",  # schemathesis's truncate_json, a line of 80 columns
        f"{body[:200]}... and more",
    ]


def a_finding(body: str, credentials: Credentials) -> Finding:
    received = cut_the_way_the_run_does(body)[0]
    exemplar = Exemplar(
        "add_bucket", "POST", f"{BASE}/accounts/a/pcaps/ownership", headers={"X-Echo": body[:200]}, body=body[:200]
    )
    return Finding(
        "add_bucket",
        "not_a_server_error",
        normalise_cause(body, credentials.redact),
        "a status below 500",
        received,
        exemplar,
    )


@pytest.mark.parametrize("credentials", CREDENTIALS)
def test_redact_then_clip_keeps_no_piece_of_a_secret_at_any_offset(credentials: Credentials) -> None:
    for body in echoed_bodies(credentials):
        assert_no_piece(credentials, clip(credentials.redact(body), 200))
        assert_no_piece(credentials, normalise_cause(body, credentials.redact))


@pytest.mark.parametrize("credentials", CREDENTIALS)
def test_a_value_cut_before_redaction_still_loses_the_cut_piece_of_a_secret(credentials: Credentials) -> None:
    for body in echoed_bodies(credentials):
        assert_no_piece(credentials, credentials.redact(body[:200]))
        assert_no_piece(credentials, credentials.redact(clip(body, 200)))
        assert_no_piece(credentials, credentials.redact(body[-(len(body) - 170) :]))


@pytest.mark.slow  # over ten seconds on two shared cores
@pytest.mark.parametrize("credentials", CREDENTIALS)
def test_findings_hold_redacted_text_and_the_fuzz_reports_keep_no_piece(
    credentials: Credentials, tmp_path: Path
) -> None:
    for index, body in enumerate(echoed_bodies(credentials)):
        findings = FindingSet(redact=credentials.redact)
        findings.add(a_finding(body, credentials))
        [stored] = findings.all()
        assert_no_piece(credentials, json.dumps(stored.as_json(), ensure_ascii=False))
        result = FuzzResult(BASE, ["a"], 1, ["add_bucket"], "20 examples", "10/s", 1, "", 1.0, "budget spent")
        result.findings = [a_finding(body, credentials)]  # unredacted, as the run hands them over today
        result.errors = cut_the_way_the_run_does(body)
        reporter = Reporter(result, credentials)
        directory = tmp_path / str(index)
        reporter.write(directory)
        write_replay(a_finding(body, credentials), directory / "more", BASE, credentials.redact)
        outputs = [reporter.render_text(directory)]
        outputs += [path.read_text(encoding="utf-8") for path in directory.rglob("*") if path.is_file()]
        for output in outputs:
            assert_no_piece(credentials, output)


@pytest.mark.parametrize("credentials", CREDENTIALS)
def test_the_event_log_redacts_each_value_before_it_joins_the_line(credentials: Credentials, tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    events = EventLog(path, credentials.redact)
    for body in echoed_bodies(credentials):
        events.emit(
            "finding", received=cut_the_way_the_run_does(body)[0], nested={"list": cut_the_way_the_run_does(body)}
        )
    events.close()
    assert_no_piece(credentials, path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("credentials", CREDENTIALS)
def test_the_gates_report_redacts_with_the_same_function(credentials: Credentials, tmp_path: Path) -> None:
    for body in echoed_bodies(credentials):
        ledger = Ledger(["add_bucket"], ["not_a_server_error"])
        received = cut_the_way_the_run_does(body)[1]
        step = Step("POST", f"{BASE}/accounts/a", {"X-Echo": body[:200]}, body[:200])
        ledger.failed(Failure("add_bucket", "not_a_server_error", "a status below 500", received, (step,)))
        report = RunReport(BASE, 1, "quick", ledger, credentials)
        report.write_json(tmp_path / "r.json")
        report.write_junit(tmp_path / "j.xml")
        for output in (report.render(), (tmp_path / "r.json").read_text(), (tmp_path / "j.xml").read_text()):
            assert_no_piece(credentials, output)
    assert report.redact is not None and report.redact(body) == credentials.redact(body)


def test_secrets_escaped_by_json_urls_or_html_are_redacted_too() -> None:
    credentials = Credentials(email='o"neil+ops@example.com', api_key="k3y<&>value-0123456789")
    secrets = secrets_of(credentials)
    forms: list[Callable[[str], str]] = [
        lambda text: json.dumps(text),
        lambda text: json.dumps(text, ensure_ascii=True),
        lambda text: __import__("urllib.parse").parse.quote(text, safe=""),
        lambda text: __import__("html").escape(text),
    ]
    for secret in secrets:
        for form in forms:
            assert form(secret) not in credentials.redact(f"a {form(secret)} b"), form(secret)


def test_redaction_leaves_text_without_a_secret_and_placeholder_credentials_alone() -> None:
    text = "pcaps-contract fuzz: status 500 at /client/v4…"
    assert TOKEN.redact(text) == text
    placeholder = Credentials(token="$CLOUDFLARE_API_TOKEN")
    assert placeholder.redact("Bearer $CLOUDFLARE_API_TOKEN") == "Bearer $CLOUDFLARE_API_TOKEN"
    short = random_text(6)
    assert Credentials(token=short).redact(f"a {short} b {short[:3]}") == f"a $CLOUDFLARE_API_TOKEN b {short[:3]}"
