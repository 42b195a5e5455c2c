"""`fuzz --report-dir` against a broken mock with rehearsal faults: report.html as Chromium renders it, moved elsewhere.

The folder is copied to another place before it is opened, as a CI artifact is downloaded: every link must still land.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest

from pcaps_contract.engine.targets import MOCK_ACCOUNTS
from pcaps_contract.fuzz.report import fuzzed_checks
from pcaps_contract.judge.checks import judges
from pcaps_contract.mock import MockConfig
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.openapi.spec import load_spec
from tests.browser import dump_dom
from tests.cli.helpers import cli_runner
from tests.gallery.broken import submitted_with_space

CANARY = "canary-5d1e-fuzz-report-never-print-me"
ACCOUNT = MOCK_ACCOUNTS[0]


@dataclass
class Element:
    """One element of the page the test reads: its attributes and the text inside it."""

    tag: str
    attributes: dict[str, str]
    start: int
    end: int = 0  # the index after its last descendant in `Page.elements`
    text: list[str] = field(default_factory=list)

    @property
    def visible(self) -> str:
        return " ".join("".join(self.text).split())


class Page(HTMLParser):
    """Every element of the rendered DOM, in order, each with the text inside it (its children's too)."""

    def __init__(self, dom: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(dom)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, len(self.elements))
        self.elements.append(element)
        element.end = len(self.elements)
        if tag not in {"meta", "br", "img", "input", "link", "hr", "col"}:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            element = self._open.pop()
            element.end = len(self.elements)
            if element.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text.append(data)

    def find(self, tag: str | None = None, within: Element | None = None, **attributes: str) -> list[Element]:
        """Elements with the tag and attributes (`data_code` is `data-code`), anywhere or inside `within`."""
        elements = self.elements if within is None else self.elements[within.start + 1 : within.end]
        return [
            element
            for element in elements
            if (tag is None or element.tag == tag)
            and all(element.attributes.get(name.replace("_", "-")) == value for name, value in attributes.items())
        ]


@pytest.fixture(scope="module")
def downloaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A 4-second run with 429s and 500s against a mock writing `submitted` with a space, its folder moved."""
    variant = submitted_with_space.behind(
        MockConfig(
            token=CANARY, accounts=MOCK_ACCOUNTS, rate_limit_rate=0.06, retry_after=1, server_error_rate=0.04, seed=3
        )
    )
    written = tmp_path_factory.mktemp("ci") / "fuzz-report"
    with serve_in_thread(variant) as url, pytest.MonkeyPatch.context() as monkeypatch:
        outcome = cli_runner(monkeypatch)(
            "fuzz", "--base-url", url + "/client/v4", "--account-id", ACCOUNT, "--token", CANARY,
            "--duration", "4s", "--rate-limit", "50/s", "--workers", "2", "--seed", "7", "--report-dir", str(written),
        )  # fmt: skip
    folder = tmp_path_factory.mktemp("downloads") / "artifact"
    shutil.copytree(written, folder)
    shutil.rmtree(written)  # nothing may point back at where the run wrote it
    dom = dump_dom(folder / "report.html")
    yield {
        "code": outcome.code,
        "folder": folder,
        "result": json.loads((folder / "result.json").read_text(encoding="utf-8")),
        "dom": dom,
        "page": Page(dom),
    }


def test_the_run_found_the_broken_timestamps_and_the_server_errors(downloaded: dict[str, Any]) -> None:
    checks = {finding["check"] for finding in downloaded["result"]["findings"]}
    assert downloaded["code"] == 1 and {"timestamps_are_rfc3339", "not_a_server_error"} <= checks


def test_every_finding_of_result_json_is_on_the_page_with_its_readable_cause_curl_and_replay(
    downloaded: dict[str, Any],
) -> None:
    page, result = downloaded["page"], downloaded["result"]
    cards = {
        element.attributes["id"]: element
        for element in page.find("section")
        if "finding" in element.attributes.get("class", "")
    }
    assert list(cards) == [f"finding-{finding['key']}" for finding in result["findings"]]
    for finding in result["findings"]:
        card = cards[f"finding-{finding['key']}"].visible
        assert f"Cause: {finding['readable']}" in card and " ".join(finding["expected"].split()) in card
        assert "Authorization: Bearer $CLOUDFLARE_API_TOKEN" in card and f"seen {finding['count']}x" in card
    rfc = [finding for finding in result["findings"] if finding["check"] == "timestamps_are_rfc3339"]
    assert rfc and all("RFC 3339 date-time" in cards[f"finding-{f['key']}"].visible for f in rfc)
    assert "RFC N" not in " ".join(card.visible for card in cards.values())  # the dedupe signature stays in JSON


def test_the_matrix_has_a_cell_per_operation_and_check_in_the_state_result_json_gives_it(
    downloaded: dict[str, Any],
) -> None:
    page, result = downloaded["page"], downloaded["result"]
    cells = {
        (cell.attributes["data-operation"], cell.attributes["data-check"]): cell
        for cell in page.find("td")
        if "data-check" in cell.attributes
    }
    assert set(cells) == {(operation, check) for operation in result["operations"] for check in fuzzed_checks()}
    failed: dict[tuple[str, str], int] = {}
    for finding in result["findings"]:
        failed[(finding["operation"], finding["check"])] = (
            failed.get((finding["operation"], finding["check"]), 0) + finding["count"]
        )
    for (operation, check), cell in cells.items():
        passed = result["passes"].get(f"{operation} {check}", 0)
        if (operation, check) in failed:
            assert cell.attributes["data-state"] == "failed" and cell.visible == f"FAILED {failed[(operation, check)]}"
            [link] = page.find("a", within=cell)
            assert page.find(id=link.attributes["href"].removeprefix("#")), "the cell links to its finding"
        elif passed:
            assert cell.attributes["data-state"] == "passed" and cell.visible.startswith(f"passed {passed}")
        elif not judges(check, operation):  # the check never judges that operation: a blank cell
            assert cell.attributes["data-state"] == "not judged by design" and cell.visible == ""
        else:
            assert cell.attributes["data-state"] == "never applied"


def test_the_timeline_is_an_inline_svg_with_a_line_a_series_labelled_axes_and_a_legend(
    downloaded: dict[str, Any],
) -> None:
    page, result = downloaded["page"], downloaded["result"]
    [svg] = page.find("svg", id="timeline")
    assert {line.attributes["data-series"] for line in page.find("polyline")} == {"requests", "throttled", "findings"}
    assert "time since the run started" in svg.visible and "per second" in svg.visible
    assert "requests/s" in svg.visible and "429 answers/s" in svg.visible and "failed checks/s" in svg.visible
    assert len([line for line in page.find("line") if line.attributes.get("class") == "first-seen"]) == len(
        result["findings"]
    )
    timeline = result["timeline"]
    assert (
        sum(timeline["requests"]) == result["sender"]["requests"]
        and sum(timeline["throttled"]) == result["sender"]["throttled"]
    )


def test_each_operation_shows_its_exact_statuses_and_response_times(downloaded: dict[str, Any]) -> None:
    page, result = downloaded["page"], downloaded["result"]
    [table] = page.find("table", id="per-operation")
    for operation, stats in result["per_operation"].items():
        [row] = page.find("tr", data_operation=operation, within=table)
        cells = page.find("td", within=row)
        codes = {cell.attributes["data-code"]: int(cell.visible) for cell in cells if "data-code" in cell.attributes}
        assert {code: count for code, count in codes.items() if count} == stats["codes"]
        times = {cell.attributes["data-latency"]: cell.visible for cell in cells if "data-latency" in cell.attributes}
        assert times == {key: f"{stats['latency_ms'][key]:.1f}" for key in ("p50", "p90", "p99", "max")}
    assert any("429" in stats["codes"] or "500" in stats["codes"] for stats in result["per_operation"].values())


def test_the_statuses_and_times_are_those_of_every_answered_case_in_the_event_log(downloaded: dict[str, Any]) -> None:
    result, folder = downloaded["result"], downloaded["folder"]
    events = [json.loads(line) for line in (folder / "events.ndjson").read_text(encoding="utf-8").splitlines()]
    for operation, stats in result["per_operation"].items():
        cases = [event for event in events if event["event"] == "case" and event["operation"] == operation]
        assert stats["codes"] == dict(sorted(Counter(str(event["status"]) for event in cases).items()))
        answered = [event["ms"] for event in cases if event.get("ms") is not None]
        assert (
            stats["latency_ms"]["count"]
            == len(answered)
            == stats["cases"] - stats["throttled"] - stats["transport_errors"]
        )
        assert stats["latency_ms"]["max"] == pytest.approx(max(answered), abs=0.11)


def test_the_page_names_the_tool_and_the_spec_it_judged_against(downloaded: dict[str, Any]) -> None:
    page, result = downloaded["page"], downloaded["result"]
    [metadata] = page.find("dl", id="metadata")
    assert result["tool"].startswith("pcaps-contract ") and result["tool"] in metadata.visible
    assert result["spec_sha256"] == load_spec().sha256 and result["spec_sha256"] in metadata.visible


def test_every_link_is_relative_and_lands_in_the_downloaded_folder(downloaded: dict[str, Any]) -> None:
    page, folder = downloaded["page"], downloaded["folder"]
    assert not {element.tag for element in page.elements} & {"script", "link", "img", "iframe"}
    links = [element.attributes["href"] for element in page.elements if "href" in element.attributes]
    files = [link for link in links if not link.startswith("#")]
    assert {"result.json", "events.ndjson", "junit.xml", "baseline.json"} <= set(files)
    replays = [link for link in files if link.startswith("replay/")]
    assert len(replays) == len(downloaded["result"]["findings"])
    for link in files:
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc and not link.startswith("/"), link
        assert (folder / link).is_file(), link
    # Only the command line, shown as it was typed, names the folder the run wrote to.
    [command] = page.find("code", id="command")
    assert "--report-dir /tmp/" in command.visible
    dom = re.sub(r'<code id="command">.*?</code>', "", downloaded["dom"], flags=re.S)
    assert str(folder) not in dom and "/tmp/" not in dom


def test_the_verdict_and_the_findings_come_first_then_the_matrix_then_the_run(downloaded: dict[str, Any]) -> None:
    page = downloaded["page"]
    order = [element.attributes["id"] for element in page.find("h2") if "id" in element.attributes]
    assert order[:3] == ["findings", "results", "over-time"] and order.index("run") > order.index("responses")
    [verdict] = page.find(id="verdict")
    assert verdict.start < page.find(id="findings")[0].start


def test_the_command_line_shows_every_option_with_the_token_as_its_variable(downloaded: dict[str, Any]) -> None:
    [command] = downloaded["page"].find("code", id="command")
    assert command.visible.startswith("pcaps-contract fuzz --base-url http://127.0.0.1:")
    for option in ("--account-id", "--duration 4s", "--rate-limit 50/s", "--workers 2", "--seed 7", "--report-dir"):
        assert option in command.visible, option
    assert '--token "$CLOUDFLARE_API_TOKEN"' in command.visible and downloaded["result"]["command"] == command.visible


def test_each_documented_response_is_listed_seen_or_not_as_the_answers_were(downloaded: dict[str, Any]) -> None:
    page, result = downloaded["page"], downloaded["result"]
    [table] = page.find("table", id="coverage")
    rows = page.find("tr", within=table)[1:]
    documented = [(row.attributes["data-operation"], row.attributes["data-response"]) for row in rows]
    spec = load_spec()
    for operation in result["operations"]:
        keys = spec.operation(operation).definition["responses"]
        assert {response for name, response in documented if name == operation} >= {
            "default" if key == "default" else str(key).upper() for key in keys
        }
    seen = {
        (row.attributes["data-operation"], row.attributes["data-response"]): int(row.attributes["data-seen"])
        for row in rows
    }
    assert [(row["operation"], row["response"], row["seen"]) for row in result["coverage"]] == [
        (operation, response, count) for (operation, response), count in seen.items()
    ]
    for operation, stats in result["per_operation"].items():
        two_hundreds = stats["answers"].get("200", 0) + stats["answers"].get("204", 0)
        assert seen.get((operation, "200"), 0) + seen.get((operation, "204"), 0) == two_hundreds


def test_ctrf_json_has_a_test_per_cell_of_the_matrix_and_the_findings_failed(downloaded: dict[str, Any]) -> None:
    from tests.unit.report.test_ctrf import valid

    document = json.loads((downloaded["folder"] / "ctrf.json").read_text(encoding="utf-8"))
    valid(document)
    cells = [cell for cell in downloaded["page"].find("td") if cell.attributes.get("data-state", "").strip()]
    shown = [cell for cell in cells if cell.attributes["data-state"] != "not judged by design"]
    tests = document["results"]["tests"]
    assert len([test for test in tests if test["status"] != "other"]) == len(shown)
    failed = {(test["extra"]["operation"], test["extra"]["check"]) for test in tests if test["status"] == "failed"}
    assert failed == {(finding["operation"], finding["check"]) for finding in downloaded["result"]["findings"]}


def test_no_secret_reaches_the_page_or_any_file_of_the_folder(downloaded: dict[str, Any]) -> None:
    assert CANARY not in downloaded["dom"]
    for path in downloaded["folder"].rglob("*"):
        if path.is_file():
            assert CANARY not in path.read_text(encoding="utf-8"), path
