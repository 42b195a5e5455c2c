"""Latency the proxy adds in front of the served mock, and how fast `verify` judges a HAR (results in BENCHMARKS.md).

    .venv/bin/python scripts/bench_proxy.py [--requests 2000] [--exchanges 10000]

The mock and the proxy run as the commands a user runs (`pcaps-contract mock`, `pcaps-contract proxy`), each in its
own process; one keep-alive httpx client sends the same list request alternately direct and through the proxy, so
both series share the run's conditions. Then 10,000 exchanges (add, list, validate, delete, repeated) are recorded
against the mock into a HAR, and `pcaps-contract verify` judges it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from pcaps_contract.passive.traffic import Recorded, har_document  # noqa: E402

CLI = [sys.executable, "-m", "pcaps_contract._cli"]
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
TOKEN = {"Authorization": "Bearer pcaps-contract-dev-token"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """The user + system CPU time a process has used so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latency(mock: str, proxy: str, requests: int, pids: tuple[int, int]) -> dict[str, float]:
    path = f"/client/v4/accounts/{ACCOUNT}/pcaps/ownership"
    direct: list[float] = []
    proxied: list[float] = []
    with httpx.Client(headers=TOKEN) as client:
        client.post(f"{mock}{path}", json={"destination_conf": "s3://bench?region=us-east-1"})
        for _ in range(200):  # warm both connections and both servers
            client.get(f"{mock}{path}")
            client.get(f"{proxy}{path}")
        before = [cpu_seconds(pid) for pid in pids]
        for _ in range(requests):
            for base, series in ((mock, direct), (proxy, proxied)):
                started = time.perf_counter()
                client.get(f"{base}{path}").raise_for_status()
                series.append((time.perf_counter() - started) * 1000)
        mock_cpu, proxy_cpu = (cpu_seconds(pid) - start for pid, start in zip(pids, before, strict=True))
    # CPU time per request is what the load of other processes changes least: the proxy's own cost of forwarding
    # and judging one exchange, against the mock's cost of answering two (one direct, one through the proxy).
    result = {
        "mock_cpu_per_answer_ms": mock_cpu * 1000 / (2 * requests),
        "proxy_cpu_per_exchange_ms": proxy_cpu * 1000 / requests,
    }
    for name, share in (("p50", 0.5), ("p99", 0.99)):
        result[f"direct_{name}_ms"] = percentile(direct, share)
        result[f"proxy_{name}_ms"] = percentile(proxied, share)
        result[f"added_{name}_ms"] = result[f"proxy_{name}_ms"] - result[f"direct_{name}_ms"]
        result[f"ratio_{name}"] = result[f"proxy_{name}_ms"] / result[f"direct_{name}_ms"]
    result["direct_mean_ms"] = statistics.fmean(direct)
    result["proxy_mean_ms"] = statistics.fmean(proxied)
    return result


def record(mock: str, exchanges: int) -> list[Recorded]:
    """`exchanges` exchanges with the mock: add, list, validate (a made-up challenge), delete, and again."""
    base = f"{mock}/client/v4/accounts/{ACCOUNT}/pcaps/ownership"
    recorded: list[Recorded] = []
    with httpx.Client(headers=TOKEN) as client:

        def send(method: str, url: str, body: object = None) -> httpx.Response:
            started = time.time()
            answer = client.request(method, url, json=body)
            recorded.append(
                Recorded(
                    method,
                    str(answer.request.url),
                    tuple(answer.request.headers.items()),
                    answer.request.content,
                    answer.status_code,
                    tuple(answer.headers.items()),
                    answer.content,
                    started,
                    time.time(),
                )
            )
            return answer

        number = 0
        while len(recorded) < exchanges:
            conf = f"s3://bench-{number}?region=us-east-1"
            created = send("POST", base, {"destination_conf": conf}).json()["result"]
            send("GET", base)
            send("POST", f"{base}/validate", {"destination_conf": conf, "ownership_challenge": "made-up"})
            send("DELETE", f"{base}/{created['id']}")
            number += 1
    return recorded[:exchanges]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per series (direct, proxied)")
    parser.add_argument("--exchanges", type=int, default=10_000, help="exchanges in the HAR verify judges")
    args = parser.parse_args()
    mock_port, proxy_port = free_port(), free_port()
    mock, proxy = f"http://127.0.0.1:{mock_port}", f"http://127.0.0.1:{proxy_port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "cwd": ROOT}
    with tempfile.TemporaryDirectory() as folder:
        servers = [
            subprocess.Popen([*CLI, "mock", "--port", str(mock_port)], **quiet),  # type: ignore[call-overload]
            subprocess.Popen(
                [*CLI, "proxy", "--upstream", f"{mock}/client/v4", "--port", str(proxy_port)],
                **quiet,  # type: ignore[call-overload]
            ),
        ]
        try:
            wait_until_up(mock)
            wait_until_up(proxy)
            pids = (servers[0].pid, servers[1].pid)
            results: dict[str, object] = {
                "requests_per_series": args.requests,
                **latency(mock, proxy, args.requests, pids),
            }
            traffic = record(mock, args.exchanges)
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
        har = Path(folder) / "traffic.har"
        har.write_text(json.dumps(har_document(traffic)), encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run([*CLI, "verify", str(har)], capture_output=True, text=True, cwd=ROOT, check=False)
        seconds = time.perf_counter() - started
        results.update(
            {
                "verify_exchanges": len(traffic),
                "verify_exit": done.returncode,
                "verify_seconds": round(seconds, 2),
                "verify_exchanges_per_s": round(len(traffic) / seconds),
                "verify_summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr,
            }
        )
    for key, value in results.items():
        print(f"{key}: {round(value, 3) if isinstance(value, float) else value}")


if __name__ == "__main__":
    main()
