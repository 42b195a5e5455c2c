"""The class "secrets in outputs" by property: whatever the secrets hold (HTML, XML, JSON and Markdown syntax, quotes,
control characters, lone surrogates; very long; very many), redaction removes them from the data in one linear pass,
and every output made of that data stays well-formed in its format and holds no piece of a secret."""

from __future__ import annotations

import io
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import quote
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import FRAGMENT_MIN, Credentials, Redactor, _forms
from pcaps_contract._terminal import painted
from pcaps_contract._text import clip
from pcaps_contract.judge.ledger import Failure, Ledger, Step
from pcaps_contract.passive.traffic import Recorded, Recording, Secrets
from pcaps_contract.report.folder import EVENTS_FILE, HTML_FILE, JUNIT_FILE, RESULT_FILE, RunEvents, write_report_dir
from pcaps_contract.report.run_report import RunReport
from pcaps_contract.report.stream import FailureFound, RunFinished, RunStarted
from pcaps_contract.report.text import TEXT_STYLES

MARK = "\ue000"
GREEK = "".join(chr(code) for code in range(0x391, 0x39D))  # capital alpha to mu: no report's own text holds them
R2_KEY_ID = "AK" + GREEK[:9]  # the one variable of the oracle test: a character no generated text holds
# Syntax of every format the reports are written in, and what a terminal obeys.
METACHARACTERS = "<>&\"'`|=/;:{}[]\\\n\r\t\x00\x1b\x07\x9b\u202e\ud800\udfff!-#*_ .…" + "null"
hostile_text = st.text(alphabet=st.sampled_from(list(METACHARACTERS) + list("abcxyz019")), max_size=30)
# A secret is hostile syntax around a core that no report's own text holds (Greek capitals), so that any piece of
# it found in an output came from the secret.
core = st.text(alphabet=st.sampled_from(GREEK), min_size=FRAGMENT_MIN + 2, max_size=40)
secret = st.builds(lambda before, middle, after: before + middle + after, hostile_text, core, hostile_text)


def naive_redaction(secrets: list[str], text: str) -> str:
    """The reference: every character covered by any form of any secret, or by a piece of `FRAGMENT_MIN` or more
    of one next to a cut, found by trying every position (quadratic, fine for small texts), replaced by `MARK`."""
    forms = {form for value in secrets for form in _forms(value)}
    covered = [False] * len(text)
    for form in forms:
        start = text.find(form)
        while start >= 0:
            covered[start : start + len(form)] = [True] * len(form)
            start = text.find(form, start + 1)
    cuts = sorted({match.start() for marker in ("…", r"\.\.\.") for match in re.finditer(f"(?={marker})", text)})
    # (a lookahead finds overlapping markers: in `....` both)
    ends = [*cuts, len(text)]
    starts = [0, *(cut + (1 if text.startswith("…", cut) else 3) for cut in cuts)]
    for form in forms:
        for size in range(FRAGMENT_MIN, len(form) + 1):
            for end in ends:
                if end >= size and text[end - size : end] == form[:size]:
                    covered[end - size : end] = [True] * size
            for start in starts:
                if text[start : start + size] == form[-size:]:
                    covered[start : start + size] = [True] * size
    shown = "".join(MARK if hidden else char for hidden, char in zip(covered, text, strict=True))
    return re.sub(f"{MARK}+", MARK, shown)


def pieces(value: str) -> list[str]:
    """Every piece of a secret as long as the shortest piece redaction removes, that holds a character of its core."""
    return [
        value[start : start + FRAGMENT_MIN]
        for start in range(len(value) - FRAGMENT_MIN + 1)
        if any(char in GREEK for char in value[start : start + FRAGMENT_MIN])
    ]


def assert_no_piece(secrets: list[str], text: str, where: str) -> None:
    for value in secrets:
        for piece in pieces(value):
            assert piece not in text, f"{piece!r} of a secret in {where}"


@pytest.mark.slow  # over ten seconds on two shared cores
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    secrets=st.lists(secret, min_size=1, max_size=4),
    glue=st.lists(st.sampled_from(["", " ", "…", "...", "x", "&amp;", '"', "\\"]), min_size=1, max_size=6),
    cut_at=st.integers(min_value=0, max_value=200),
    data=st.data(),
)
def test_one_pass_redaction_covers_exactly_what_the_reference_covers(
    secrets: list[str], glue: list[str], cut_at: int, data: st.DataObject
) -> None:
    forms = sorted({form for value in secrets for form in _forms(value)})
    chosen = [data.draw(st.sampled_from(forms)) for _ in glue]
    text = "".join(piece + joint for piece, joint in zip(chosen, glue, strict=True))
    for cut in (text, text[:cut_at], text[cut_at:], clip(text, max(cut_at, 1))):
        redactor = Redactor((value, MARK) for value in secrets)
        assert re.sub(f"{MARK}+", MARK, redactor(cut)) == naive_redaction(secrets, cut), cut


@pytest.mark.slow  # over ten seconds on two shared cores
@settings(max_examples=200, deadline=None)
@given(secrets=st.lists(secret, min_size=1, max_size=6), prefix=hostile_text, suffix=hostile_text)
def test_secrets_learned_one_by_one_redact_as_those_known_at_once(secrets: list[str], prefix: str, suffix: str) -> None:
    learned = Redactor()
    for value in secrets:  # the proxy's way: levels merged as they grow
        learned.add(value, MARK)
    text = prefix + f"{suffix}".join(secrets) + suffix
    assert learned(text) == Redactor((value, MARK) for value in secrets)(text)
    assert_no_piece(secrets, learned(text), "the redacted text")


@pytest.mark.slow  # over ten seconds on two shared cores
def test_an_eight_thousand_character_token_and_nine_hundred_tokens_take_linear_time() -> None:
    # The worst text for the old pattern: every prefix of the token before a cut. It grew with the square of the
    # token (a MemoryError); one pass reads each character a bounded number of times.
    token = "".join(chr(0x391 + (index * 7) % 20) for index in range(8000))
    text = "…".join(token[:size] for size in range(1000, 8000, 500)) * 10
    started = time.perf_counter()
    redacted = Credentials(token=token).redact(text)
    assert time.perf_counter() - started < 60
    assert token[:FRAGMENT_MIN] not in redacted
    many = Redactor()
    started = time.perf_counter()
    for index in range(900):
        many.add(f"tok-{index:04d}-{GREEK * 3}", "$CLOUDFLARE_API_TOKEN")
        many(f'{{"Authorization": "Bearer tok-{index:04d}-{GREEK * 3}"}}' * 20)
    assert time.perf_counter() - started < 60  # the old redaction: 70 s for the last 100 alone


# --- every writer, on data that carries the secrets -------------------------------------------------------------


class _Page(HTMLParser):
    """Every text and attribute value of a page, as a browser reads it (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.texts.extend(value or "" for _, value in attrs)
        self.attributes.extend(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def strings_of(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (*strings_of(key), *strings_of(item))]
    if isinstance(value, list):
        return [text for item in value for text in strings_of(item)]
    return []


def xml_strings(root: ElementTree.Element) -> list[str]:
    found = []
    for node in root.iter():
        found += [node.text or "", node.tail or "", *node.attrib.values()]
    return found


UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@pytest.mark.slow  # over ten seconds on two shared cores
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(token=secret, key=secret, hostile=hostile_text, long_core=st.integers(min_value=0, max_value=3000))
@example(token=f'class="curl"><code>{GREEK}', key=f"null{GREEK}null", hostile="'\"\x1b]52;c;", long_core=0)
def test_every_output_is_well_formed_and_holds_no_piece_of_a_secret(
    token: str, key: str, hostile: str, long_core: int
) -> None:
    # Bytes on the wire hold no lone surrogate: the secrets that travel in headers and bodies have none either.
    token, key = (re.sub("[\ud800-\udfff]", "", value) for value in (token + GREEK[-1] * long_core, key))
    r2 = f"r2://bucket?account-id=a&access-key-id={R2_KEY_ID}&secret-access-key={quote(key, safe='')}"
    secrets = Secrets()
    headers = (("Authorization", f"Bearer {token}"), ("Content-Type", f"application/json{hostile}"))
    body = json.dumps({"destination_conf": r2}).encode()
    secrets.learn(headers, body)
    echoed = f"{hostile}{token}{hostile}{key}{json.dumps(token)}{R2_KEY_ID}"
    url = f"http://127.0.0.1:1/client/v4/accounts/a/pcaps/ownership?q={quote(token)}&h={hostile}"
    ledger = Ledger(["add_bucket"], ["not_a_server_error"])
    steps = (Step("POST", url, {"Content-Type": headers[1][1], "X-Echo": echoed}, body.decode() + echoed),)
    ledger.failed(
        Failure("add_bucket", "not_a_server_error", f"no {hostile}", clip(f"status 500: {echoed}", 60), steps)
    )
    report = RunReport(url, 1, "proxy", ledger, secrets.credentials(headers), notes=[echoed], error=None)
    report.leftovers = []
    exchange = Recorded(
        "POST",
        url,
        headers,
        body,
        500,
        (("Content-Type", f"text/html{hostile}"),),
        echoed.encode(errors="replace"),
        0,
        1,
    )
    all_secrets = [token, key, R2_KEY_ID]
    with TemporaryDirectory() as scratch:
        folder = Path(scratch)
        started = time.perf_counter()
        write_report_dir(report, folder, "proxy")
        events = RunEvents(folder / EVENTS_FILE, secrets.redact)
        events(RunStarted(report))
        events(FailureFound(ledger.failures()[0]))
        events(RunFinished(report))
        recording = Recording(folder / "exchanges.ndjson", secrets)
        recording.write(exchange)
        recording.close()
        terminal = painted(report.render(), TEXT_STYLES, io.StringIO())
        assert time.perf_counter() - started < 60
        result = json.loads((folder / RESULT_FILE).read_text(encoding="utf-8"))
        junit = ElementTree.fromstring((folder / JUNIT_FILE).read_text(encoding="utf-8"))
        page = _Page()
        page.feed((folder / HTML_FILE).read_text(encoding="utf-8"))
        lines = [
            json.loads(line)
            for name in (EVENTS_FILE, "exchanges.ndjson")
            for line in (folder / name).read_text(encoding="utf-8").splitlines()
        ]
    assert "script" not in page.tags and not any(name.startswith("on") for name in page.attributes)
    assert result["results"][0]["status"] == "failed" and len(lines) == 4
    outputs = {
        "result.json": "\n".join(strings_of(result)),
        "junit.xml": "\n".join(xml_strings(junit)),
        "report.html": "\n".join(page.texts),
        "ndjson": "\n".join(text for line in lines for text in strings_of(line)),
        "terminal": terminal,
    }
    for where, text in outputs.items():
        assert_no_piece(all_secrets, text, where)
    assert not UNSHOWABLE.search(terminal), terminal
