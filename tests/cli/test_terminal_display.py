"""`check` in a pseudo-terminal shows its live line and a coloured summary; in CI (pipes) not one escape code."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from tests.cli.helpers import FAST

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "pcaps_contract", "check", "--seed", "1", *FAST]
COLUMNS = 72  # narrower than the line: it is cut, never wrapped
LIMIT = 240.0  # seconds: the run is a few; the bound keeps a hung child from hanging the suite


def _environ(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR", "CI")}
    return {**env, "PYTHONPATH": str(ROOT / "src"), "TERM": "xterm", **extra}


def _in_a_pty(env: dict[str, str]) -> tuple[int, str]:
    """Run `check` with stdout and stderr on a pseudo-terminal; its exit code and everything it showed."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
    process = subprocess.Popen(COMMAND, stdin=subprocess.DEVNULL, stdout=child, stderr=child, env=env, cwd=ROOT)
    os.close(child)
    shown = bytearray()
    deadline = time.monotonic() + LIMIT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the child closed its side
                    break
                if not chunk:
                    break
                shown += chunk
            elif process.poll() is not None:
                break
        code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    return code, shown.decode("utf-8", "replace")


def _visible(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def test_in_a_terminal_check_shows_a_live_line_in_colour_and_a_coloured_summary() -> None:
    code, shown = _in_a_pty(_environ())
    assert code == 0, shown
    assert "\r\x1b[1mcheck 0m" in shown and "\x1b[K" in shown  # the live line, rewritten in place, in colour
    assert " requests" in shown
    lines = [_visible(part) for part in shown.split("\r") if part.startswith("\x1b[1mcheck 0m")]
    assert lines and all(len(line) < COLUMNS for line in lines)
    assert "\x1b[32mok " in shown  # the summary table's passes in green
    last = _visible(shown).rstrip().split("\n")[-1].split("\r")[-1]
    assert last.endswith("the implementation keeps the contract"), last  # the verdict, last, the live line gone


def test_with_no_color_the_terminal_gets_the_live_line_without_any_colour() -> None:
    code, shown = _in_a_pty(_environ(NO_COLOR="1"))
    assert code == 0, shown
    assert "\rcheck 0m" in shown and "\x1b[" not in shown


def test_in_ci_the_output_has_no_escape_code_at_all() -> None:
    outcome = subprocess.run(COMMAND, capture_output=True, text=True, env=_environ(), cwd=ROOT, timeout=LIMIT)
    assert outcome.returncode == 0, outcome.stderr
    assert "\x1b" not in outcome.stdout + outcome.stderr and "\r" not in outcome.stdout + outcome.stderr
    assert "the implementation keeps the contract" in outcome.stdout
