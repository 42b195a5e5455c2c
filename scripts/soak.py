#!/usr/bin/env python3
"""The soak: `pcaps-contract check` at many seeds against faithful implementations over 127.0.0.1.

    .venv/bin/python scripts/soak.py                         # seeds 1-100, each against the next target in turn
    .venv/bin/python scripts/soak.py --seeds 20 --every-target   # seeds 1-20 against every target
    .venv/bin/python scripts/soak.py --targets mock,peer-gzip --jobs 1

Each run is its own `check` process (two --account-id, a --token, --seed N, the default workers) against a fresh
target served from this process: the bundled mock, the mock throttling with Retry-After and answering slowly,
the independent peer (tests/peers/server.py) and each of its legitimate variants. Prints a table per target and
exits 1 when any run exits other than 0, prints a traceback, shows the token or leaves a record behind.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.soak import TARGETS, RunResult, plan, soak  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=100, help="run seeds 1 to N (default 100)")
    parser.add_argument("--first-seed", type=int, default=1, help="the first seed (default 1)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated, of {', '.join(TARGETS)}")
    parser.add_argument("--every-target", action="store_true", help="run each seed against every target")
    parser.add_argument("--jobs", type=int, default=2, help="check processes at a time (default 2)")
    parser.add_argument(
        "--python", help="the command that starts pcaps-contract (default: this interpreter -m pcaps_contract)"
    )
    args, extra = parser.parse_known_args()
    targets = [name for name in args.targets.split(",") if name]
    unknown = [name for name in targets if name not in TARGETS]
    if unknown or not targets:
        parser.error(f"no such target: {', '.join(unknown) or '(none)'}; use some of {', '.join(TARGETS)}")
    runs = plan(range(args.first_seed, args.first_seed + args.seeds), targets, args.every_target)
    print(f"{len(runs)} runs of check, {args.jobs} at a time; extra arguments: {' '.join(extra) or '(none)'}")

    def progress(result: RunResult) -> None:
        verdict = "ok" if result.clean else "NOT CLEAN"
        print(f"{result.target} seed {result.seed}: exit {result.code} in {result.seconds:.1f}s {verdict}", flush=True)

    outcome = soak(runs, args.jobs, args.python.split() if args.python else None, extra, progress)
    print()
    print(outcome.table())
    print(f"\n{len(outcome.results)} runs in {outcome.seconds:.0f}s wall time")
    if not outcome.clean:
        print("\n" + outcome.failures())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
