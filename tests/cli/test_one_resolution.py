"""Check and fuzz resolve their target, credentials and accounts through one resolution: from the command line, a
run aimed wrong is refused by both in the same sentence, before anything is sent."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Run

CLOSED = "http://127.0.0.1:9/client/v4"  # a port nothing listens on: a run that sent anything would say so
TOKEN = "tok-one-resolution-0123456789"


@pytest.mark.parametrize(
    ("extra", "sentence"),
    [
        ((), "no account: pass --account-id (or set CLOUDFLARE_ACCOUNT_ID); a run never guesses"),
        (("--account-id", "x" * 33), "is not an account id (1 to 32 characters, e.g. 32 hex)."),
        (("--account-id", "a" * 32, "--base-url", "http://staging.example.com/client/v4"), "plain http://"),
    ],
)
def test_check_and_fuzz_refuse_a_run_aimed_wrong_in_the_same_sentence(
    run_cli: Run, extra: tuple[str, ...], sentence: str
) -> None:
    said = []
    for command in ("check", "fuzz"):
        outcome = run_cli(command, "--base-url", CLOSED, "--token", TOKEN, *extra)
        assert outcome.code == 2 and outcome.stdout == "", outcome.stderr
        assert sentence in outcome.stderr and TOKEN not in outcome.stderr and "Traceback" not in outcome.stderr
        said.append(outcome.stderr)
    assert said[0] == said[1]
