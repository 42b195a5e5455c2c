"""Fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest

from tests.cli.helpers import Run, cli_runner


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Run:
    """Run the command line in-process from the checkout, with no Cloudflare variables set."""
    return cli_runner(monkeypatch)
