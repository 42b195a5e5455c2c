"""The soak: `pcaps-contract check` run as a separate process at many seeds against faithful implementations over
127.0.0.1, each run counted by its exit code, any traceback in its output and anything left in the target.

A faithful implementation keeps the contract, so every run must exit 0. Each run gets a fresh target served from
this process (a thread): the bundled mock, the mock with the faults the real API may show (429 with Retry-After,
latency), and the independent peer of `tests/peers/server.py`, plain and in each of its legitimate variants.
Used by `scripts/soak.py` (the full soak) and `tests/cli/test_soak.py` (its slice in CI).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.peers.server import PEER_ACCOUNTS, VARIANTS, serve_peer

ROOT = Path(__file__).resolve().parents[1]
MOCK_TOKEN = "soak-canary-5d1c0a77-never-print-me"
PEER_TOKEN = "peer-token"
MOCK_ACCOUNTS = ("023e105f4ecef8ad9ca31a8372d0c353", "7c5dae5552338874e5053f2534d2767a")
# What the real API may do under load (the facts file): throttle with Retry-After, answer slowly. Never a 500.
FAITHFUL_FAULTS: dict[str, Any] = {"rate_limit_rate": 0.05, "retry_after": 1, "latency": 0.005}
# A run that ends after this long is counted as hung (the gate's own --max-time is 900 s).
RUN_TIMEOUT = 1200.0
TAIL = 3000


@dataclass(frozen=True)
class Served:
    """A target while it is served: its base URL, the credentials it takes, and what it still holds."""

    url: str
    token: str
    accounts: Sequence[str]
    holdings: Callable[[], int]


Target = Callable[[int], AbstractContextManager[Served]]


@contextmanager
def _mock(seed: int, **faults: Any) -> Iterator[Served]:
    app = create_app(MockConfig(token=MOCK_TOKEN, seed=seed, **faults))
    store = app.state.api.store

    def holdings() -> int:
        with store._lock:  # the store has no accessor over all accounts; the soak reads its state in-process
            return sum(len(records) for records in store._accounts.values())

    with serve_in_thread(app) as url:
        yield Served(url + "/client/v4", MOCK_TOKEN, MOCK_ACCOUNTS, holdings)


def _peer(variant: str | None) -> Target:
    @contextmanager
    def serve(seed: int) -> Iterator[Served]:
        with serve_peer(variant=variant) as (url, peer):
            yield Served(url, PEER_TOKEN, PEER_ACCOUNTS, lambda: sum(len(held) for held in peer.records().values()))

    return serve


TARGETS: dict[str, Target] = {
    "mock": lambda seed: _mock(seed),
    "mock-faults": lambda seed: _mock(seed, **FAITHFUL_FAULTS),
    "peer": _peer(None),
    **{f"peer-{variant}": _peer(variant) for variant in VARIANTS},
}


@dataclass(frozen=True)
class RunResult:
    target: str
    seed: int
    code: int  # -1: killed after RUN_TIMEOUT
    seconds: float
    traceback: bool
    leftovers: int
    token_shown: bool
    argv: tuple[str, ...]
    tail: str

    @property
    def clean(self) -> bool:
        return self.code == 0 and not self.traceback and not self.leftovers and not self.token_shown


def check_command(served: Served, seed: int, extra: Sequence[str] = ()) -> list[str]:
    """The `check` arguments of one run: two accounts, a token, a seed."""
    accounts = [argument for account in served.accounts for argument in ("--account-id", account)]
    return ["check", "--base-url", served.url, "--token", served.token, *accounts, "--seed", str(seed), *extra]


def command_line(python: Sequence[str] | None = None) -> list[str]:
    """How a run starts `pcaps-contract`: this interpreter's `-m pcaps_contract` unless told otherwise."""
    return list(python) if python else [sys.executable, "-m", "pcaps_contract"]


def _environment() -> dict[str, str]:
    """This process's environment without Cloudflare credentials (each run is given its own)."""
    return {name: value for name, value in os.environ.items() if not name.startswith("CLOUDFLARE_")}


def run_once(target: str, seed: int, python: Sequence[str] | None = None, extra: Sequence[str] = ()) -> RunResult:
    """One `check` process against a fresh target of the kind `target`."""
    with TARGETS[target](seed) as served:
        arguments = check_command(served, seed, extra)
        started = time.monotonic()
        try:
            done = subprocess.run(
                [*command_line(python), *arguments],
                capture_output=True,
                text=True,
                env=_environment(),
                cwd=ROOT,
                timeout=RUN_TIMEOUT,
                check=False,
            )
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as exc:
            code, output = -1, _text(exc.stdout) + _text(exc.stderr)
        seconds = time.monotonic() - started
        leftovers = served.holdings()
    shown = served.token in output
    argv = tuple("$TOKEN" if argument == served.token else argument for argument in arguments)
    return RunResult(
        target,
        seed,
        code,
        seconds,
        "Traceback" in output,
        leftovers,
        shown,
        argv,
        output[-TAIL:].replace(served.token, "$TOKEN"),
    )


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def plan(seeds: Iterable[int], targets: Sequence[str], every_target: bool) -> list[tuple[str, int]]:
    """The runs: each seed against the next target in turn, or (`every_target`) against every target."""
    if every_target:
        return [(target, seed) for seed in seeds for target in targets]
    return [(targets[index % len(targets)], seed) for index, seed in enumerate(seeds)]


@dataclass
class Soak:
    results: list[RunResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return all(result.clean for result in self.results)

    def table(self) -> str:
        """One row per target: runs, exit codes, tracebacks, leftovers, tokens shown, median and max seconds."""
        header = f"{'target':<16} {'runs':>5} {'exit 0':>7} {'other':>6} {'tracebacks':>11} {'leftovers':>10}"
        header += f" {'token':>6} {'median s':>9} {'max s':>7}"
        lines = [header, "-" * len(header)]
        by_target: dict[str, list[RunResult]] = {}
        for result in self.results:
            by_target.setdefault(result.target, []).append(result)
        for target, results in [*by_target.items(), ("all", self.results)]:
            if not results:
                continue
            seconds = [result.seconds for result in results]
            others = Counter(result.code for result in results if result.code != 0)
            other = ",".join(f"{code}x{count}" for code, count in sorted(others.items())) or "0"
            lines.append(
                f"{target:<16} {len(results):>5} {sum(r.code == 0 for r in results):>7} {other:>6} "
                f"{sum(r.traceback for r in results):>11} {sum(r.leftovers > 0 for r in results):>10} "
                f"{sum(r.token_shown for r in results):>6} {statistics.median(seconds):>9.1f} {max(seconds):>7.1f}"
            )
        return "\n".join(lines)

    def failures(self) -> str:
        """Each run that was not clean: its command line and the end of its output."""
        parts = []
        for result in self.results:
            if not result.clean:
                parts.append(
                    f"--- {result.target} seed {result.seed}: exit {result.code}, traceback {result.traceback}, "
                    f"leftovers {result.leftovers}, token shown {result.token_shown}\n"
                    f"pcaps-contract {' '.join(result.argv)}\n{result.tail}"
                )
        return "\n".join(parts)


def soak(
    runs: Sequence[tuple[str, int]],
    jobs: int = 2,
    python: Sequence[str] | None = None,
    extra: Sequence[str] = (),
    on_result: Callable[[RunResult], None] | None = None,
) -> Soak:
    """Every run, `jobs` processes at a time; `on_result` hears of each as it ends."""
    result = Soak()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="soak") as pool:
        futures = [pool.submit(run_once, target, seed, python, extra) for target, seed in runs]
        for future in futures:
            finished = future.result()
            result.results.append(finished)
            if on_result is not None:
                on_result(finished)
    result.seconds = time.monotonic() - started
    return result
