"""How long redaction takes with long secrets and with many (results in BENCHMARKS.md).

    .venv/bin/python scripts/bench_redaction.py [--src DIR]

Two cases over a realistic exchange (an add request and its answer, as the proxy records it, about 1.5 KB): one
bearer token of 8,000 characters, echoed by the server; then 900 clients each with a token of their own, learned one
after the other as `proxy` learns them, each exchange redacted with every secret seen by then (the time of the first
and the last 100 exchanges). `--src` measures another checkout's `src/` (e.g. an older commit's) with the same code.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import sys
import time
from pathlib import Path

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"


def exchange_text(token: str) -> str:
    """The NDJSON line of one add exchange whose answer echoes the token (an error message that quotes it)."""
    body = {"destination_conf": "s3://pcaps-bucket?region=us-east-1"}
    answer = {
        "success": False,
        "errors": [{"code": 10000, "message": f"Authentication error: token {token} is not valid here"}],
        "messages": [],
        "result": {
            "id": "9883874ecac311ec8475433579a6bf5f",
            "status": "pending",
            "filename": "ownership-challenge.txt",
        },
    }
    return json.dumps(
        {
            "kind": "pcaps-contract-exchange",
            "request": {
                "method": "POST",
                "url": f"http://127.0.0.1:8787/client/v4/accounts/{ACCOUNT}/pcaps/ownership",
                "headers": [["Authorization", f"Bearer {token}"], ["Content-Type", "application/json"]],
                "body": json.dumps(body),
            },
            "response": {"status": 400, "headers": [["Content-Type", "application/json"]], "body": json.dumps(answer)},
        }
    )


def token(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[1] / "src")
    parser.add_argument("--tokens", type=int, default=900)
    parser.add_argument("--only", choices=("long", "many"), help="run one of the two cases")
    args = parser.parse_args()
    sys.path.insert(0, str(args.src))
    from pcaps_contract._credentials import Credentials
    from pcaps_contract.passive.traffic import Secrets

    rng = random.Random(22)
    long_token = token(rng, 8000)
    if args.only != "many":
        text = exchange_text(long_token)
        started = time.perf_counter()
        try:
            redacted = Credentials(token=long_token).redact(text)
            outcome = f"{time.perf_counter() - started:.3f} s"
            assert long_token[:100] not in redacted
        except MemoryError:
            outcome = f"MemoryError after {time.perf_counter() - started:.1f} s"
        print(f"1 token of 8,000 characters, one exchange of {len(text):,} characters: {outcome}")

    if args.only == "long":
        return
    secrets = Secrets()
    times = []
    for _ in range(args.tokens):
        value = token(rng, 40)
        started = time.perf_counter()
        secrets.learn((("Authorization", f"Bearer {value}"),))
        redacted = secrets.redact(exchange_text(value))
        times.append(time.perf_counter() - started)
        assert value not in redacted
    print(
        f"{args.tokens} tokens of 40 characters, one new per exchange: first 100 exchanges {sum(times[:100]):.2f} s, "
        f"last 100 {sum(times[-100:]):.2f} s, all {sum(times):.2f} s"
    )


if __name__ == "__main__":
    main()
