"""`check --report-dir` against a broken implementation: the four files, and report.html as Chromium renders it."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pcaps_contract.judge.checks import CHECKS, judges
from pcaps_contract.report.run_report import NOT_ON_THIS_OPERATION
from tests.browser import dump_dom
from tests.cli.helpers import FAST, Outcome, Run
from tests.gallery.broken import BREAKS, OTHER, OWNER

TOKEN = "pcaps-contract-dev-token"
BROKEN = "success_false_on_200"


@dataclass
class Element:
    """A matrix cell or a failure card of the page: its data-* attributes, title and visible text."""

    attributes: dict[str, str]
    text: list[str] = field(default_factory=list)

    @property
    def visible(self) -> str:
        return " ".join("".join(self.text).split())


class ReportPage(HTMLParser):
    """The parts of report.html a reader relies on, read from the DOM Chromium rendered."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str], Element] = {}
        self.cards: list[Element] = []
        self.links: list[str] = []
        self.tags: set[str] = set()
        self._open: list[tuple[str, Element]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags.add(tag)
        self.links.extend(attributes[name] for name in ("href", "src") if name in attributes)
        if tag == "td" and "data-check" in attributes:
            element = Element(attributes)
            self.cells[(attributes["data-operation"], attributes["data-check"])] = element
            self._open.append((tag, element))
        elif tag == "section" and "failure" in attributes.get("class", "").split():
            element = Element(attributes)
            self.cards.append(element)
            self._open.append((tag, element))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for _, element in self._open:
            element.text.append(data)


def check_with_report_dir(run_cli: Run, report_dir: Path, *target: str) -> Outcome:
    accounts = ("--account-id", OWNER, "--account-id", OTHER)
    return run_cli("check", *target, "--token", TOKEN, *accounts, "--seed", "1", *FAST, "--report-dir", str(report_dir))


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, Path]:
    from tests.cli.helpers import cli_runner

    report_dir = tmp_path_factory.mktemp("report") / "out"
    with pytest.MonkeyPatch.context() as monkeypatch:
        outcome = check_with_report_dir(cli_runner(monkeypatch), report_dir, "--app", f"tests.gallery.broken:{BROKEN}")
    return outcome, report_dir


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_check_report_dir_holds_the_four_files_of_a_run_with_violations(broken_run: tuple[Outcome, Path]) -> None:
    outcome, report_dir = broken_run
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    result = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 1 and BREAKS[BROKEN] in {c["check"] for c in result["results"] if c["failed"]}
    assert f'name="{BREAKS[BROKEN]}"' in (report_dir / "junit.xml").read_text(encoding="utf-8")
    for name in ("result.json", "junit.xml", "report.html", "events.ndjson"):
        assert TOKEN not in (report_dir / name).read_text(encoding="utf-8"), name


def test_the_event_log_starts_with_the_metadata_records_each_failure_and_ends_with_the_exit_code(
    broken_run: tuple[Outcome, Path],
) -> None:
    _, report_dir = broken_run
    result = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    events = read_events(report_dir / "events.ndjson")
    first, last = events[0], events[-1]
    assert first["event"] == "run_started"
    assert {key: first[key] for key in ("tool", "spec_sha256", "target", "started_at", "command")} == {
        key: result[key] for key in ("tool", "spec_sha256", "target", "started_at", "command")
    }
    assert first["command"].startswith("pcaps-contract check --app ")
    assert last["event"] == "run_finished" and last["exit_code"] == 1 and last["requests"] == result["requests"]
    failed = {(c["operation"], c["check"]): c["failed"] for c in result["results"] if c["failed"]}
    assert last["failed"] == len(failed)
    recorded = [event for event in events if event["event"] == "failure"]
    assert len(recorded) == sum(failed.values()) == last["failures_recorded"]
    assert {(event["operation"], event["check"]) for event in recorded} == set(failed)
    assert all("$CLOUDFLARE_API_TOKEN" in " ".join(event["reproduce"]) for event in recorded)


def test_the_rendered_report_shows_every_cell_and_every_failure_and_no_secret(
    broken_run: tuple[Outcome, Path],
) -> None:
    _, report_dir = broken_run
    result = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    dom = dump_dom(report_dir / "report.html")
    assert TOKEN not in dom
    page = ReportPage()
    page.feed(dom)
    assert not page.tags & {"script", "link", "img", "iframe"}
    assert all(link.startswith("#") for link in page.links), page.links  # self-contained
    # Every cell of result.json is on the page; the others are blank: the check never judges that operation.
    blank = {key: cell for key, cell in page.cells.items() if cell.attributes["data-state"] == "not judged by design"}
    assert len(page.cells) == len(result["results"]) + len(blank) and blank
    assert all(not judges(check, operation) and cell.visible == "" for (operation, check), cell in blank.items())
    for entry in result["results"]:
        cell = page.cells[(entry["operation"], entry["check"])]
        if entry["status"] == "failed":
            assert cell.attributes["data-state"] == "failed"
            assert cell.visible == f"FAILED {entry['failed']}"
        elif entry["status"] == "passed":
            assert cell.attributes["data-state"] == "passed"
            assert cell.visible.startswith(f"passed {entry['passed']}")
        else:
            assert cell.attributes["data-state"] == "never applied"
            assert cell.visible == f"never applied {entry['reason']}"
            assert entry["reason"] in cell.attributes["title"]
    # A check that applied on other operations says so on the ones it never reached.
    partial = [e for e in result["results"] if e["status"] == "skipped" and e["reason"] == NOT_ON_THIS_OPERATION]
    assert partial
    cards = {(card.attributes["data-operation"], card.attributes["data-check"]): card for card in page.cards}
    failed = [entry for entry in result["results"] if entry["status"] == "failed"]
    assert set(cards) == {(entry["operation"], entry["check"]) for entry in failed}
    for entry in failed:
        card = cards[(entry["operation"], entry["check"])].visible
        assert entry["check"] in card and " ".join(entry["expected"].split()) in card
        assert "Authorization: Bearer $CLOUDFLARE_API_TOKEN" in card


def test_a_run_that_could_not_judge_still_writes_every_file_saying_why(run_cli: Run, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    outcome = check_with_report_dir(run_cli, report_dir, "--base-url", "http://127.0.0.1:9/client/v4")
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    result = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 2 and result["error"]
    assert 'name="the run judges the target"' in (report_dir / "junit.xml").read_text(encoding="utf-8")
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "could not judge" in page and 'class="verdict warn"' in page
    events = read_events(report_dir / "events.ndjson")
    assert [event["event"] for event in events] == ["run_started", "run_finished"]
    assert events[-1]["exit_code"] == 2 and events[-1]["error"] == result["error"]


def test_a_report_dir_that_is_a_file_is_refused_before_the_run(run_cli: Run, tmp_path: Path) -> None:
    taken = tmp_path / "report"
    taken.write_text("not a folder", encoding="utf-8")
    outcome = check_with_report_dir(run_cli, taken)
    assert outcome.code == 2
    assert outcome.stderr.startswith("error: --report-dir") and "is a file" in outcome.stderr
    assert "Traceback" not in outcome.stderr and outcome.stdout == ""


def test_refused_options_still_write_the_report_dir_saying_why(run_cli: Run, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    refused = ("--app", "a:b", "--base-url", "http://127.0.0.1:9", "--token", TOKEN)
    outcome = run_cli("check", *refused, "--report-dir", str(report_dir))
    assert outcome.code == 2 and "Traceback" not in outcome.stderr
    result = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 2 and "not both" in result["error"]
    assert 'errors="1"' in (report_dir / "junit.xml").read_text(encoding="utf-8")
    assert "could not judge" in (report_dir / "report.html").read_text(encoding="utf-8")
    assert TOKEN not in "".join(path.read_text(encoding="utf-8") for path in report_dir.iterdir())


def test_an_app_that_cannot_be_imported_when_the_run_opens_it_ends_every_report_saying_why(
    run_cli: Run, tmp_path: Path
) -> None:
    report_dir = tmp_path / "report"
    outcome = check_with_report_dir(run_cli, report_dir, "--app", "pcaps_no_such_module_here:app")
    assert outcome.code == 2 and "Traceback" not in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1 and "cannot import pcaps_no_such_module_here" in outcome.stderr
    result = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 2 and "cannot import" in result["error"]
    lines = [json.loads(line) for line in (report_dir / "events.ndjson").read_text(encoding="utf-8").splitlines()]
    assert [line["event"] for line in lines] == ["run_started", "run_finished"]
    assert lines[-1]["exit_code"] == 2 and "cannot import" in lines[-1]["error"]


@pytest.fixture(scope="module")
def served_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Outcome, Path, str]]:
    """`check --report-dir` of the mock served on 127.0.0.1: a faithful target over real sockets."""
    from pcaps_contract.mock import MockConfig, create_app
    from pcaps_contract.mock._server import serve_in_thread
    from tests.cli.helpers import cli_runner

    report_dir = tmp_path_factory.mktemp("served") / "out"
    app = create_app(MockConfig(accounts=(OWNER, OTHER)))
    with serve_in_thread(app) as url, pytest.MonkeyPatch.context() as monkeypatch:
        outcome = check_with_report_dir(cli_runner(monkeypatch), report_dir, "--base-url", url + "/client/v4")
    yield outcome, report_dir, dump_dom(report_dir / "report.html")


def test_no_check_yields_a_verdict_on_an_operation_it_does_not_declare_in_a_served_run(
    served_run: tuple[Outcome, Path, str], broken_run: tuple[Outcome, Path]
) -> None:
    """The engine, the lifecycle and its lanes keep to what each check declares (`_checks`), broken target or not."""
    outcome, report_dir, _ = served_run
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    for folder in (report_dir, broken_run[1]):
        result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        judged = [entry for entry in result["results"] if entry["passed"] or entry["failed"]]
        assert judged and all(judges(entry["check"], entry["operation"]) for entry in judged)
        assert {entry["check"] for entry in judged} & set(CHECKS)  # our checks were among them


def test_the_page_leads_with_the_verdict_and_the_violations_then_the_matrix_and_the_run(
    served_run: tuple[Outcome, Path, str], broken_run: tuple[Outcome, Path]
) -> None:
    for dom in (served_run[2], dump_dom(broken_run[1] / "report.html")):
        positions = [dom.index(marker) for marker in ('id="verdict"', 'id="failures"', 'id="results"', 'id="run"')]
        assert positions == sorted(positions)
        assert dom.index('id="responses"') < dom.index('id="run"')


def test_the_page_and_result_json_show_the_whole_command_line_with_the_token_as_its_variable(
    served_run: tuple[Outcome, Path, str],
) -> None:
    _, report_dir, dom = served_run
    command = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))["command"]
    assert command.startswith("pcaps-contract check --base-url http://127.0.0.1:")
    expected = f'--token "$CLOUDFLARE_API_TOKEN" --account-id {OWNER} --account-id {OTHER} --seed 1 --max-examples 2'
    assert expected in command and command.endswith(f"--report-dir {report_dir}")
    assert html.escape(command, quote=False) in dom and TOKEN not in dom


def test_a_flag_in_a_reason_never_wraps_mid_flag(served_run: tuple[Outcome, Path, str]) -> None:
    """Over a network the mock hands out no challenge: the cells say "give --bucket", the flag in one piece."""
    dom = served_run[2]
    assert 'give <span class="flag">--bucket</span>' in dom
    visible = re.sub(r' title="[^"]*"', "", dom)  # a title is no line to break
    assert "give --bucket" not in visible.replace('<span class="flag">--bucket</span>', "")


def test_the_documented_responses_seen_are_in_result_json_and_on_the_page(
    served_run: tuple[Outcome, Path, str],
) -> None:
    _, report_dir, dom = served_run
    rows = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))["coverage"]
    seen = {(row["operation"], row["response"]): row["seen"] for row in rows if row["documented"]}
    assert seen[("list_buckets", "200")] > 0 and seen[("add_bucket", "200")] > 0
    assert seen[("delete_bucket", "204")] > 0 and seen[("validate_bucket", "200")] > 0
    assert {operation for operation, _ in seen} == {"list_buckets", "add_bucket", "delete_bucket", "validate_bucket"}
    for row in rows:
        marker = f'data-operation="{row["operation"]}" data-response="{row["response"]}" data-seen="{row["seen"]}"'
        assert marker in dom, marker


def test_ctrf_json_holds_one_valid_test_per_cell_of_result_json(
    served_run: tuple[Outcome, Path, str], broken_run: tuple[Outcome, Path]
) -> None:
    from tests.unit.report.test_ctrf import valid

    for folder in (served_run[1], broken_run[1]):
        result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
        text = (folder / "ctrf.json").read_text(encoding="utf-8")
        document = json.loads(text)
        valid(document)
        assert TOKEN not in text
        tests = {(test["extra"]["operation"], test["extra"]["check"]): test for test in document["results"]["tests"]}
        assert {key: test["status"] for key, test in tests.items()} == {
            (entry["operation"], entry["check"]): entry["status"] for entry in result["results"]
        }
        assert document["results"]["summary"]["failed"] == sum(
            entry["status"] == "failed" for entry in result["results"]
        )
