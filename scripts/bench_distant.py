#!/usr/bin/env python3
"""Benchmark `pcaps-contract check` against a distant target: the mock with 150 ms added to every answer.

    .venv/bin/python scripts/bench_distant.py                          # default check, this checkout
    .venv/bin/python scripts/bench_distant.py --profile ci --workers 1  # any `check` flags after the known ones
    .venv/bin/python scripts/bench_distant.py --check /other/.venv/bin/pcaps-contract   # another build, to compare

Each run gets a fresh `pcaps-contract mock --latency 0.15` on a free 127.0.0.1 port (its two development
accounts), then `check --base-url` against it; prints the wall time, the exit code and the report's last line.
Machines are noisy: compare builds as a ratio of runs made one after the other.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TOKEN = "pcaps-contract-dev-token"
ACCOUNTS = ("023e105f4ecef8ad9ca31a8372d0c353", "9a7806061c88ada191ed06f989cc3dac")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the mock did not listen on 127.0.0.1:{port} within {seconds:g}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.15, help="seconds added to every answer (0.15)")
    parser.add_argument("--check", default=str(BIN / "pcaps-contract"), help="the pcaps-contract to run")
    known, extra = parser.parse_known_args()
    port = free_port()
    accounts = [argument for account in ACCOUNTS for argument in ("--account", account)]
    mock = subprocess.Popen(
        [str(BIN / "pcaps-contract"), "mock", "--port", str(port), "--latency", str(known.latency), *accounts],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "report.json"
            ids = [argument for account in ACCOUNTS for argument in ("--account-id", account)]
            command = [known.check, "check", "--base-url", f"http://127.0.0.1:{port}/client/v4", "--token", TOKEN]
            started = time.monotonic()
            done = subprocess.run([*command, *ids, "--report", str(report), *extra], capture_output=True, text=True)
            seconds = time.monotonic() - started
            requests = json.loads(report.read_text()).get("requests") if report.exists() else None
    finally:
        mock.terminate()
        mock.wait(10)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()[-200:]
    print(f"{seconds:.1f}s  exit {done.returncode}  {requests} requests  {last}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
