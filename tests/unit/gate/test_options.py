"""A run's options are plain, frozen values resolved once: every flag of `GATE_ARGUMENTS` reaches them through the
table, and the target is what the person named, opened only when a run starts."""

from __future__ import annotations

import argparse
import pickle
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._errors import UsageError
from pcaps_contract.engine.challenges import Bucket
from pcaps_contract.engine.targets import BUNDLED_MOCK, TargetName, open_target
from pcaps_contract.gate.options import GATE_ARGUMENTS, gate_dests, options_from, resolve_options
from pcaps_contract.gate.run import run_gate

OWNER = "a" * 32


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(exit_on_error=False)
    for flag, keywords in GATE_ARGUMENTS:
        parser.add_argument(flag, **keywords)
    return parser


def test_resolving_an_app_target_imports_nothing_and_leaves_sys_path_alone(app_module: str) -> None:
    path_before = list(sys.path)
    options = resolve_options(app=f"{app_module}:asgi", token="t" * 20, accounts=[OWNER], environ={})
    assert options.target == TargetName(app=f"{app_module}:asgi")
    assert app_module not in sys.modules and sys.path == path_before
    assert pickle.loads(pickle.dumps(options)) == options  # plain data: nothing loaded rides along


def test_an_app_is_imported_when_the_run_opens_it(app_module: str) -> None:
    name = resolve_options(app=f"{app_module}:asgi", token="t" * 20, accounts=[OWNER], environ={}).target
    opened = open_target(name, resolve_options(environ={}).credentials, (OWNER,))
    assert app_module in sys.modules and opened.app is not None
    assert opened.in_process and opened.description == name.description == f"{app_module}:asgi (in-process)"


def test_an_app_that_cannot_be_imported_is_refused_in_one_sentence_when_the_run_starts(app_module: str) -> None:
    options = resolve_options(app="pcaps_no_such_module_here:app", token="t" * 20, accounts=[OWNER], environ={})
    with pytest.raises(UsageError) as refused:
        run_gate(options)
    text = str(refused.value)
    assert "cannot import pcaps_no_such_module_here" in text and "\n" not in text and text.endswith(".")


def test_a_malformed_app_reference_is_refused_as_the_options_resolve() -> None:
    with pytest.raises(UsageError, match="is not MODULE:ATTRIBUTE"):
        resolve_options(app="no-colon-here", token="t" * 20, accounts=[OWNER], environ={})


def test_the_bundled_mock_is_named_plainly_and_built_per_run() -> None:
    options = resolve_options(environ={})
    assert options.target == TargetName() and options.target.description == BUNDLED_MOCK
    first = open_target(options.target, options.credentials, options.accounts)
    second = open_target(options.target, options.credentials, options.accounts)
    assert first.in_process and first.app is not second.app  # one run's records never reach the next


def test_every_flag_of_the_table_has_an_option() -> None:
    dests = gate_dests()
    assert len(dests) == len(GATE_ARGUMENTS) == len(set(dests))
    options = options_from(lambda dest: vars(_parser().parse_args([]))[dest], {})
    assert options.clock_skew == timedelta(minutes=5) and options.spec_path is None


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    max_examples=st.integers(1, 500),
    workers=st.integers(1, 16),
    skew=st.integers(0, 10_000),
    timeout=st.integers(1, 600),
    max_time=st.integers(1, 86_400),
    response_bytes=st.integers(1024, 2**30),
    waits=st.tuples(st.integers(0, 3600), st.integers(0, 3600)),
    profile=st.sampled_from(["quick", "ci", "thorough"]),
    require_all=st.booleans(),
    rate=st.integers(1, 1000),
)
def test_each_flag_typed_reaches_its_option(
    seed: int,
    max_examples: int,
    workers: int,
    skew: int,
    timeout: int,
    max_time: int,
    response_bytes: int,
    waits: tuple[int, int],
    profile: str,
    require_all: bool,
    rate: int,
) -> None:
    argv = [
        *("--token", "t" * 20, "--account-id", OWNER, "--spec", "spec.yaml", "--profile", profile),
        *("--seed", str(seed), "--max-examples", str(max_examples), "--workers", str(workers)),
        *("--clock-skew", str(skew), "--timeout", str(timeout), "--max-time", str(max_time)),
        *("--rate-limit", f"{rate}/s", "--max-response-bytes", str(response_bytes)),
        *("--challenge-wait", str(waits[0]), "--validation-wait", str(waits[1])),
        *(["--require-all"] if require_all else []),
    ]
    parsed = vars(_parser().parse_args(argv))
    options = options_from(parsed.__getitem__, {})
    assert options.accounts == (OWNER,) and options.credentials.token == "t" * 20
    assert options.spec_path == Path("spec.yaml") and options.profile == profile
    assert (options.seed, options.max_examples, options.workers) == (seed, max_examples, workers)
    assert options.clock_skew == timedelta(seconds=skew)
    assert (options.timeout, options.max_time, options.rate) == (timeout, max_time, rate)
    assert options.max_response_bytes == response_bytes
    assert (options.challenge_wait, options.validation_wait) == waits
    assert options.require_all is require_all


def test_a_bucket_is_read_once_as_the_options_resolve_and_refused_there() -> None:
    options = resolve_options(
        token="t" * 20, accounts=[OWNER], environ={}, bucket="s3://pcaps/under?region=eu-west-1", s3_endpoint=None
    )
    assert options.bucket == Bucket("s3://pcaps/under?region=eu-west-1", "pcaps", "under", None, "eu-west-1")
    with pytest.raises(UsageError, match="is not an s3:// or r2:// bucket URI"):
        resolve_options(token="t" * 20, accounts=[OWNER], environ={}, bucket="gs://pcaps")
    with pytest.raises(UsageError, match="--s3-endpoint is the endpoint of --bucket"):
        resolve_options(token="t" * 20, accounts=[OWNER], environ={}, s3_endpoint="http://127.0.0.1:9000")


# Keys nothing else in the options' text could contain (no lowercase letter, no 0): a hit is a leak.
_KEY = st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ123456789"), min_size=12, max_size=40)


@settings(max_examples=60, deadline=None)
@given(key_id=_KEY, secret=_KEY)
def test_the_keys_of_an_r2_bucket_never_show_in_the_options_text(key_id: str, secret: str) -> None:
    uri = f"r2://pcaps?account-id={'0' * 32}&access-key-id={key_id}&secret-access-key={secret}"
    options = resolve_options(token="t" * 20, accounts=[OWNER], environ={}, bucket=uri)
    assert options.bucket is not None and options.bucket.keys == (key_id, secret)
    shown = options.credentials.redact(repr(options))  # the URI itself is a destination_conf, redacted as any
    assert key_id not in shown and secret not in shown
    assert key_id not in repr(replace(options, bucket=replace(options.bucket, uri="r2://pcaps")))
