"""`mock` and `proxy` as a user starts them, under abuse over real sockets: their default bounds hold.

The mock runs with a 256 open-file limit (so its connection cap is 128) against 300 half-sent requests; the proxy, in
front of a mock, against a head sent one line a second and a head too big.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from urllib.parse import urlsplit

import httpx

from pcaps_contract._limits import HEAD_SECONDS, MAX_HEAD_BYTES
from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import ROOT
from tests.mock.test_serving_limits import drip_head, read_until_closed

BEARER = {"Authorization": f"Bearer {DEV_TOKEN}"}
LIST = "/accounts/023e105f4ecef8ad9ca31a8372d0c353/pcaps/ownership"
OPEN_FILES = 256
# Well past the head deadline: a connection still open then was never going to be closed.
PATIENCE = HEAD_SECONDS + 10


def _open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


@contextmanager
def started(argv: list[str], announced: str) -> Iterator[str]:
    """The command in a subprocess on a free port of 127.0.0.1; yields the URL its banner announces."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDFLARE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "pcaps_contract._cli", *argv, "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
        preexec_fn=_open_files,
    )
    try:
        assert process.stderr is not None
        banner = process.stderr.readline()
        found = re.search(announced, banner)
        assert found, banner
        yield found[1]
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return str(parts.hostname), int(parts.port or 0)


def test_the_mock_answers_a_real_client_while_300_half_sent_requests_hold_on_with_256_open_files() -> None:
    with started(["mock"], r"at (http://\S+/client/v4) ") as url, ExitStack() as stack:
        head = f"GET /client/v4{LIST} HTTP/1.1\r\nHost: x\r\n".encode()
        for _ in range(300):
            stack.enter_context(socket.create_connection(_address(url), timeout=5)).sendall(head)
        answer = httpx.get(url + LIST, headers=BEARER, timeout=PATIENCE)
    assert answer.status_code == 200


def test_the_proxy_cuts_off_a_dripping_head_and_answers_a_head_too_big_431() -> None:
    with (
        serve_in_thread(create_app(MockConfig())) as mock,
        started(["proxy", "--upstream", f"{mock}/client/v4"], r"proxy: (http://127\.0\.0\.1:\d+) -> ") as url,
    ):
        answer, dripped = drip_head(_address(url), f"/client/v4{LIST}", 1.0, PATIENCE)  # a header line a second
        with socket.create_connection(_address(url), timeout=5) as big:
            with suppress(ConnectionError):  # refused mid-head: the answer is read below
                big.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (4 * MAX_HEAD_BYTES) + b"\r\n\r\n")
            refused, _ = read_until_closed(big, PATIENCE)
        served = httpx.get(f"{url}/client/v4{LIST}", headers=BEARER, timeout=PATIENCE)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert dripped < PATIENCE, f"the dripping head was served for {dripped:.1f}s"
    assert refused.startswith(b"HTTP/1.1 431 "), refused[:200]
    assert served.status_code == 200
