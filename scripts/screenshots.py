"""Redo the screenshots in docs/ of the HTML reports: run the command into a temporary folder, then headless Chromium.

.venv/bin/python scripts/screenshots.py            # every screenshot
.venv/bin/python scripts/screenshots.py check      # docs/check-report.png only
.venv/bin/python scripts/screenshots.py fuzz       # docs/fuzz-report.png only (a 15-second run)
.venv/bin/python scripts/screenshots.py quickstart # docs/quickstart.png only: the README's quickstart in a terminal
"""

from __future__ import annotations

import contextlib
import html
import io
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pcaps_contract._cli import main  # noqa: E402
from tests.browser import screenshot  # noqa: E402
from tests.gallery.broken import OTHER, OWNER, submitted_with_space  # noqa: E402


def check_report(folder: Path) -> Path:
    """`check --report-dir` against a gallery implementation that still lists deleted ownerships."""
    arguments = ["check", "--app", "tests.gallery.broken:deleted_still_listed", "--token", "pcaps-contract-dev-token"]
    arguments += ["--account-id", OWNER, "--account-id", OTHER, "--seed", "1", "--max-examples", "2"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main([*arguments, "--report-dir", str(folder)])
    return folder / "report.html"


def fuzz_report(folder: Path) -> Path:
    """A 15-second `fuzz` of a mock that writes `submitted` with a space, with 5 % 429s and 3 % 500s, on 127.0.0.1."""
    from pcaps_contract.mock import DEV_TOKEN, MockConfig
    from pcaps_contract.mock._server import serve_in_thread

    faults = MockConfig(accounts=(OWNER, OTHER), rate_limit_rate=0.05, retry_after=1, server_error_rate=0.03, seed=3)
    with serve_in_thread(submitted_with_space.behind(faults)) as url:
        arguments = ["fuzz", "--base-url", f"{url}/client/v4", "--account-id", OWNER, "--token", DEV_TOKEN]
        arguments += ["--duration", "15s", "--rate-limit", "50/s", "--workers", "2", "--seed", "20261126"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main([*arguments, "--report-dir", str(folder)])
    return folder / "report.html"


def quickstart_terminal(folder: Path) -> Path:
    """The README's quickstart as a terminal shows it: the mock served on 127.0.0.1, `check --base-url` against it."""
    from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
    from pcaps_contract.mock._server import serve_in_thread

    account = "023e105f4ecef8ad9ca31a8372d0c353"
    with serve_in_thread(create_app(MockConfig(accounts=(account,)))) as url:
        base_url = f"{url}/client/v4"
        shown = f"$ pcaps-contract check --base-url {base_url} --account-id {account} --report-dir reports"
        environ = {**os.environ, "CLOUDFLARE_API_TOKEN": DEV_TOKEN, "NO_COLOR": "1", "COLUMNS": "110"}
        command = [sys.executable, "-m", "pcaps_contract", *shown.split()[2:-1], str(folder / "reports")]
        done = subprocess.run(command, capture_output=True, text=True, env=environ, timeout=300, check=False)
    text = "\n".join([shown, done.stdout.rstrip(), done.stderr.rstrip(), f"$ echo $?\n{done.returncode}"])
    page = folder / "quickstart.html"
    style = "body{margin:0;background:#1e1e1e}pre{color:#e0e0e0;font:14px/1.35 monospace;padding:16px;margin:0}"
    page.write_text(f"<!doctype html><meta charset=utf-8><style>{style}</style><pre>{html.escape(text)}</pre>")
    return page


# name -> (how to make the page, the PNG, its height in CSS pixels)
SCREENSHOTS: dict[str, tuple[Callable[[Path], Path], Path, int]] = {
    "check": (check_report, ROOT / "docs" / "check-report.png", 4000),
    "fuzz": (fuzz_report, ROOT / "docs" / "fuzz-report.png", 6100),
    "quickstart": (quickstart_terminal, ROOT / "docs" / "quickstart.png", 1000),
}


def main_(names: list[str]) -> int:
    unknown = sorted(set(names) - set(SCREENSHOTS))
    if unknown:
        print(
            f"error: no screenshot named {', '.join(unknown)}; choose from {', '.join(SCREENSHOTS)}.", file=sys.stderr
        )
        return 2
    for name in names or list(SCREENSHOTS):
        make, png, height = SCREENSHOTS[name]
        with tempfile.TemporaryDirectory(prefix=f"pcaps-{name}-") as folder:
            screenshot(make(Path(folder) / "report"), png, width=1280, height=height)
        print(f"{name}: {png.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1:]))
