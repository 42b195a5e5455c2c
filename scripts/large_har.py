"""Write a large HAR of traffic that keeps the contract, to measure what `verify` costs in memory (BENCHMARKS.md).

    .venv/bin/python scripts/large_har.py 200 /tmp/large.har     # about 200 MB
    /usr/bin/time -v .venv/bin/pcaps-contract verify /tmp/large.har

Cycles of add, list (fifty records from before the traffic, and the one just added), delete, each a second apart,
written an entry at a time: the file can be larger than the memory of the box.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
BASE = f"https://api.example.com/client/v4/accounts/{ACCOUNT}/pcaps/ownership"
HEADERS = [{"name": "Authorization", "value": "Bearer bench-token-0123456789"}]
JSON = [{"name": "Content-Type", "value": "application/json"}]
START = datetime(2026, 5, 1, tzinfo=UTC)


def record(number: int) -> dict[str, Any]:
    ownership_id = f"{number:032x}"
    return {
        "id": ownership_id,
        "destination_conf": f"s3://bench-{number}?region=us-east-1",
        "filename": f"ownership-challenge-{ownership_id[:8]}.txt",
        "status": "pending",
        "submitted": "2026-05-01T00:00:00Z",
        "validated": "",
    }


def envelope(result: Any) -> str:
    return json.dumps({"success": True, "errors": [], "messages": [], "result": result})


def entry(second: int, method: str, url: str, status: int, body: str | None, sent: Any = None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": method, "url": url, "headers": HEADERS}
    if sent is not None:
        request["postData"] = {"mimeType": "application/json", "text": json.dumps(sent)}
    return {
        "startedDateTime": (START + timedelta(seconds=second)).isoformat().replace("+00:00", "Z"),
        "time": 5,
        "request": request,
        "response": {"status": status, "headers": JSON if body else [], "content": {"text": body or ""}},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("megabytes", type=int)
    parser.add_argument("path", type=Path)
    args = parser.parse_args()
    before = [record(number) for number in range(1, 51)]
    size, second, number = 0, 0, 1_000
    with args.path.open("w", encoding="utf-8") as handle:
        handle.write('{"log": {"version": "1.2", "creator": {"name": "large_har", "version": "1"}, "entries": [\n')
        first = True
        while size < args.megabytes << 20:
            number += 1
            added = record(number)
            cycle = [
                entry(second, "POST", BASE, 200, envelope(added), {"destination_conf": added["destination_conf"]}),
                entry(second + 1, "GET", BASE, 200, envelope([*before, added])),
                entry(second + 2, "DELETE", f"{BASE}/{added['id']}", 204, None),
            ]
            second += 3
            for item in cycle:
                text = ("" if first else ",\n") + json.dumps(item)
                first = False
                handle.write(text)
                size += len(text)
        handle.write("\n]}}\n")
    print(f"{args.path}: {size >> 20} MB, {3 * (number - 1_000)} entries")


if __name__ == "__main__":
    main()
