"""`check` fails every broken implementation of the gallery, naming the right check, and passes the tolerated ones."""

from __future__ import annotations

import pytest

from tests.cli.helpers import FAST, Outcome, Run
from tests.gallery.broken import BREAKS, OTHER, OWNER, TOLERATED

ACCOUNTS = ["--account-id", OWNER, "--account-id", OTHER]


def gate(run_cli: Run, name: str) -> Outcome:
    app = f"tests.gallery.broken:{name}"
    return run_cli("check", "--app", app, "--token", "pcaps-contract-dev-token", *ACCOUNTS, "--seed", "1", *FAST)


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_check_fails_a_broken_implementation_naming_the_check(run_cli: Run, name: str) -> None:
    outcome = gate(run_cli, name)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert BREAKS[name] in outcome.failed_checks(), outcome.stdout


@pytest.mark.parametrize("name", TOLERATED)
def test_check_passes_what_the_real_api_legitimately_does(run_cli: Run, name: str) -> None:
    outcome = gate(run_cli, name)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
