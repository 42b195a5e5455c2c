#!/usr/bin/env python3
"""Benchmark `pcaps-contract mock`: create requests per second and latency over loopback, keep-alive.

    .venv/bin/python scripts/bench_mock.py                  # 5,000 sequential creates, then 8 clients x 2,000
    .venv/bin/python scripts/bench_mock.py --requests 20000 --clients 8
    .venv/bin/python scripts/bench_mock.py --http h11 --loop asyncio   # uvicorn's pure-Python parts, to compare
    .venv/bin/python scripts/bench_mock.py --quiet          # without the request log (written to /dev/null here)

Starts the mock as a user does (`pcaps-contract mock --port N`, uvicorn), then drives it with raw
`http.client` connections (one per client process) so that the client costs as little as possible.
With --http or --loop it runs `uvicorn --factory pcaps_contract.mock:create_app` with those instead.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TOKEN = "pcaps-contract-dev-token"
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
PATH = f"/client/v4/accounts/{ACCOUNT}/pcaps/ownership"
BODY = json.dumps({"destination_conf": "s3://pcaps-bucket?region=us-east-1"}).encode()
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, deadline: float = 20.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the mock did not start listening in time")


def client(port: int, count: int) -> list[float]:
    """Send `count` creates over one keep-alive connection; the latency of each, in seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        connection.request("POST", PATH, BODY, HEADERS)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"create answered {response.status}")
    connection.close()
    return latencies


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(port: int, clients: int, per_client: int, server_pid: int) -> str:
    client(port, 200)  # warm-up
    with multiprocessing.Pool(clients) as pool:
        cpu_before = cpu_seconds(server_pid)
        start = time.perf_counter()
        results = pool.starmap(client, [(port, per_client)] * clients)
        elapsed = time.perf_counter() - start
        cpu_after = cpu_seconds(server_pid)
    latencies = sorted(latency for result in results for latency in result)
    total = len(latencies)
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(total - 1, int(total * 0.99))] * 1000
    line = f"{clients} client(s) x {per_client}: {total / elapsed:,.0f} creates/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        # What the server spends per request, whatever else the machine is doing at the time.
        per_request = (cpu_after - cpu_before) / total
        line += f"; server CPU {per_request * 1e6:,.0f} us/create ({1 / per_request:,.0f} creates per CPU-second)"
    return line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="sequential creates (default 5000)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--per-client", type=int, default=2000, help="creates per concurrent client (default 2000)")
    parser.add_argument("--http", choices=["h11", "httptools"], help="serve with this uvicorn HTTP implementation")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], help="serve with this uvicorn event loop")
    parser.add_argument("--quiet", action="store_true", help="serve without the request log (`mock --quiet`)")
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN}
    command = [str(BIN / "pcaps-contract"), "mock", "--port", str(port), *(["--quiet"] if args.quiet else [])]
    if args.http or args.loop:
        command = [str(BIN / "uvicorn"), "--factory", "pcaps_contract.mock:create_app", "--port", str(port)]
        command += ["--http", args.http or "auto", "--loop", args.loop or "auto"]
        command += ["--no-access-log", "--lifespan", "off"]
    server = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average before: {load:.2f} on {os.cpu_count()} CPUs")
        print(run(port, 1, args.requests, server.pid))
        print(run(port, args.clients, args.per_client, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
