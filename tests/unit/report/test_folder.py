"""The report folder of check, proxy and verify (`_report_dir`), the HTML page (`_html`) and the event log."""

from __future__ import annotations

import html
import json
import threading
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract._errors import UsageError
from pcaps_contract.engine.ownerships import Leftover
from pcaps_contract.judge.ledger import Failure, Ledger, Step
from pcaps_contract.openapi import api
from pcaps_contract.report.eventlog import TEXT_LIMIT
from pcaps_contract.report.folder import (
    EVENTS_FILE,
    HTML_FILE,
    MAX_FAILURE_EVENTS,
    RunEvents,
    prepare_report_dir,
    prepare_report_file,
    write_report_dir,
    write_reports,
)
from pcaps_contract.report.html import flags_unbroken, render_run_report, shown_value
from pcaps_contract.report.run_report import NEVER_APPLIED, NOT_ON_THIS_OPERATION, RunReport
from pcaps_contract.report.stream import FailureFound, RunFinished, RunStarted

SECRET = "a-users-secret-token-0123456789"


def report_of(failures: list[Failure], **fields: object) -> RunReport:
    checks = ["not_a_server_error", "success_has_result", "created_ownership_is_listed", "x_y"]
    ledger = Ledger(["add_bucket", "list_buckets"], checks)
    ledger.passed("add_bucket", "not_a_server_error")
    ledger.passed("list_buckets", "success_has_result")
    ledger.passed("list_buckets", "created_ownership_is_listed")
    for failure in failures:
        ledger.failed(failure)
    return RunReport("http://127.0.0.1:1/client/v4", 7, "quick", ledger, Credentials(token=SECRET), **fields)  # type: ignore[arg-type]


def hostile_failure() -> Failure:
    step = Step("GET", f"http://127.0.0.1:1/x?t={SECRET}", {"Authorization": f"Bearer {SECRET}"})
    return Failure(
        "list_buckets", "not_a_server_error", "<b>no 5xx</b>", f'<script>alert("{SECRET}")</script>', (step,)
    )


class Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_page_escapes_what_a_server_sent_and_keeps_no_secret() -> None:
    page = render_run_report(report_of([hostile_failure()]), "check")
    assert SECRET not in page
    parsed = Texts()
    parsed.feed(page)
    assert "script" not in parsed.tags and "b" not in parsed.tags  # shown as text, never obeyed
    text = "".join(parsed.text)
    assert '<script>alert("$CLOUDFLARE_API_TOKEN")</script>' in text and "<b>no 5xx</b>" in text
    assert "Authorization: Bearer $CLOUDFLARE_API_TOKEN" in text


def test_the_page_shows_the_error_the_leftovers_and_the_notes() -> None:
    report = report_of(
        [],
        error="the target stopped answering",
        leftovers=[Leftover("023e105f4ecef8ad9ca31a8372d0c353", "own-1", "delete answered 500")],
        notes=["a note of the run"],
    )
    page = render_run_report(report, "check")
    assert 'id="leftovers"' in page and "own-1" in page and "delete answered 500" in page
    assert "the target stopped answering" in page and "a note of the run" in page
    assert 'class="verdict bad"' in page  # exit 3 outranks the error


def test_a_cell_says_why_it_never_applied() -> None:
    report = report_of([], never_judged={"x_y": "give two --account-id values the credentials can use"})
    assert report.why_never_applied("add_bucket", "success_has_result") == NOT_ON_THIS_OPERATION
    assert report.why_never_applied("add_bucket", "x_y") == "give two --account-id values the credentials can use"
    assert report_of([]).why_never_applied("add_bucket", "x_y") == NEVER_APPLIED
    page = render_run_report(report, "check")
    assert "(it applied on list_buckets)" in page
    reasons = {
        entry["check"]: entry.get("reason")
        for entry in report.as_json()["results"]
        if entry["operation"] == "add_bucket"
    }
    assert reasons == {  # created_ownership_is_listed never judges add_bucket: no cell, no reason
        "not_a_server_error": None,
        "success_has_result": NOT_ON_THIS_OPERATION,
        "x_y": "give two --account-id values the credentials can use",
    }


def test_a_cell_the_check_never_judges_by_design_is_blank_and_counted_nowhere() -> None:
    report = report_of([])
    assert report.ledger.by_design("add_bucket", "created_ownership_is_listed")
    assert not report.ledger.by_design("list_buckets", "created_ownership_is_listed")
    assert not report.ledger.by_design("add_bucket", "not_a_server_error")  # a built-in judges every operation
    assert not report.ledger.by_design("add_bucket", "x_y")  # a name no check of ours declares: shown
    assert report.counts() == {"passed": 3, "failed": 0, "skipped": 4}  # 8 cells, 1 blank
    cells = Cells()
    cells.feed(render_run_report(report, "check"))
    assert cells.states[("add_bucket", "created_ownership_is_listed")] == ("not judged by design", "")
    assert cells.states[("add_bucket", "success_has_result")][0] == "never applied"
    assert "add_bucket" not in report.not_applicable().get("created_ownership_is_listed", [])


def test_a_verdict_on_an_operation_a_check_does_not_declare_is_shown_never_hidden() -> None:
    """The declaration blanks only empty cells: were a door to record such a verdict, the report would show it."""
    report = report_of([])
    report.ledger.passed("add_bucket", "created_ownership_is_listed")
    assert not report.ledger.by_design("add_bucket", "created_ownership_is_listed")
    assert ("add_bucket", "created_ownership_is_listed") in report.ledger.judgeable()


@pytest.mark.slow  # a report rendered to HTML per example: about 20 s
@settings(deadline=None)
@given(st.permutations(["validate_bucket", "delete_bucket", "add_bucket", "list_buckets", "other_op"]))
def test_every_report_takes_one_column_order_whatever_order_the_run_met_the_operations(order: list[str]) -> None:
    ledger = Ledger(order[:2], ["not_a_server_error"])
    for operation in order[2:]:
        ledger.passed(operation, "not_a_server_error")
    known = [name for name in api.OPERATIONS if name in order]
    assert ledger.operations == [*known, "other_op"]
    report = RunReport("t", 1, "quick", ledger, Credentials(token=SECRET))
    assert [entry["operation"] for entry in report.as_json()["results"]] == ledger.operations
    cells = Cells()
    cells.feed(render_run_report(report, "check"))
    assert [operation for operation, _ in cells.states] == ledger.operations


class Cells(HTMLParser):
    """Each matrix cell's state and text, in page order."""

    def __init__(self) -> None:
        super().__init__()
        self.states: dict[tuple[str, str], tuple[str, str]] = {}
        self._open: tuple[str, str] | None = None
        self._state = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "td" and found.get("data-check"):
            self._open = (str(found["data-operation"]), str(found["data-check"]))
            self._state = str(found["data-state"])
            self.states[self._open] = (self._state, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self.states[self._open] = (self._state, (self.states[self._open][1] + data).strip())


@settings(deadline=None)
@given(st.text(max_size=80))
def test_a_flag_in_running_text_never_wraps_and_the_text_stays_escaped(text: str) -> None:
    """Text from outside in a reason: escaped whole, each `--flag` in one unbreakable span, nothing else added."""
    shown = str(flags_unbroken(text + " give --bucket"))
    assert '<span class="flag">--bucket</span>' in shown
    plain = shown.replace('<span class="flag">', "").replace("</span>", "")
    assert "<" not in plain and html.unescape(plain) == shown_value(text) + " give --bucket"


def test_one_writer_puts_the_four_reports_in_the_folder(tmp_path: Path) -> None:
    write_report_dir(report_of([hostile_failure()]), tmp_path / "out", "verify")
    names = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert names == ["ctrf.json", "junit.xml", "report.html", "result.json"]
    assert all(SECRET not in path.read_text(encoding="utf-8") for path in (tmp_path / "out").iterdir())
    assert "pcaps-contract verify" in (tmp_path / "out" / HTML_FILE).read_text(encoding="utf-8")


def test_a_folder_that_cannot_hold_the_reports_is_refused_in_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(UsageError, match="is a file; give a folder"):
        prepare_report_dir(tmp_path / "file")
    (tmp_path / "dir" / "report.html").mkdir(parents=True)
    with pytest.raises(UsageError, match="is a folder; remove it"):
        prepare_report_dir(tmp_path / "dir")
    assert prepare_report_dir(tmp_path / "new" / "deep", files=(EVENTS_FILE,)).is_dir()
    assert (tmp_path / "new" / "deep" / EVENTS_FILE).is_file()
    assert prepare_report_dir(None) is None  # no --report-dir: nothing created


def test_a_report_file_is_prepared_before_the_run_or_refused_in_one_sentence(tmp_path: Path) -> None:
    """`--junit-xml` and `--report` of `check` and `verify`: one rule, its folder created, a folder refused."""
    (tmp_path / "taken").mkdir()
    with pytest.raises(UsageError, match=r"--junit-xml .*taken is a folder; give a file name, e\.g\. .*junit\.xml"):
        prepare_report_file(tmp_path / "taken", "--junit-xml")
    with pytest.raises(UsageError, match=r"--report .*taken is a folder; give a file name, e\.g\. .*result\.json"):
        prepare_report_file(tmp_path / "taken", "--report")
    (tmp_path / "plain").write_text("", encoding="utf-8")
    with pytest.raises(UsageError, match=r"--report .*cannot be written \(.*\); choose another path\."):
        prepare_report_file(tmp_path / "plain" / "result.json", "--report")  # its folder is a file
    assert prepare_report_file(None, "--report") is None
    made = prepare_report_file(tmp_path / "new" / "deep" / "result.json", "--report")
    assert made is not None and made.is_file() and made.read_text(encoding="utf-8") == ""


def test_every_report_file_asked_for_is_written_naming_the_command_line_redacted(tmp_path: Path) -> None:
    report = report_of([hostile_failure()])
    junit, json_path, folder = tmp_path / "junit.xml", tmp_path / "result.json", tmp_path / "dir"
    write_reports(report, junit, json_path, folder, "verify", ("verify", "--token", SECRET, "x.har"))
    written = [junit, json_path, *sorted(folder.iterdir())]
    assert len(written) == 6
    assert all(SECRET not in path.read_text(encoding="utf-8") for path in written)
    assert json.loads(json_path.read_text(encoding="utf-8"))["command"] == (
        'pcaps-contract verify --token "$CLOUDFLARE_API_TOKEN" x.har'
    )
    write_reports(report_of([]), None, None, None, "verify")  # none asked for: nothing written, nothing raised


def test_the_event_log_is_redacted_cut_bounded_and_whole_lines_from_many_threads(tmp_path: Path) -> None:
    path = tmp_path / EVENTS_FILE
    report = report_of([])
    events = RunEvents(path, report.credentials.redact)
    report.ledger.on_failure = lambda failure: events(FailureFound(failure))
    events(RunStarted(report))
    long = Failure("add_bucket", "x_y", "short", SECRET + "x" * 2 * TEXT_LIMIT, (hostile_failure().steps[0],))

    # Each thread's failure is one whole line however they interleave.
    def record() -> None:
        for _ in range(MAX_FAILURE_EVENTS // 4 + 10):
            report.ledger.failed(long)

    threads = [threading.Thread(target=record) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1 + MAX_FAILURE_EVENTS  # flushed as it goes
    events(RunFinished(report))
    text = path.read_text(encoding="utf-8")
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines()]
    failures = [line for line in lines if line["event"] == "failure"]
    assert len(failures) == MAX_FAILURE_EVENTS
    assert all(len(line["received"]) == TEXT_LIMIT and line["received"].startswith("$CLOUDFLARE") for line in failures)
    assert lines[-1]["failures_recorded"] == 4 * (MAX_FAILURE_EVENTS // 4 + 10)
    assert lines[-1]["failure_events"] == MAX_FAILURE_EVENTS and lines[-1]["exit_code"] == 1


def test_another_reports_template_renders_the_shared_matrix_and_card() -> None:
    from pcaps_contract.report.html import environment

    report = report_of([hostile_failure()])
    template = environment(("pcaps_contract.fuzz", "templates")).from_string(
        '{% from "_macros.html.j2" import matrix, failure_card %}{{ matrix(report) }}'
        '{% call failure_card(failure, ["curl -X GET x"], tags=["new"]) %}<p id="extra">replay</p>{% endcall %}'
    )
    page = template.render(report=report, failure=report.redacted(report.ledger.failures()[0]))
    assert page.count('<td class="cell') == 8 and 'href="#failure-list_buckets-not_a_server_error"' in page
    assert 'id="failure-list_buckets-not_a_server_error"' in page and '<p id="extra">replay</p>' in page
    assert SECRET not in page
