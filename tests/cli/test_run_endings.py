"""How a run ends on a terminal: whatever the exit code, the last line of everything it wrote (stdout and stderr as
one stream, in the order written) is its verdict, and the checks never judged are one line unless --verbose.

Each command runs in a subprocess, its two streams joined as a terminal shows them, against a target on 127.0.0.1
(the proxy stopped by SIGINT once a request went through it).
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.cli.served import har_of_a_broken_list, served_mock
from tests.peers.server import PEER_ACCOUNTS, serve_peer

ACCOUNTS = [arg for account in PEER_ACCOUNTS for arg in ("--account-id", account)]
MOCK_TOKEN = "pcaps-contract-dev-token"
BOUND = 300.0
# The last line of `check`, `verify` and `proxy` (`RunReport.render`), and of `fuzz`.
GATE_VERDICT = re.compile(
    r"^\d+ failed, \d+ passed, \d+ skipped \(operation x check\); .*s: "
    r"(the implementation keeps the contract|contract violations found|could not judge: .+"
    r"|\d+ ownership\(s\) left on the target .+)$"
)
FUZZ_VERDICT = re.compile(r"^.+ \(exit \d\)$")
SUMMARY = re.compile(r"^note: \d+ checks were never judged this run; --verbose lists each with its reason")


@contextmanager
def joined(argv: list[str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """`pcaps-contract ARGV` running with stderr joined to stdout; killed on exit if it still runs."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pcaps_contract", *argv],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def run(argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """The exit code and the lines a terminal would show, stdout and stderr interleaved as written."""
    with joined(argv, cwd) as process:
        output, _ = process.communicate(timeout=BOUND)
    return process.returncode, output.splitlines()


def test_check_that_conforms_ends_with_its_verdict_and_one_line_of_never_judged(tmp_path: Path) -> None:
    with served_mock() as url:
        code, lines = run(
            [
                "check",
                "--base-url",
                url,
                "--token",
                MOCK_TOKEN,
                "--account-id",
                PEER_ACCOUNTS[0],
                "--max-examples",
                "2",
            ],
            tmp_path,
        )
    assert code == 0, lines[-20:]
    assert lines[-1].endswith("the implementation keeps the contract") and GATE_VERDICT.match(lines[-1]), lines[-5:]
    assert len([line for line in lines if SUMMARY.match(line)]) == 1, lines[-10:]
    assert not any(line.startswith("note: never judged:") for line in lines)


def test_check_that_leaves_ownerships_behind_ends_with_its_verdict_exit_3(tmp_path: Path) -> None:
    argv = ["--token", "peer-token", *ACCOUNTS, "--seed", "1", "--max-examples", "2", "--timeout", "5"]
    with serve_peer(odd_id="bad\ud800") as (url, _):
        code, lines = run(["check", "--base-url", url, *argv], tmp_path)
    assert code == 3, lines[-20:]
    assert GATE_VERDICT.match(lines[-1]) and "left on the target" in lines[-1], lines[-5:]


def test_fuzz_that_leaves_ownerships_behind_ends_with_its_verdict_exit_3(tmp_path: Path) -> None:
    argv = ["--token", "peer-token", *ACCOUNTS, "--seed", "1", "--operation", "add_bucket", "--max-examples", "10"]
    with serve_peer(odd_id="bad\ud800") as (url, _):
        code, lines = run(["fuzz", "--base-url", url, *argv, "--rate-limit", "1000/s", "--timeout", "5"], tmp_path)
    assert code == 3, lines[-20:]
    assert FUZZ_VERDICT.match(lines[-1]) and lines[-1].endswith("(exit 3)"), lines[-5:]


def test_check_that_cannot_reach_its_target_ends_with_the_one_sentence_exit_2(tmp_path: Path) -> None:
    argv = ["--token", "x", "--account-id", PEER_ACCOUNTS[0], "--max-examples", "2", "--timeout", "2"]
    code, lines = run(["check", "--base-url", "http://127.0.0.1:9/client/v4", *argv], tmp_path)
    assert code == 2, lines[-20:]
    assert lines[-1].startswith("error: cannot reach http://127.0.0.1:9/client/v4"), lines[-5:]


@pytest.mark.parametrize("verbose", [False, True])
def test_verify_ends_with_its_verdict_and_lists_each_check_never_judged_only_when_verbose(
    tmp_path: Path, verbose: bool
) -> None:
    har = har_of_a_broken_list(tmp_path / "traffic.har")
    code, lines = run(["verify", str(har), *(["--verbose"] if verbose else [])], tmp_path)
    assert code == 1, lines[-20:]
    assert GATE_VERDICT.match(lines[-1]) and lines[-1].endswith("contract violations found"), lines[-5:]
    each = [line for line in lines if line.startswith("note: never judged: ")]
    summary = [line for line in lines if SUMMARY.match(line)]
    if verbose:
        assert len(each) > 1 and not summary, lines
    else:
        assert not each and len(summary) == 1, lines


def test_proxy_stopped_by_sigint_ends_with_its_verdict(tmp_path: Path) -> None:
    with served_mock() as upstream, joined(["proxy", "--port", "0", "--upstream", upstream], tmp_path) as process:
        assert process.stdout is not None
        announced = re.match(r"proxy: (http://127\.0\.0\.1:\d+) -> ", banner := process.stdout.readline())
        assert announced, banner
        listed = httpx.get(
            f"{announced[1]}/client/v4/accounts/{PEER_ACCOUNTS[0]}/pcaps/ownership",
            headers={"Authorization": f"Bearer {MOCK_TOKEN}"},
            timeout=BOUND,
        )
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=BOUND)
    lines = rest.splitlines()
    assert listed.status_code == 200
    assert process.returncode == 0, lines[-20:]
    assert GATE_VERDICT.match(lines[-1]) and lines[-1].endswith("the implementation keeps the contract"), lines[-5:]
    assert len([line for line in lines if SUMMARY.match(line)]) == 1, lines
