"""Helpers of the end-to-end tests: run `pcaps-contract` in-process, as a user would from the checkout."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from pcaps_contract._cli import main

ROOT = Path(__file__).resolve().parents[2]
# Small budgets: these runs prove behaviour, not coverage (the default run is benchmarked separately).
FAST = ["--max-examples", "2"]


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    def failed_checks(self) -> set[str]:
        """The checks named in the failure section (`<check> on <operation>` lines)."""
        return {
            line.split(" on ")[0]
            for line in self.stdout.splitlines()
            if " on " in line and not line.startswith(" ") and line.split(" on ")[0].isidentifier()
        }


Run = Callable[..., Outcome]


def cli_runner(monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the command line in-process from the checkout, with no Cloudflare variables set."""
    monkeypatch.chdir(ROOT)
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_EMAIL", "CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> Outcome:
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = main(list(args))
        return Outcome(code, stdout.getvalue(), stderr.getvalue())

    return run
