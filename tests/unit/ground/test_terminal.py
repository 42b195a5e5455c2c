"""Colour on a terminal and nowhere else: the live line and the end-of-run text, through rich on a fake terminal;
plain bytes with NO_COLOR, TERM=dumb or off a terminal; a display that breaks never breaks the run."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from pcaps_contract._terminal import Painter, fit, painted, plain, takes_colour
from pcaps_contract.fuzz.progress import Snapshot
from pcaps_contract.fuzz.progress import segments as fuzz_segments
from pcaps_contract.gate.progress import GateSnapshot, segments
from pcaps_contract.report.progress import Progress
from pcaps_contract.report.text import TEXT_STYLES

ESC = "\x1b["
GATE = GateSnapshot(75, 412, 6, 31.2, 2, 3, cases=230, phase="coverage", operation="add_bucket")
FUZZ = Snapshot(cases=120, findings=3, new_findings=1, requests=130, throttled=4, elapsed=65.0, left=535.0)
TABLE = "check               add_bucket\nnot_a_server_error  ok 12\nsuccess_matches     FAIL 3\n"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def fake_console() -> Painter:
    return Painter(True, Console(file=io.StringIO(), force_terminal=True, color_system="standard"))


def test_on_a_terminal_the_live_line_is_in_colour_and_says_phase_operation_and_counts() -> None:
    stream = io.StringIO()
    progress = Progress(stream, segments, tty=True, painter=fake_console())
    progress.update(GATE)
    text = stream.getvalue()
    assert ESC in text and text.startswith("\r") and text.endswith("\x1b[K")
    assert "\x1b[1;31m2 failed" in text  # failures in bold red
    words = plain(segments(GATE))
    assert words == (
        "check 1m15s  coverage  add_bucket  230 cases  412 requests  6 in flight  31.2 req/s  2 failed  3 throttled"
    )


def test_the_fuzz_line_shows_elapsed_of_budget_findings_and_429s() -> None:
    words = plain(fuzz_segments(FUZZ))
    assert words.startswith("fuzz 1m05s/10m00s  cases 120  findings 3 (1 new)  2.0 req/s  throttled 4 (429)")
    stream = io.StringIO()
    Progress(stream, fuzz_segments, tty=True, painter=fake_console()).update(FUZZ)
    assert "\x1b[1;31mfindings 3 (1 new)" in stream.getvalue()


@pytest.mark.parametrize(
    ("environ", "stream"),
    [
        ({"NO_COLOR": "1", "TERM": "xterm"}, FakeTerminal()),
        ({"NO_COLOR": "anything", "TERM": "xterm-256color"}, FakeTerminal()),
        ({"TERM": "dumb"}, FakeTerminal()),
        ({"TERM": "xterm"}, io.StringIO()),  # off a terminal: a CI log, a pipe
    ],
)
def test_no_colour_with_no_color_a_dumb_terminal_or_off_a_terminal(environ: dict[str, str], stream: Any) -> None:
    assert not takes_colour(stream, environ)
    painter = Painter.for_stream(stream, environ)
    assert painter.segments(segments(GATE)) == plain(segments(GATE))
    assert painter.highlight(TABLE, TEXT_STYLES) == TABLE


def test_a_colour_terminal_is_one_that_is_a_tty_without_no_color() -> None:
    assert takes_colour(FakeTerminal(), {"TERM": "xterm", "NO_COLOR": ""})  # empty means unset (no-color.org)


def test_the_summary_table_is_coloured_on_a_terminal_only() -> None:
    coloured = fake_console().highlight(TABLE, TEXT_STYLES)
    assert "\x1b[32mok 12\x1b[0m" in coloured and "\x1b[1;31mFAIL 3\x1b[0m" in coloured
    assert painted(TABLE, TEXT_STYLES, io.StringIO()) == TABLE  # byte for byte off a terminal
    fuzz = "[NEW] not_a_server_error on add_bucket (2x, k)\n1 new finding(s) (exit 1)"
    assert ESC in fake_console().highlight(fuzz, TEXT_STYLES)
    assert painted(fuzz, TEXT_STYLES, io.StringIO()) == fuzz


def test_off_a_terminal_the_lines_are_plain_and_carry_no_escape_code() -> None:
    stream = io.StringIO()
    progress = Progress(stream, segments, interval=0)
    progress.update(GATE)
    progress.finish(GATE)
    assert not progress.tty and ESC not in stream.getvalue() and "\r" not in stream.getvalue()
    assert stream.getvalue().splitlines()[0] == plain(segments(GATE))


def test_a_narrow_terminal_gets_the_line_cut_to_its_width() -> None:
    cut = fit(segments(GATE), 20)
    assert plain(cut) == plain(segments(GATE))[:20]
    assert fit(segments(GATE), None) == segments(GATE) and fit(segments(GATE), 0) == []


class Closed(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_broken_stream_or_a_failing_renderer_ends_the_display_not_the_run() -> None:
    progress = Progress(Closed(), segments, tty=True)
    progress.update(GATE)
    progress.finish(GATE)
    assert progress.broken

    def broken(snapshot: GateSnapshot) -> str:
        raise ValueError("a bug in a renderer")

    stream = io.StringIO()
    failing = Progress(stream, broken, tty=True)
    failing.update(GATE)
    failing.finish(GATE)
    assert failing.broken and stream.getvalue() == ""
    closed = io.StringIO()
    closed.close()
    Progress(closed, segments, tty=False, interval=0).update(GATE)  # a closed stderr: ignored
