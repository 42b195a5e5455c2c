"""Redo the screenshots in docs/ of the HTML reports: run the command into a temporary folder, then headless Chromium.

.venv/bin/python scripts/screenshots.py            # every screenshot
.venv/bin/python scripts/screenshots.py check      # docs/check-report.png only
.venv/bin/python scripts/screenshots.py fuzz       # docs/fuzz-report.png only (a 15-second run)
"""

from __future__ import annotations

import contextlib
import io
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


# name -> (how to make the page, the PNG, its height in CSS pixels)
SCREENSHOTS: dict[str, tuple[Callable[[Path], Path], Path, int]] = {
    "check": (check_report, ROOT / "docs" / "check-report.png", 4000),
    "fuzz": (fuzz_report, ROOT / "docs" / "fuzz-report.png", 6100),
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
