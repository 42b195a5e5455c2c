"""Secrets and server text built to break the reports, end to end: `verify --report-dir` on a HAR written here and
`proxy` over sockets in front of the served mock. Every report parses in its format, holds no piece of a secret,
and the terminal gets no control character raw; headless Chromium runs nothing of the hostile page."""

from __future__ import annotations

import html
import json
import re
import signal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx

from pcaps_contract._credentials import FRAGMENT_MIN
from pcaps_contract.mock import MockConfig
from pcaps_contract.mock._server import serve_in_thread
from tests.browser import dump_dom, screenshot
from tests.cli.helpers import Run
from tests.cli.test_proxy import proxy
from tests.gallery.broken import OWNER, Broken, _on_records, _set

# Each broke a report when redaction rewrote the rendered text: markup that is the page's own, JSON's null, a quote.
MARKUP_TOKEN = 'class="curl"><code>'
LONG_TOKEN = "".join("abcdefghijklmnopqrstuvwxyz0123456789"[(index * 7) % 36] for index in range(8000))
TOKENS = [MARKUP_TOKEN, "null", '"', LONG_TOKEN]
R2_KEY_ID, R2_SECRET = "AKIAHOSTILEQWZXKVJP", "r2-secret/with+chars=QzXwVkJpYmNbWq"
R2_CONF = f"r2://pcaps-bucket?account-id={OWNER}&access-key-id={R2_KEY_ID}&secret-access-key={R2_SECRET}"
# A query that closes an attribute if a report ever lets it, and an id that writes the clipboard (OSC 52) and clears
# the screen on a terminal that obeys it.
CRAFTED_QUERY = "x=%27%20onfocus=%27document.title=4242//&y=%22%3E%3Cscript%3Edocument.title=4242%3C/script%3E"
TERMINAL_ATTACK = "\x1b]52;c;cHduZWQ=\x07\x1b[2J"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def pieces(secret: str) -> set[str]:
    """Every piece of the secret as long as the shortest piece redaction removes (the whole, when shorter)."""
    if len(secret) <= FRAGMENT_MIN:
        return {secret}
    return {secret[start : start + FRAGMENT_MIN] for start in range(0, len(secret) - FRAGMENT_MIN + 1)}


def assert_no_secret(text: str, where: str) -> None:
    """No piece of the long token, the markup token or an R2 key; the one-character and the four-character tokens
    are text any report holds (a quote, `null`), so the recording's headers show where they went."""
    for secret in (LONG_TOKEN, MARKUP_TOKEN, R2_KEY_ID, R2_SECRET):
        leaked = [piece for piece in pieces(secret) if piece in text]
        assert not leaked, f"{leaked[0]!r} of a secret in {where}"


def read_reports(folder: Path) -> dict[str, str]:
    """Each report of the folder, parsed in its format (a parse error fails the test), as the text it holds."""
    shown: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        raw = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            shown[path.name] = json.dumps(json.loads(raw), ensure_ascii=False)
        elif path.suffix == ".ndjson":
            shown[path.name] = "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in raw.splitlines())
        elif path.suffix == ".xml":
            root = ElementTree.fromstring(raw)
            shown[path.name] = "\n".join(
                text for node in root.iter() for text in (node.text or "", *node.attrib.values())
            )
        else:  # the page's own markup is `class="curl"><code>`: what it shows is its text and attribute values
            page = _Page()
            page.feed(raw)
            shown[path.name] = "\n".join(page.texts)
        if path.suffix != ".html":
            assert_no_secret(raw, path.name)
        assert_no_secret(shown[path.name], f"{path.name} (decoded)")
    return shown


class _Page(HTMLParser):
    """The text and the attribute values of a page, entities decoded, as a browser shows and reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.texts.extend(value or "" for _, value in attrs)

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def hostile_har(path: Path) -> Path:
    """A browser's recording: an add with each hostile token and the R2 keys, answered by a server whose ids and
    content type carry terminal escapes and whose list says `success: false` on a 200."""
    base = f"https://api.example.com/client/v4/accounts/{OWNER}/pcaps/ownership"
    entries: list[dict[str, Any]] = []
    for number, token in enumerate(TOKENS):
        record = {"id": f"{TERMINAL_ATTACK}{number}", "destination_conf": R2_CONF, "status": "pending"}
        for request, answer in (
            ({"method": "POST", "url": f"{base}?{CRAFTED_QUERY}", "body": {"destination_conf": R2_CONF}}, record),
            ({"method": "GET", "url": f"{base}?{CRAFTED_QUERY}", "body": None}, [record]),
        ):
            entries.append(
                {
                    "startedDateTime": f"2026-05-01T10:00:{len(entries):02d}.000Z",
                    "time": 5,
                    "request": {
                        "method": request["method"],
                        "url": request["url"],
                        "headers": [
                            {"name": "Authorization", "value": f"Bearer {token}"},
                            {"name": "Content-Type", "value": "application/json"},
                        ],
                        **({"postData": {"text": json.dumps(request["body"])}} if request["body"] else {}),
                    },
                    "response": {
                        "status": 200,
                        "headers": [{"name": "Content-Type", "value": f"application/json{TERMINAL_ATTACK}"}],
                        "content": {
                            "text": json.dumps(
                                {"success": False, "errors": [], "messages": [], "result": answer, "echo": token}
                            )
                        },
                    },
                }
            )
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}), encoding="utf-8")
    return path


def test_verify_of_a_hostile_har_writes_well_formed_reports_without_a_secret(run_cli: Run, tmp_path: Path) -> None:
    har = hostile_har(tmp_path / "hostile.har")
    outcome = run_cli("verify", str(har), "--report-dir", str(tmp_path / "out"))
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    shown = read_reports(tmp_path / "out")
    assert sorted(shown) == ["ctrf.json", "junit.xml", "report.html", "result.json"]
    assert "$CLOUDFLARE_API_TOKEN" in shown["result.json"] and "$R2_SECRET_ACCESS_KEY" in shown["result.json"]
    for output in (outcome.stdout, outcome.stderr):
        assert_no_secret(output, "the terminal")
        assert not RAW_CONTROL.search(output.replace("\n", "")), output
    assert "\\x1b]52;c;" in outcome.stdout  # the server's escape is shown, not obeyed
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and " onfocus=" not in page
    assert 'http-equiv="Content-Security-Policy"' in page


def test_the_hostile_report_runs_no_script_in_chromium_and_keeps_its_style(run_cli: Run, tmp_path: Path) -> None:
    har = hostile_har(tmp_path / "hostile.har")
    assert run_cli("verify", str(har), "--report-dir", str(tmp_path / "out")).code == 1
    page = tmp_path / "out" / "report.html"
    title = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.DOTALL)
    assert title is not None
    dom = dump_dom(page)
    assert "4242" not in re.search(r"<title>(.*?)</title>", dom, re.DOTALL)[1]  # type: ignore[index]
    assert "document.title=4242" in html.unescape(dom)  # the crafted query is there, as text
    # The policy itself, should an escape ever fail: a script put into the page does not run under it...
    text = page.read_text(encoding="utf-8")
    injected = '<body><script>document.title="ran"</script><img src="x" onerror="document.title=&quot;ran&quot;">'
    under_policy = tmp_path / "under-policy.html"
    under_policy.write_text(text.replace("<body>", injected, 1), encoding="utf-8")
    assert "<title>ran</title>" not in dump_dom(under_policy)
    # ...where the same page without the policy runs it (so this test can tell).
    without = tmp_path / "without-policy.html"
    without.write_text(
        re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", under_policy.read_text()), "utf-8"
    )
    assert "<title>ran</title>" in dump_dom(without)
    # The stylesheet applies under the policy: the page looks the same as without it, and not as unstyled.
    plain = tmp_path / "plain.html"
    plain.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text), encoding="utf-8")
    unstyled = tmp_path / "unstyled.html"
    unstyled.write_text(re.sub(r"<style>.*?</style>", "", text, flags=re.DOTALL), encoding="utf-8")
    shots = {}
    for name, path in (("policy", page), ("plain", plain), ("unstyled", unstyled)):
        screenshot(path, tmp_path / f"{name}.png", width=1000, height=700)
        shots[name] = (tmp_path / f"{name}.png").read_bytes()
    assert shots["policy"] == shots["plain"] != shots["unstyled"]


def variant_that_echoes_and_escapes() -> Broken:
    """The mock, accepting the markup token, whose records carry a terminal escape in their id and echo the
    destination_conf with one character more (the R2 keys in it)."""
    change = _on_records(
        lambda record: _set(
            record, id=TERMINAL_ATTACK + record["id"], destination_conf=record["destination_conf"] + "x"
        )
    )
    return Broken(change, config=MockConfig(token=MARKUP_TOKEN, accounts=(OWNER,)))


def test_the_proxy_in_front_of_the_mock_keeps_hostile_secrets_out_of_every_report(tmp_path: Path) -> None:
    served = serve_in_thread(variant_that_echoes_and_escapes())
    with served as upstream, proxy(f"{upstream}/client/v4", tmp_path / "out") as running:
        base = f"{running.url}/client/v4/accounts/{OWNER}/pcaps/ownership"
        with httpx.Client(timeout=60) as client:
            for token in TOKENS:
                headers = {"Authorization": f"Bearer {token}"}
                client.post(f"{base}?{CRAFTED_QUERY}", json={"destination_conf": R2_CONF}, headers=headers)
                client.get(f"{base}?{CRAFTED_QUERY}", headers=headers)
        assert running.wait_for("destination_conf_is_echoed", timeout=60), running.stdout
        outcome = running.stop(signal.SIGINT)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    shown = read_reports(tmp_path / "out")
    files = ["ctrf.json", "events.ndjson", "exchanges.ndjson", "junit.xml", "report.html", "result.json"]
    assert sorted(shown) == files
    recording = [json.loads(line) for line in (tmp_path / "out" / "exchanges.ndjson").read_text("utf-8").splitlines()]
    assert len(recording) == 2 * len(TOKENS)
    sent = {
        value for exchange in recording for name, value in exchange["request"]["headers"] if name == "authorization"
    }
    assert sent == {"Bearer $CLOUDFLARE_API_TOKEN"}, sent  # `null` and `"` too: every token, whatever it looks like
    assert "$R2_SECRET_ACCESS_KEY" in shown["exchanges.ndjson"] and "$R2_ACCESS_KEY_ID" in shown["exchanges.ndjson"]
    for output in (outcome.stdout, outcome.stderr):
        assert_no_secret(output, "the terminal")
        assert not RAW_CONTROL.search(output.replace("\n", "")), output
