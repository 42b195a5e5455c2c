"""`--workers`: any number of them runs the same cases and gives the same verdicts (the `ci` profile), and
`--rate-limit` holds for all of them together."""

from __future__ import annotations

import asyncio
import bisect
import json
import random
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import Run

ACCOUNTS = ("023e105f4ecef8ad9ca31a8372d0c353", "9a7806061c88ada191ed06f989cc3dac")
TOKEN = "workers-canary-5d1c0e7a-never-print-me"
# An ownership id in a path: every run gets other ids, the same requests all the same.
_ID = re.compile(r"/ownership/[0-9a-f]{32}(?=/|$)")


class RequestLog:
    """ASGI middleware that counts the API requests by method and path (ids made alike) and the answers' statuses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.requests: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/client/v4/"):
            self.requests[f"{scope['method']} {_ID.sub('/ownership/ID', scope['path'])}"] += 1
        await self.app(scope, receive, send)


def verdicts(report: Path) -> dict[str, Any]:
    """What a run judged: each cell's status, the checks never judged, the exit code and the number of requests."""
    document = json.loads(report.read_text())
    return {
        "cells": {(cell["operation"], cell["check"]): cell["status"] for cell in document["results"]},
        "never_judged": document["never_judged"],
        "exit_code": document["exit_code"],
        "requests": document["requests"],
    }


def served_run(run_cli: Run, workers: int, report: Path) -> RequestLog:
    log = RequestLog(create_app(MockConfig(token=TOKEN)))
    accounts = [argument for account in ACCOUNTS for argument in ("--account-id", account)]
    with serve_in_thread(log) as url:
        outcome = run_cli(
            "check", "--base-url", f"{url}/client/v4", "--token", TOKEN, *accounts,
            "--profile", "ci", "--workers", str(workers), "--report", str(report),
        )  # fmt: skip
    assert outcome.code == 0, outcome.stdout[-3000:] + outcome.stderr[-2000:]
    return log


def test_the_same_cases_and_verdicts_over_a_network_with_one_worker_or_six(run_cli: Run, tmp_path: Path) -> None:
    one = served_run(run_cli, 1, tmp_path / "one.json")
    six = served_run(run_cli, 6, tmp_path / "six.json")
    assert sum(one.requests.values()) > 300  # a whole run was seen, lifecycle and all
    assert six.requests == one.requests
    assert verdicts(tmp_path / "six.json") == verdicts(tmp_path / "one.json")


def test_the_same_verdicts_in_process_with_one_worker_or_three(run_cli: Run, tmp_path: Path) -> None:
    for workers in (1, 3):
        outcome = run_cli(
            "check", "--profile", "ci", "--workers", str(workers), "--report", str(tmp_path / f"{workers}.json")
        )
        assert outcome.code == 0, outcome.stdout[-3000:]
    assert verdicts(tmp_path / "3.json") == verdicts(tmp_path / "1.json")


class Timestamps:
    """ASGI middleware that notes when each API request arrived."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.arrivals: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/client/v4/"):
            self.arrivals.append(time.monotonic())
        await self.app(scope, receive, send)


def busiest(arrivals: list[float], window: float) -> int:
    """The most requests that arrived within any `window` seconds."""
    ordered = sorted(arrivals)
    return max(bisect.bisect_right(ordered, start + window) - index for index, start in enumerate(ordered))


def test_the_rate_limit_holds_for_all_workers_together_and_is_announced(run_cli: Run) -> None:
    log = Timestamps(create_app(MockConfig(token=TOKEN)))
    accounts = [argument for account in ACCOUNTS for argument in ("--account-id", account)]
    with serve_in_thread(log) as url:
        outcome = run_cli(
            "check", "--base-url", f"{url}/client/v4", "--token", TOKEN, *accounts,
            "--max-examples", "2", "--rate-limit", "40/s", "--workers", "6",
        )  # fmt: skip
    assert outcome.code == 0, outcome.stdout[-3000:] + outcome.stderr[-2000:]
    assert re.search(r"note: at most 40 requests/s: about \d+ requests, 0m\d\ds or more", outcome.stderr)
    assert len(log.arrivals) > 150  # long enough for the limit to bite
    # Sent at evenly spaced slots: 200 in 5 s, and one at the window's edge. A thread that got its slot may be held
    # up before its request leaves (a loaded machine; the mock shares this process), so up to one request per
    # thread (six workers, six cleanup deletes) can arrive late, inside the next window. Without a limit shared by
    # all workers, six of them would send 1,200 in 5 s.
    assert busiest(log.arrivals, 5.0) <= 200 + 1 + 12, busiest(log.arrivals, 1.0)


class Jitter:
    """ASGI middleware that holds each request 0-40 ms (drawn from its own seed) before and after the app, so that
    the workers' adds, deletes and lists overlap on the server in ever other orders."""

    def __init__(self, app: ASGIApp, seed: int) -> None:
        self.app = app
        self.random = random.Random(seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.random.uniform(0, 0.02))
            await self.app(scope, receive, send)
            await asyncio.sleep(self.random.uniform(0, 0.02))
            return
        await self.app(scope, receive, send)


def test_the_model_of_the_accounts_calls_nothing_made_up_while_six_workers_overlap(
    run_cli: Run, tmp_path: Path
) -> None:
    accounts = [argument for account in ACCOUNTS for argument in ("--account-id", account)]
    model_checks = ("shown_ownership_was_created", "failed_write_changes_nothing", "deleted_ownership_is_not_listed")
    for seed in (1, 2):
        report = tmp_path / f"{seed}.json"
        with serve_in_thread(Jitter(create_app(MockConfig(token=TOKEN)), seed)) as url:
            outcome = run_cli(
                "check", "--base-url", f"{url}/client/v4", "--token", TOKEN, *accounts,
                "--workers", "6", "--seed", str(seed), "--report", str(report),
            )  # fmt: skip
        assert outcome.code == 0, outcome.stdout[-3000:] + outcome.stderr[-2000:]
        cells = verdicts(report)["cells"]
        for check in model_checks:  # judged on the lists, not merely left out
            assert "passed" in {status for (_, name), status in cells.items() if name == check}, check
