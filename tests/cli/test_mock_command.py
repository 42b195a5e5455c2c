"""`pcaps-contract mock` end to end: serves with the credentials it was given, stops cleanly, refuses bad settings."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

COMMAND = [str(Path(sys.executable).parent / "pcaps-contract"), "mock"]
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"


def _environment(**extra: str) -> dict[str, str]:
    """The test process's environment without the user's Cloudflare credentials, plus `extra`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDFLARE_")}
    return {**env, **extra}


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start the command on a free port; yield the base URL it announces and the process; stop it on exit."""
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", *args],
        env=env or _environment(),
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        found = re.search(r"at (http://\S+/client/v4) ", first)
        assert found, first
        yield found.group(1), process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stderr, process.stdout):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_the_mock_serves_until_interrupted_and_exits_0(stop: signal.Signals) -> None:
    with running() as (url, process):
        response = httpx.get(
            f"{url}/accounts/{ACCOUNT}/pcaps/ownership", headers={"Authorization": "Bearer pcaps-contract-dev-token"}
        )
        process.send_signal(stop)
        code = process.wait(timeout=10)

    assert response.status_code == 200
    assert code == 0


def test_flags_set_the_token_and_scope_the_accounts() -> None:
    with running("--token", "flag-token", "--account", ACCOUNT) as (url, process):
        auth = {"Authorization": "Bearer flag-token"}
        own = httpx.get(f"{url}/accounts/{ACCOUNT}/pcaps/ownership", headers=auth)
        other = httpx.get(f"{url}/accounts/{'f' * 32}/pcaps/ownership", headers=auth)
        dev = httpx.get(f"{url}/accounts/{ACCOUNT}/pcaps/ownership", headers={"Authorization": "Bearer x"})
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        assert process.stderr is not None
        output = process.stderr.read()

    assert (own.status_code, other.status_code, dev.status_code) == (200, 403, 403)
    assert "flag-token" not in output


def test_credentials_come_from_the_environment_and_are_never_printed() -> None:
    env = _environment(
        CLOUDFLARE_API_TOKEN="env-token-secret", CLOUDFLARE_EMAIL="me@example.com", CLOUDFLARE_API_KEY="env-key-secret"
    )
    with running(env=env) as (url, process):
        with_token = httpx.get(
            f"{url}/accounts/{ACCOUNT}/pcaps/ownership", headers={"Authorization": "Bearer env-token-secret"}
        )
        with_key = httpx.get(
            f"{url}/accounts/{ACCOUNT}/pcaps/ownership",
            headers={"X-Auth-Email": "me@example.com", "X-Auth-Key": "env-key-secret"},
        )
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        assert process.stderr is not None
        output = process.stderr.read()

    assert (with_token.status_code, with_key.status_code) == (200, 200)
    assert "secret" not in output


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something else is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--port", "70000"], {}, "--port must be between 0 and 65535"),
        (["--rate-limit-rate", "2"], {}, "rate-limit-rate must be a share between 0 and 1"),
        (["--latency", "-1"], {}, "latency must be between 0 and 60 seconds"),
        (["--email", "me@example.com"], {}, "set --api-key (or CLOUDFLARE_API_KEY) too"),
        ([], {"CLOUDFLARE_API_KEY": "k"}, "set --email (or CLOUDFLARE_EMAIL) too"),
        (["--account", "a" * 33], {}, "is not an account id"),
        (["--s3-endpoint", "ftp://store"], {}, "must be an http:// or https:// URL"),
        (["--host", "no-such-host.invalid"], {}, "the host is not a known address"),
    ],
)
def test_settings_that_cannot_work_are_one_sentence_and_exit_2(
    args: list[str], env: dict[str, str], message: str
) -> None:
    done = subprocess.run([*COMMAND, *args], env=_environment(**env), capture_output=True, text=True, timeout=30)

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_port_in_use_is_one_sentence_and_exit_2(busy_port: int) -> None:
    done = subprocess.run(
        [*COMMAND, "--port", str(busy_port)], env=_environment(), capture_output=True, text=True, timeout=30
    )

    assert done.returncode == 2
    expected = f"error: cannot listen on 127.0.0.1:{busy_port} (Address already in use); pick another --port.\n"
    assert done.stderr == expected


def test_a_malformed_flag_value_exits_2() -> None:
    done = subprocess.run([*COMMAND, "--port", "eighty"], env=_environment(), capture_output=True, text=True)

    assert done.returncode == 2
    assert "argument --port: invalid int value: 'eighty'" in done.stderr
