"""Every refused target, through `fuzz` and `check`: exit 2, one `error:` line, and not one connection or lookup."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.cli.helpers import Run
from tests.unit.ground.test_urls import REFUSED

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
CANARY = "canary-token-0123456789abcdefghijklmnop"


class SocketsBlocked:
    """Records (and refuses) every connect and name lookup, so a test can show that none happened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[str] = []
        for owner, name in (
            (socket.socket, "connect"),
            (socket.socket, "connect_ex"),
            (socket, "create_connection"),
            (socket, "getaddrinfo"),
        ):
            monkeypatch.setattr(owner, name, self._refuser(name))

    def _refuser(self, name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            self.attempts.append(f"{name}{args!r}")
            raise OSError(f"{name} is blocked in this test")

        return refuse


@pytest.fixture
def sockets(monkeypatch: pytest.MonkeyPatch) -> SocketsBlocked:
    return SocketsBlocked(monkeypatch)


def assert_refused_offline(outcome: Any, sockets: SocketsBlocked, reason: str) -> None:
    lines = outcome.stderr.strip().splitlines()
    assert outcome.code == 2 and outcome.stdout == "", outcome
    assert len(lines) == 1 and lines[0].startswith("error: ") and reason.lower() in lines[0].lower(), lines
    assert "Traceback" not in outcome.stderr and CANARY not in outcome.stderr
    assert sockets.attempts == []


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_fuzz_refuses_each_unsafe_target_without_touching_the_network(
    sockets: SocketsBlocked, run_cli: Run, url: str, reason: str
) -> None:
    outcome = run_cli("fuzz", "--base-url", url, "--account-id", ACCOUNT, "--token", CANARY, "--max-examples", "1")
    assert_refused_offline(outcome, sockets, reason)


@pytest.mark.parametrize(("url", "reason"), [(url, reason) for url, reason in REFUSED if "production" not in reason])
def test_fuzz_refuses_them_even_with_allow_production(
    sockets: SocketsBlocked, run_cli: Run, url: str, reason: str
) -> None:
    argv = ["--base-url", url, "--account-id", ACCOUNT, "--token", CANARY, "--allow-production", "--plan"]
    assert_refused_offline(run_cli("fuzz", *argv), sockets, reason.split()[0])


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_check_refuses_each_unsafe_target_without_touching_the_network(
    sockets: SocketsBlocked, run_cli: Run, url: str, reason: str
) -> None:
    outcome = run_cli("check", "--base-url", url, "--account-id", ACCOUNT, "--token", CANARY, "--max-examples", "1")
    assert_refused_offline(outcome, sockets, reason)


def test_a_safe_target_gets_past_the_refusals_to_the_blocked_network(sockets: SocketsBlocked, run_cli: Run) -> None:
    # The control: the same command on a plain loopback URL is not refused, and does try to connect.
    outcome = run_cli("check", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", ACCOUNT, "--token", CANARY)
    assert outcome.code == 2 and "refusing" not in outcome.stderr and sockets.attempts
