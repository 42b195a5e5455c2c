"""A run killed outright (SIGKILL: no handler runs) leaves reports that say it did not finish, never empty files.

CI's "publish test results" step then shows an error testcase instead of failing on a file it cannot parse.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.report.folder import UNFINISHED
from tests.gallery.broken import OWNER

TOKEN = "a-killed-run-canary-token-5b7c"


def kill_when(process: subprocess.Popen[bytes], ready: Path, seconds: float = 60.0) -> None:
    """SIGKILL the process once `ready` has content (the run is under way), or after `seconds` at the latest."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        if ready.exists() and ready.stat().st_size > 0:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def assert_says_unfinished(folder: Path) -> None:
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 2 and UNFINISHED in json.dumps(result)
    suites = ElementTree.parse(folder / "junit.xml").getroot()
    errors = [case for case in suites.iter("testcase") if case.find("error") is not None]
    assert len(errors) == 1 and UNFINISHED in (errors[0].find("error").get("message") or "")  # type: ignore[union-attr]
    assert "did not finish" in (folder / "report.html").read_text(encoding="utf-8")
    ctrf = json.loads((folder / "ctrf.json").read_text(encoding="utf-8"))
    [other] = [test for test in ctrf["results"]["tests"] if test["status"] != "skipped"]
    assert other["status"] == "other" and UNFINISHED in other["message"]
    assert not any(TOKEN in path.read_text(encoding="utf-8") for path in folder.iterdir() if path.is_file())


def run_killed(command: list[str], ready: str, tmp_path: Path) -> Path:
    folder = tmp_path / "report"
    environment = {**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN, "NO_COLOR": "1"}
    with serve_in_thread(create_app(MockConfig(latency=0.05, token=TOKEN))) as origin:
        base = f"{origin}/client/v4"
        argv = [sys.executable, "-m", "pcaps_contract._cli", *command, base, "--report-dir", str(folder)]
        process = subprocess.Popen(argv, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        kill_when(process, folder / ready)
    assert process.returncode == -signal.SIGKILL
    return folder


def test_a_killed_check_leaves_reports_that_say_it_did_not_finish(tmp_path: Path) -> None:
    folder = run_killed(["check", "--account-id", OWNER, "--base-url"], "events.ndjson", tmp_path)
    assert_says_unfinished(folder)


def test_a_killed_fuzz_leaves_reports_that_say_it_did_not_finish(tmp_path: Path) -> None:
    command = ["fuzz", "--account-id", OWNER, "--duration", "60s", "--base-url"]
    folder = run_killed(command, "events.ndjson", tmp_path)
    assert_says_unfinished(folder)


def test_a_killed_proxy_leaves_reports_that_say_it_did_not_finish(tmp_path: Path) -> None:
    folder = run_killed(["proxy", "--port", "0", "--upstream"], "report.html", tmp_path)  # its last placeholder
    assert_says_unfinished(folder)
