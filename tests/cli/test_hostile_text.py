"""Text from a spec, end to end, at the writer of each output of `diff`: a server URL that would end the Markdown
table and hide the rest of a pull-request comment, and one that would drive the terminal the table is printed to."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from pcaps_contract._spec import default_spec_path
from tests.cli.helpers import Run

SERVER = "https://api.example.com/`\n\n<!-- the rest of the comment is hidden\n\n**Approved by the security team**"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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
