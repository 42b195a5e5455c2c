"""The options of one gate run, and the flags of both doors (`pcaps-contract check`, `pytest contract_tests`).

Plain, frozen data and argparse types only: building the command line imports nothing heavy (no schemathesis,
Hypothesis, httpx or the mock), and resolving the options imports nothing of the target: the run opens it.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pcaps_contract._credentials import Credentials
from pcaps_contract._errors import UsageError
from pcaps_contract._limits import (
    CLEANUP_TIME_LIMIT,
    DEFAULT_CHALLENGE_WAIT,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_TIME,
    DEFAULT_TIMEOUT,
    DEFAULT_VALIDATION_WAIT,
    MIN_RESPONSE_BYTES,
)
from pcaps_contract.judge import DEFAULT_CLOCK_SKEW
from pcaps_contract.openapi import OPERATIONS

# Workers over a network: one per lane of the lifecycle (`lanes.LANES`), and per operation of the phases; the
# answers' latency, not this machine, sets the pace there.
SERVED_WORKERS = 6

if TYPE_CHECKING:
    from pcaps_contract.engine import Bucket, Profile, TargetName


@dataclass(frozen=True)
class GateOptions:
    """One run of the gate.

    Args:
        target: what to judge, as named (a base URL, an app's `MODULE:ATTR`, or the bundled mock); the run
            opens it when it starts (`engine.open_target`).
        credentials: sent with every positive request.
        accounts: the accounts the credentials may use; the first one or two are exercised.
        spec_path: the spec (the bundled one when None).
        profile: `quick`, `ci` or `thorough` (see `profiles`).
        seed: the run's seed; None draws one (or the fixed CI seed under `ci`).
        max_examples: cases per operation, overriding the profile's.
        workers: engines and lifecycle lanes run side by side (None: 1 in-process, `SERVED_WORKERS` over a
            network); any number gives the same cases.
        clock_skew: how far the server's clock may be ahead of this machine's or behind it (the time window of
            each request is widened by it on both sides).
        timeout: seconds for one whole answer (connect, headers and body) of a served target.
        max_time: seconds the run may take before its cleanup; it stops sending then.
        rate: requests per second at most (None: as fast as the target answers).
        max_response_bytes: the largest answer body judged, after decompression.
        bucket: an s3:// or r2:// bucket (`--bucket`, with `--s3-endpoint`: None for AWS, or the R2 account's),
            read once; the lifecycle adds it and reads challenge files from it, so that validations succeed on
            any implementation (None: only the bundled mock's test route, in-process).
        challenge_wait: seconds after an add within which its challenge file must appear in `bucket`.
        validation_wait: seconds a validation with the delivered challenge may stay `pending`, looked at in the
            list meanwhile, before its outcome is named not judged.
        require_all: a run with any check never judged could not judge (exit 2).
    """

    target: TargetName
    credentials: Credentials
    accounts: tuple[str, ...]
    spec_path: Path | None = None
    profile: str | None = None
    seed: int | None = None
    max_examples: int | None = None
    workers: int | None = None
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW
    lifecycle: bool = True
    timeout: float = DEFAULT_TIMEOUT
    max_time: float = DEFAULT_MAX_TIME
    rate: float | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    bucket: Bucket | None = None
    challenge_wait: float = DEFAULT_CHALLENGE_WAIT
    validation_wait: float = DEFAULT_VALIDATION_WAIT
    require_all: bool = False

    def resolved_profile(self) -> Profile:
        from pcaps_contract.engine import get_profile

        return get_profile(self.profile)

    def resolved_workers(self) -> int:
        if self.workers is not None:
            return self.workers
        return 1 if self.target.in_process else SERVED_WORKERS

    def expected_requests(self) -> int:
        """About how many requests the run sends: measured per phase on the bundled mock (BENCHMARKS.md).

        Per operation about 8 examples and 29 coverage cases, plus the fuzzing budget; 10 per stateful step;
        15 per lifecycle run, 55 for the burst; a few for the preflight and the cleanup.
        """
        profile = self.resolved_profile()
        examples = self.max_examples or profile.max_examples
        phases = len(OPERATIONS) * (8 + 29 + examples) + 10 * profile.stateful_steps
        lifecycle = 15 * max(self.max_examples or 0, profile.lifecycle_examples) + 55 if self.lifecycle else 0
        return phases + lifecycle + 10

    def resolved_seed(self) -> int:
        from pcaps_contract.engine import CI_SEED

        if self.seed is not None:
            return self.seed
        return CI_SEED if self.resolved_profile().derandomize else random.randrange(2**31)


def check_options(options: GateOptions) -> None:
    """Refuse, before anything is sent, options that cannot work (each a sentence saying how to fix it)."""
    from pcaps_contract.engine import checked_accounts, checked_seconds

    checked_accounts(options.accounts)
    checked_seconds("--clock-skew", options.clock_skew.total_seconds(), may_be_zero=True)
    checked_seconds("--timeout", options.timeout)
    checked_seconds("--max-time", options.max_time)
    checked_seconds("--challenge-wait", options.challenge_wait, may_be_zero=True)
    checked_seconds("--validation-wait", options.validation_wait, may_be_zero=True)
    if options.max_response_bytes < MIN_RESPONSE_BYTES:
        raise UsageError(f"--max-response-bytes {options.max_response_bytes} must be at least {MIN_RESPONSE_BYTES}.")


def resolve_options(
    *,
    base_url: str | None = None,
    app: str | None = None,
    accounts: list[str] | None = None,
    token: str | None = None,
    email: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str],
    allow_production: bool = False,
    bucket: str | None = None,
    s3_endpoint: str | None = None,
    **settings: Any,
) -> GateOptions:
    """The options of a run from what a person typed (either door) and the environment (`engine.resolve_aim`)."""
    from pcaps_contract.engine import parse_bucket, resolve_aim

    aim = resolve_aim(
        base_url=base_url,
        app=app,
        accounts=accounts,
        token=token,
        email=email,
        api_key=api_key,
        environ=environ,
        allow_production=allow_production,
        bucket=bucket,
    )
    if s3_endpoint is not None and bucket is None:
        raise UsageError("--s3-endpoint is the endpoint of --bucket: give --bucket s3://NAME?region=R too.")
    read = parse_bucket(bucket, s3_endpoint) if bucket is not None else None
    return GateOptions(target=aim.target, credentials=aim.credentials, accounts=aim.accounts, bucket=read, **settings)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def response_bytes(text: str) -> int:
    """`--max-response-bytes`: at least 1024, so that every envelope of the API fits."""
    value = int(text)
    if value < MIN_RESPONSE_BYTES:
        raise argparse.ArgumentTypeError(f"must be at least {MIN_RESPONSE_BYTES}, not {value}")
    return value


def seconds(text: str) -> float:
    """A finite, non-negative number of seconds (`nan`, `inf` and negatives are refused before anything runs)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, 0 or more, not {text}")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds above 0."""
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def duration(text: str) -> timedelta:
    """`--clock-skew`: a finite number of seconds, 0 or more, as the time it stands for."""
    return timedelta(seconds=seconds(text))


def rate_per_second(text: str) -> float:
    """`--rate-limit` as requests per second (`20/s`, `300/min`, `1000/h`)."""
    from pcaps_contract.engine import parse_rate

    try:
        return parse_rate(text).per_second
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix(f"--rate-limit {text!r} ").rstrip(".")) from None


# The options of both doors (`pcaps-contract check` and `pytest contract_tests`), declared once.
GATE_ARGUMENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--base-url", {"metavar": "URL", "help": "a running server, e.g. http://127.0.0.1:8787/client/v4"}),
    ("--app", {"metavar": "MODULE:ATTR", "help": "an ASGI or WSGI app to load in-process"}),
    (
        "--account-id",
        {
            "dest": "accounts",
            "action": "append",
            "metavar": "ID",
            "help": "an account the credentials can use; twice to judge tenancy (env CLOUDFLARE_ACCOUNT_ID)",
        },
    ),
    ("--token", {"help": "API token (env CLOUDFLARE_API_TOKEN)"}),
    ("--email", {"help": "X-Auth-Email, with --api-key (env CLOUDFLARE_EMAIL)"}),
    ("--api-key", {"help": "X-Auth-Key, with --email (env CLOUDFLARE_API_KEY)"}),
    ("--spec", {"type": Path, "help": "the spec (default: the bundled spec)"}),
    ("--profile", {"choices": ("quick", "ci", "thorough"), "help": "budget: quick (default), ci, thorough"}),
    ("--seed", {"type": int, "help": "seed of the run (printed at the end; reuse it to repeat a run)"}),
    ("--max-examples", {"type": _positive, "metavar": "N", "help": "cases per operation (overrides the profile)"}),
    (
        "--workers",
        {
            "type": _positive,
            "metavar": "N",
            "help": f"requests in flight at once (default: 1 in-process, {SERVED_WORKERS} over a network); "
            "any number runs the same cases",
        },
    ),
    (
        "--clock-skew",
        {
            "type": duration,
            "default": DEFAULT_CLOCK_SKEW,
            "metavar": "SECONDS",
            "help": "how far the server's clock may be ahead or behind: each request's window is widened by it "
            f"({DEFAULT_CLOCK_SKEW.total_seconds():g})",
        },
    ),
    (
        "--timeout",
        {
            "type": positive_seconds,
            "default": DEFAULT_TIMEOUT,
            "metavar": "SECONDS",
            "help": f"the most one whole answer may take: connect, headers and body ({DEFAULT_TIMEOUT:g})",
        },
    ),
    (
        "--max-time",
        {
            "type": positive_seconds,
            "default": DEFAULT_MAX_TIME,
            "metavar": "SECONDS",
            "help": f"the run stops sending after this long, then cleans up within {CLEANUP_TIME_LIMIT:g} s "
            f"({DEFAULT_MAX_TIME:g})",
        },
    ),
    (
        "--rate-limit",
        {
            "dest": "rate",
            "type": rate_per_second,
            "metavar": "RATE",
            "help": "requests at most, e.g. 20/s or 300/min (default: no limit); 429s are waited out anyway",
        },
    ),
    (
        "--max-response-bytes",
        {
            "type": response_bytes,
            "default": DEFAULT_MAX_RESPONSE_BYTES,
            "metavar": "N",
            "help": f"the largest answer body judged, after decompression ({DEFAULT_MAX_RESPONSE_BYTES})",
        },
    ),
    (
        "--bucket",
        {
            "metavar": "URI",
            "help": "an s3:// or r2:// bucket the run adds and reads challenge files from, so that validations "
            "succeed (keys: the R2 URI's, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
        },
    ),
    ("--s3-endpoint", {"metavar": "URL", "help": "the S3 API endpoint of --bucket (default: AWS, or R2's)"}),
    (
        "--challenge-wait",
        {
            "type": seconds,
            "default": DEFAULT_CHALLENGE_WAIT,
            "metavar": "SECONDS",
            "help": "how long after an add its challenge file may take to appear in --bucket before the run calls "
            f"it never delivered ({DEFAULT_CHALLENGE_WAIT:g})",
        },
    ),
    (
        "--validation-wait",
        {
            "type": seconds,
            "default": DEFAULT_VALIDATION_WAIT,
            "metavar": "SECONDS",
            "help": "how long a validation with the delivered challenge may stay pending, its record looked at in "
            "the list at pauses of 1 s doubling to 10 s, before its outcome is named not judged "
            f"({DEFAULT_VALIDATION_WAIT:g})",
        },
    ),
    (
        "--require-all",
        {"action": "store_true", "help": "exit 2 (could not judge) when any check was never judged"},
    ),
    (
        "--allow-production",
        {"action": "store_true", "help": "allow api.cloudflare.com as the target (it creates real ownerships)"},
    ),
)


# The one flag whose option has another name: `--spec` names the file (`GateOptions.spec_path`).
_OPTION_OF_DEST = {"spec": "spec_path"}


def gate_dests() -> tuple[str, ...]:
    """Where argparse (and pytest) keep each of `GATE_ARGUMENTS`: its `dest`, else its flag in snake_case."""
    return tuple(keywords.get("dest", flag.removeprefix("--").replace("-", "_")) for flag, keywords in GATE_ARGUMENTS)


def options_from(value: Callable[[str], Any], environ: Mapping[str, str]) -> GateOptions:
    """The options of a run from the parsed `GATE_ARGUMENTS` (`value(dest)` reads one): each flag is the keyword
    of `resolve_options` its dest names, so a flag added to the table reaches the run without a line here."""
    return resolve_options(environ=environ, **{_OPTION_OF_DEST.get(dest, dest): value(dest) for dest in gate_dests()})
