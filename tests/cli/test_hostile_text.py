"""Text from outside, end to end, at the writer of each output: a spec's server URL that would end `diff`'s Markdown
table and hide the rest of a pull-request comment, or drive the terminal the table is printed to; and a server's
ids that would drive the terminal of `check` (OSC 52 writes the clipboard, CSI 2J clears the screen)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from pcaps_contract.mock import DEV_TOKEN
from pcaps_contract.openapi.spec import default_spec_path
from tests.cli.helpers import FAST, Run
from tests.gallery.broken import OTHER, OWNER, Broken, Exchange, _on_records, _set

SERVER = "https://api.example.com/`\n\n<!-- the rest of the comment is hidden\n\n**Approved by the security team**"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TERMINAL_ATTACK = "\x1b]52;c;cHduZWQ=\x07\x1b[2J"


def _escaping(exchange: Exchange) -> None:
    """Every record's id, and every answer's content type, start with the attack."""
    _on_records(lambda record: _set(record, id=TERMINAL_ATTACK + record["id"]))(exchange)
    attack = TERMINAL_ATTACK.encode("latin-1")
    exchange.headers = [(k, attack + v if k.lower() == b"content-type" else v) for k, v in exchange.headers]


escaping_ids = Broken(_escaping)  # `--app tests.cli.test_hostile_text:escaping_ids`


def test_a_spec_server_url_stays_inside_its_cell_of_the_markdown_comment(run_cli: Run, tmp_path: Path) -> None:
    document = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document), encoding="utf-8")
    document["servers"] = [*document.get("servers", []), {"url": SERVER}]
    new = tmp_path / "new.json"
    new.write_text(json.dumps(document), encoding="utf-8")
    outcome = run_cli("diff", str(old), str(new), "--format", "markdown")
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    comment = outcome.stdout
    tokens = MarkdownIt("commonmark").enable("table").parse(comment)
    kinds = [token.type for token in tokens] + [child.type for token in tokens for child in token.children or ()]
    assert not [kind for kind in kinds if kind.startswith("html")], comment  # no comment, no tag
    assert kinds.count("tr_open") == 2  # the header and the one change: no row, line or block of the spec's own
    last = comment.rstrip("\n").splitlines()[-1]
    assert last.startswith("| ✅ non-breaking | server `https://api.example.com/`") and last.endswith(" |")
    assert "&lt;!-- the rest of the comment is hidden" in last and "Approved by the security team" in last


def test_diff_shows_a_spec_servers_terminal_escapes_instead_of_obeying_them(run_cli: Run, tmp_path: Path) -> None:
    document = yaml.safe_load(default_spec_path().read_text(encoding="utf-8"))
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document), encoding="utf-8")
    document["servers"] = [*document.get("servers", []), {"url": "https://x.example/\x1b]52;c;cHduZWQ=\x07\x1b[2J"}]
    new = tmp_path / "new.json"
    new.write_text(json.dumps(document), encoding="utf-8")
    outcome = run_cli("diff", str(old), str(new))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert not RAW_CONTROL.search(outcome.stdout.replace("\n", "")), outcome.stdout
    assert "\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J" in outcome.stdout


def test_check_shows_a_servers_ids_escaped_instead_of_letting_them_drive_the_terminal(run_cli: Run) -> None:
    app = ["--app", "tests.cli.test_hostile_text:escaping_ids", "--account-id", OWNER, "--account-id", OTHER]
    outcome = run_cli("check", *app, "--token", DEV_TOKEN, "--seed", "1", *FAST)
    assert outcome.code in (1, 3), outcome.stdout + outcome.stderr  # ids it cannot use may stay behind
    for output in (outcome.stdout, outcome.stderr):
        assert not RAW_CONTROL.search(output.replace("\n", "")), output
    assert "\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J" in outcome.stdout
