#!/usr/bin/env python3
"""Count what a big `schemathesis run` of the spec does to the mock: requests, statuses, 5xx.

    .venv/bin/python scripts/schemathesis_volume.py --seed 11 --max-examples 1000            # account pinned
    .venv/bin/python scripts/schemathesis_volume.py --seed 12 --max-examples 1000 --any-account

Serves the mock with uvicorn in a thread on 127.0.0.1, runs the `schemathesis` CLI against it with the
development token (pinned: the token is scoped to one account and `account_id` is fixed by a parameter
override, so that positive cases reach the success path; --any-account: every account is allowed and
schemathesis generates the ids), then counts the requests of its HAR report. Exit 1 on any failure or 5xx.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.openapi.spec import default_spec_path

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--max-examples", type=int, default=1000)
    parser.add_argument("--any-account", action="store_true", help="do not pin or scope the account")
    parser.add_argument("--server-error-rate", type=float, default=0.0, help="rehearsal 500s, to see a run fail")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        config_file, har = Path(work) / "schemathesis.toml", Path(work) / "run.har"
        pinned = "" if args.any_account else f'[parameters]\n"path.account_id" = "{ACCOUNT}"\n'
        config_file.write_text(pinned, encoding="utf-8")
        accounts = () if args.any_account else (ACCOUNT,)
        config = MockConfig(accounts=accounts, server_error_rate=args.server_error_rate)
        with serve_in_thread(create_app(config)) as url:
            start = time.perf_counter()
            command = [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(config_file),
                "run",
                str(default_spec_path()),
                "--url",
                f"{url}/client/v4",
                "--header",
                f"Authorization: Bearer {DEV_TOKEN}",
                "--seed",
                str(args.seed),
                "--max-examples",
                str(args.max_examples),
                "--no-color",
                "--report",
                "har",
                "--report-har-path",
                str(har),
            ]
            done = subprocess.run(command, capture_output=True, text=True, cwd=work)
            elapsed = time.perf_counter() - start
        entries = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    statuses = collections.Counter(entry["response"]["status"] for entry in entries)
    server_errors = sum(count for status, count in statuses.items() if status >= 500)
    print(
        f"{'any account' if args.any_account else 'pinned account'}, seed {args.seed}, "
        f"max-examples {args.max_examples}: schemathesis exit {done.returncode}, {len(entries)} requests, "
        f"{server_errors} 5xx, statuses {dict(sorted(statuses.items()))}, {elapsed:.0f} s"
    )
    if done.returncode != 0:
        print(done.stdout[-8000:], done.stderr[-2000:])
    return 0 if done.returncode == 0 and server_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
