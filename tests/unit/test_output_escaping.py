"""The class "text from outside rendered unescaped", one writer per format: whatever a spec, a server or a recording
holds, the terminal gets no character it would obey, a pull-request comment keeps it inside its table cell, JSON
printed to a terminal stays JSON, and JUnit XML parses."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pcaps_contract._terminal import printable, printable_json
from pcaps_contract.diff.formats import render_markdown
from pcaps_contract.diff.rules import RULES, Change
from pcaps_contract.report.junit import xml_safe

UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Every character class that matters: Markdown and HTML syntax, line breaks of every kind, controls, surrogates.
hostile = st.text(
    alphabet=st.one_of(st.sampled_from(list("`|<>!-&*_[]()\\#\n\r\u2028\x1b\x9b\u202e\ud800 ")), st.characters()),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(text=hostile)
@example(text="\x1b]52;c;cHduZWQ=\x07\x1b[2J")
def test_the_terminal_gets_every_character_it_would_obey_escaped(text: str) -> None:
    shown = printable(text)
    assert not UNSHOWABLE.search(shown)
    shown.encode("utf-8")  # no lone surrogate left: printing it cannot raise
    assert printable("plain text\tand a new line\n") == "plain text\tand a new line\n"


@pytest.mark.slow  # over ten seconds on two shared cores
@settings(max_examples=300, deadline=None)
@given(data=st.recursive(hostile | st.integers(), lambda inner: st.lists(inner) | st.dictionaries(hostile, inner)))
def test_json_for_a_terminal_is_still_the_same_json(data: object) -> None:
    shown = printable_json(json.dumps(data, ensure_ascii=False, indent=2))
    assert not UNSHOWABLE.search(shown)
    assert json.loads(shown) == data


@settings(max_examples=300, deadline=None)
@given(text=hostile)
def test_junit_text_and_attributes_parse_back_whatever_they_hold(text: str) -> None:
    node = ElementTree.Element("failure", message=xml_safe(text))
    node.text = xml_safe(text)
    parsed = ElementTree.fromstring(ElementTree.tostring(node, encoding="unicode"))
    # XML reads a carriage return in text as a line feed; nothing else changes.
    assert (parsed.text or "") == xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")
    assert parsed.get("message") == xml_safe(text)


def _table(markdown: str) -> tuple[list[list[str]], list[str]]:
    """The rows of the comment's table (each a list of its cells' inline source), and every HTML token kind."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    rows: list[list[str]] = []
    html: list[str] = []
    for token in tokens:
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(token.content)
        if token.type.startswith("html") or any(child.type.startswith("html") for child in token.children or ()):
            html.append(token.type)
    return rows, html


@settings(max_examples=200, deadline=None)
@given(
    changes=st.lists(st.tuples(st.sampled_from(sorted(RULES)), hostile, hostile, hostile), min_size=1, max_size=4),
    old=hostile,
)
@example(
    changes=[("server-added", "a server URL added: `http://x`\n\n<!-- hidden", "/servers/0`\n<!--", "op|x")],
    old="main`\n<!--",
)
def test_markdown_keeps_any_spec_text_inside_its_cell(changes: list[tuple[str, str, str, str]], old: str) -> None:
    made = [Change(rule, "callers", location, text, operations=(op,)) for rule, text, location, op in changes]
    markdown = render_markdown(made, old, "new")
    rows, html = _table(markdown)
    assert not html, markdown
    assert len(rows) == 1 + len(made), markdown  # the header row and one row per change: nothing added or hidden
    assert all(len(row) == 5 for row in rows), rows
    assert len(markdown.splitlines()) == 6 + len(made)  # heading, summary, header and rule, one line per change
