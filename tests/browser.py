"""Headless Chromium for the HTML reports' tests: the DOM after rendering, and a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# Everything that would reach the network or a profile off: the page under test is a local file.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)
TIMEOUT = 60.0  # seconds: a browser that hangs fails the test instead of the suite


def chromium() -> str:
    """The Chromium executable, or the test is skipped with the command that installs it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium on PATH: apt-get install chromium (.ci/run does)")


def _run(html_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="pcaps-chromium-") as profile:
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *arguments, html_path.resolve().as_uri()]
        environment = {**os.environ, "HOME": profile}  # no writes to the real home's cache
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=True, env=environment)
        except subprocess.CalledProcessError as exc:
            raise AssertionError(f"chromium exited {exc.returncode}: {exc.stderr[-2000:]}") from None
        except subprocess.TimeoutExpired:
            raise AssertionError(f"chromium did not finish within {TIMEOUT:g}s") from None


def dump_dom(html_path: Path) -> str:
    """The page's DOM as Chromium serialises it after loading the file (`--dump-dom`)."""
    return _run(html_path, "--dump-dom").stdout


def screenshot(html_path: Path, png_path: Path, width: int = 1280, height: int = 1600) -> None:
    """A PNG of the page at `width` x `height` CSS pixels."""
    png_path.parent.mkdir(parents=True, exist_ok=True)
    _run(html_path, f"--screenshot={png_path.resolve()}", f"--window-size={width},{height}")
    if not png_path.is_file():
        raise AssertionError(f"chromium wrote no screenshot at {png_path}")
