"""`check` fails each broken implementation of `tests/gallery/semantic.py`, naming the check it breaks."""

from __future__ import annotations

import pytest

from tests.cli.helpers import FAST, Run
from tests.gallery.broken import OTHER, OWNER
from tests.gallery.semantic import BREAKS


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_check_fails_an_implementation_that_breaks_a_semantic_rule(run_cli: Run, name: str) -> None:
    accounts = ["--account-id", OWNER, "--account-id", OTHER]
    app = f"tests.gallery.semantic:{name}"
    outcome = run_cli("check", "--app", app, "--token", "pcaps-contract-dev-token", *accounts, "--seed", "1", *FAST)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert BREAKS[name] in outcome.failed_checks(), outcome.stdout
