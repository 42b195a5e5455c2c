"""`check` and `fuzz` against a hostile server, as subprocesses under a memory limit: each ends, in time, says so."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.hostile.server import MODES, serve_hostile, serve_recorder

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
TOKEN = "hostile-canary-9c41e7d2-never-print-me"
MEMORY_LIMIT = 1 << 30
# --max-time 60 (check) or --duration 5s (fuzz), plus the 120 s the cleanup may take, plus slack for a busy box.
CHECK_BOUND = 60 + 120 + 20
FUZZ_BOUND = 5 + 120 + 25
# The wall-clock cap of the subprocess: past the bound, so that a late run is measured rather than cut short.
KILL_AFTER = 60
# Where the answer itself refuses to be judged, the run must say so (2): refused credentials, a server that never
# stops throttling, a server that never answers.
CHECK_EXIT = {"unauthorized": {2}, "throttle-forever": {2}, "hang": {2}}


@dataclass(frozen=True)
class Ran:
    code: int
    output: str
    seconds: float

    def describe(self) -> str:
        """The exit code, the time and the output's tail, for a failing assertion."""
        return f"exit {self.code} after {self.seconds:.1f}s; output ends:\n{self.output[-3000:]}"


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _text(output: str | bytes | None) -> str:
    """What a timed-out subprocess wrote to one stream: bytes on POSIX even in text mode, None when nothing."""
    return output.decode("utf-8", "replace") if isinstance(output, bytes) else output or ""


def run_command(argv: list[str], cwd: Path, bound: float) -> Ran:
    """Run `pcaps-contract ARGV` as a user would, in a fresh process limited to 1 GiB of address space."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLOUDFLARE_")}
    started = time.monotonic()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "pcaps_contract._cli", *argv],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=bound + KILL_AFTER,
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired as exc:
        tail = _text(exc.stdout) + _text(exc.stderr)
        pytest.fail(f"`{argv[0]}` was still running after {bound + KILL_AFTER:.0f}s; output ends:\n{tail[-3000:]}")
    return Ran(process.returncode, process.stdout + process.stderr, time.monotonic() - started)


@contextmanager
def hostile(mode: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The hostile server in a mode, and what the recorder on 127.0.0.2 (the redirects' target) received."""
    with ExitStack() as stack:
        recorder_url, received = stack.enter_context(serve_recorder())
        yield stack.enter_context(serve_hostile(mode, redirect_to=recorder_url)), received


def assert_survived(ran: Ran, mode: str, allowed: set[int], bound: float) -> None:
    """The run ended in time with an allowed exit code, without a traceback, a usage error or the token."""
    assert "--help`" not in ran.output, f"{mode}: the command refused its arguments: {ran.describe()}"
    assert ran.seconds < bound, f"{mode}: the run took longer than {bound}s: {ran.describe()}"
    assert ran.code in allowed, f"{mode}: exit code not in {sorted(allowed)}: {ran.describe()}"
    assert "Traceback" not in ran.output, f"{mode}: {ran.describe()}"
    assert TOKEN not in ran.output, f"{mode}: the token was printed: {ran.describe()}"


def test_the_recorder_records_every_request_that_reaches_it() -> None:
    """The redirect tests' "nothing arrived" is only worth something if arrivals are seen."""
    with serve_recorder() as (url, received):
        httpx.post(url + "/client/v4/somewhere", headers={"X-Probe": "1"}, content=b"{}", timeout=5)
    assert [(r["method"], r["path"], r["headers"]["X-Probe"]) for r in received] == [
        ("POST", "/client/v4/somewhere", "1")
    ]


def timeout_for(mode: str) -> str:
    """1 s per answer keeps the suite quick; the drip gets 3 s, more than its 2 s gaps: only a whole-answer deadline
    can end it then, never a per-read timeout."""
    return "3" if mode == "drip" else "1"


@pytest.mark.parametrize("mode", MODES)
def test_check_ends_in_time_and_says_it_could_not_judge_a_hostile_server(mode: str, tmp_path: Path) -> None:
    with hostile(mode) as (url, received):
        ran = run_command(
            [
                "check",
                "--base-url",
                url,
                "--token",
                TOKEN,
                "--account-id",
                ACCOUNT,
                "--max-examples",
                "3",
                "--timeout",
                timeout_for(mode),
                "--max-time",
                "60",
                "--seed",
                "1",
            ],
            tmp_path,
            CHECK_BOUND,
        )
    # 3 when adds got no usable answer and the account's listing none either: each is listed as a possible leftover.
    assert_survived(ran, mode, CHECK_EXIT.get(mode, {1, 2, 3}), CHECK_BOUND)
    left = [line for line in ran.output.splitlines() if line.startswith("LEFT BEHIND: ")]
    assert (ran.code == 3) == bool(left), ran.describe()
    assert all(line.startswith("LEFT BEHIND: a possible ownership (id unknown) of bucket ") for line in left), left[:3]
    assert received == [], f"{mode}: a redirect was followed to another host: {received[:3]}"


@pytest.mark.parametrize("mode", MODES)
def test_fuzz_ends_in_time_never_claims_no_findings_and_keeps_the_token_out_of_reports(
    mode: str, tmp_path: Path
) -> None:
    report_dir = tmp_path / "report"
    with hostile(mode) as (url, received):
        ran = run_command(
            [
                "fuzz",
                "--base-url",
                url,
                "--token",
                TOKEN,
                "--account-id",
                ACCOUNT,
                "--duration",
                "5s",
                "--timeout",
                timeout_for(mode),
                "--rate-limit",
                "50/s",
                "--seed",
                "1",
                "--report-dir",
                str(report_dir),
            ],
            tmp_path,
            FUZZ_BOUND,
        )
    # 1 findings, 2 could not judge, 3 left behind: a run where nothing could be judged never says 0.
    assert_survived(ran, mode, {1, 2, 3}, FUZZ_BOUND)
    leaked = [str(path) for path in report_dir.rglob("*") if path.is_file() and TOKEN.encode() in path.read_bytes()]
    assert leaked == [], f"{mode}: the token is in {leaked}"
    assert received == [], f"{mode}: a redirect was followed to another host: {received[:3]}"


def test_a_retry_after_longer_than_the_budget_ends_the_run_by_its_budget(tmp_path: Path) -> None:
    with hostile("throttle-300") as (url, _):
        base = ["--base-url", url, "--token", TOKEN, "--account-id", ACCOUNT, "--seed", "1", "--timeout", "1"]
        fuzz = run_command(["fuzz", *base, "--duration", "5s", "--report-dir", str(tmp_path / "fuzz")], tmp_path, 40)
        check = run_command(["check", *base, "--max-examples", "2", "--max-time", "8"], tmp_path, 40)
    assert_survived(fuzz, "throttle-300 (fuzz)", {2}, 40)  # nothing judged: never "no new findings"
    assert_survived(check, "throttle-300 (check)", {2}, 40)


@pytest.mark.parametrize("command", ["check", "fuzz"])
def test_the_first_sigterm_ends_a_run_waiting_out_a_retry_after(command: str, tmp_path: Path) -> None:
    argv = [command, "--base-url", "", "--token", TOKEN, "--account-id", ACCOUNT, "--seed", "1", "--timeout", "1"]
    argv += ["--duration", "10m"] if command == "fuzz" else ["--max-examples", "2"]
    events = tmp_path / "report" / "events.ndjson"
    argv += ["--report-dir", str(events.parent)]
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLOUDFLARE_")}
    with hostile("throttle-300") as (url, _):
        argv[2] = url
        process = subprocess.Popen(
            [sys.executable, "-m", "pcaps_contract._cli", *argv],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            encoding="utf-8",
            errors="replace",
        )
        ready = (
            time.monotonic() + 60
        )  # its signal handlers are in place once the run has started (a loaded box is slow)
        while time.monotonic() < ready and not (events.exists() and events.stat().st_size):
            time.sleep(0.1)
        time.sleep(3)  # past the preflight, into a 300 s wait
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail(f"`{command}` ignored SIGTERM: still running 30 s later")
    assert time.monotonic() - started < 15, output[-2000:]
    assert process.returncode in ({2} if command == "check" else {2, 130}), output[-2000:]
    assert "Traceback" not in output and TOKEN not in output
