"""`pcaps-contract mock` talks like a server: one line per request on stderr (off with --quiet), a refused request
named with its peer and what was wrong, and a warning when it listens beyond loopback; over real sockets."""

from __future__ import annotations

import os
import pty
import queue
import re
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from subprocess import DEVNULL, PIPE, Popen

import httpx

from pcaps_contract.mock._request_log import PATH_CHARS
from tests.cli.test_mock_command import ACCOUNT, COMMAND, running

TOKEN = "pcaps-contract-dev-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
GIVEN = "a-given-token-5c1e9d0b7a3f"  # a token of --token: the banner never shows it, so no line may
LIST = f"/accounts/{ACCOUNT}/pcaps/ownership"
PATIENCE = 30.0  # seconds a line may take to show on a loaded machine
TIME = r"\d\d:\d\d:\d\d"
ESCAPE = r"\x1b\[[0-9;]*[A-Za-z]"  # a colour code, not shown


class Lines:
    """The lines a process writes to stderr, read by a thread of their own so that a test waits with a bound."""

    def __init__(self, process: Popen[str]) -> None:
        self.seen: list[str] = []
        self.ended = False
        self._lines: queue.Queue[str | None] = queue.Queue()
        stream = process.stderr
        assert stream is not None

        def read() -> None:
            for line in stream:
                self._lines.put(line.rstrip("\n"))
            self._lines.put(None)

        threading.Thread(target=read, daemon=True).start()

    def until(self, wanted: Callable[[str], bool]) -> str:
        """The first line (from here on) that is `wanted`; fails after PATIENCE seconds or at the end of the output."""
        while True:
            try:
                line = self._lines.get(timeout=PATIENCE)
            except queue.Empty:
                raise AssertionError(f"no such line within {PATIENCE}s; seen: {self.seen[-5:]}") from None
            if line is None:
                self.ended = True
                raise AssertionError(f"the output ended without such a line; seen: {self.seen[-5:]}")
            self.seen.append(line)
            if wanted(line):
                return line

    def rest(self) -> list[str]:
        """Every line until the end of the output (the process has been stopped)."""
        while not self.ended:
            line = self._lines.get(timeout=PATIENCE)
            self.ended = line is None
            if line is not None:
                self.seen.append(line)
        return self.seen


@contextmanager
def logging_mock(*args: str) -> Iterator[tuple[str, Lines, Popen[str]]]:
    with running(*args) as (url, process):
        lines = Lines(process)
        try:
            yield url, lines, process
        finally:  # the reader reaches the end of the output before the stream is closed
            if process.poll() is None:
                process.kill()
            process.wait(timeout=PATIENCE)
            lines.rest()


def request(method: str = "GET") -> Callable[[str], bool]:
    """Whether a line is the log's line of a request with this method (the banner names a GET too)."""
    return lambda line: re.match(rf"{TIME} {method} ", line) is not None


def stopped(process: Popen[str], lines: Lines) -> list[str]:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=PATIENCE)
    return lines.rest()


def test_each_request_is_one_line_with_method_path_status_and_milliseconds() -> None:
    with logging_mock() as (url, lines, process):
        path = "/client/v4" + LIST
        assert httpx.get(url + LIST, headers=BEARER).status_code == 200
        ok = lines.until(request())
        assert httpx.get(url + LIST, headers={"Authorization": "Bearer wrong"}).status_code == 403
        refused = lines.until(request())
        created = httpx.post(
            url + LIST, headers=BEARER, json={"destination_conf": "s3://pcaps-bucket?region=us-east-1"}
        )
        assert created.status_code == 200
        added = lines.until(request("POST"))
        output = stopped(process, lines)

    assert re.fullmatch(rf"{TIME} GET {re.escape(path)} 200 \d+\.\d ms", ok), ok
    assert re.fullmatch(rf"{TIME} GET {re.escape(path)} 403 \d+\.\d ms", refused), refused
    assert re.fullmatch(rf"{TIME} POST {re.escape(path)} 200 \d+\.\d ms", added), added
    assert not any("\x1b" in line for line in output)  # a pipe is no terminal: no colour
    assert not any("wrong" in line or "Bearer" in line for line in output)  # headers are never logged


def test_quiet_keeps_every_request_off_the_output() -> None:
    with logging_mock("--quiet") as (url, lines, process):
        for _ in range(3):
            assert httpx.get(url + LIST, headers=BEARER).status_code == 200
        output = stopped(process, lines)

    assert not any(request()(line) for line in output), output


def test_a_hostile_path_is_shown_escaped_redacted_and_cut() -> None:
    hostile = f"/{GIVEN}/%1b]8;;http://evil/%1b%5c%1b[2J%e2%80%ae" + "a" * 60_000 + "?token=" + GIVEN
    with logging_mock("--token", GIVEN) as (url, lines, process):
        with socket.create_connection(("127.0.0.1", httpx.URL(url).port or 0), timeout=PATIENCE) as client:
            client.sendall(f"GET {hostile} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            assert client.recv(64).startswith(b"HTTP/1.1 404")
        line = lines.until(request())
        output = stopped(process, lines)

    assert re.match(rf"{TIME} GET /\$CLOUDFLARE_API_TOKEN/\\x1b\]8;;", line), line
    assert "\\x1b[2J" in line and "\\u202e" in line
    assert re.search(r"a… 404 \d+\.\d ms$", line), line[-40:]
    assert len(line) < PATH_CHARS + 60
    assert not any(GIVEN in text or "\x1b" in text for text in output)


def test_a_head_over_the_bound_is_answered_431_and_logs_no_long_line() -> None:
    with logging_mock() as (url, lines, process):
        with socket.create_connection(("127.0.0.1", httpx.URL(url).port or 0), timeout=PATIENCE) as client:
            client.sendall(f"GET /{'a' * 100_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert client.recv(64).startswith(b"HTTP/1.1 431")
        assert httpx.get(url + LIST, headers=BEARER).status_code == 200
        lines.until(request())
        output = stopped(process, lines)

    assert max(len(line) for line in output) < PATH_CHARS + 60


def test_a_request_no_parser_can_read_is_named_with_its_peer_and_what_was_wrong() -> None:
    with logging_mock("--token", GIVEN) as (url, lines, process):
        with socket.create_connection(("127.0.0.1", httpx.URL(url).port or 0), timeout=PATIENCE) as client:
            client.sendall(f"GET /{GIVEN} HTTP/1.1\r\nHost: x\r\nBad\x01Header: {GIVEN}\r\n\r\n".encode())
            assert client.recv(64).startswith(b"HTTP/1.1 400")
            peer = client.getsockname()[1]
        line = lines.until(lambda line: "Invalid HTTP request" in line)
        output = stopped(process, lines)

    assert re.search(rf"Invalid HTTP request from 127\.0\.0\.1:{peer} \(.+\): answered 400 and closed\.$", line), line
    assert not any("Invalid HTTP request received." in text or GIVEN in text for text in output), output


def test_listening_on_every_interface_warns_and_loopback_does_not() -> None:
    with logging_mock("--host", "0.0.0.0") as (url, lines, process):
        warning = lines.until(lambda line: line.startswith("warning:"))
        process.kill()
    with logging_mock() as (url, lines, process):
        assert httpx.get(url + LIST, headers=BEARER).status_code == 200
        lines.until(request())
        output = stopped(process, lines)

    assert warning == (
        "warning: listening on every interface (0.0.0.0): anyone on the network can reach this development mock; "
        "--host 127.0.0.1 keeps it to this machine."
    )
    assert not any("warning" in line.lower() for line in output), output


def test_a_log_nobody_reads_neither_holds_answers_back_nor_the_exit() -> None:
    """Far more lines than a pipe holds, and the reader never reads past the banner: the mock answers each request
    and still stops cleanly (exit 0) on SIGINT."""
    with running() as (url, process), httpx.Client(timeout=PATIENCE) as client:
        for index in range(1500):
            assert client.get(f"{url}/{index}/{'x' * 180}").status_code == 404
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=PATIENCE) == 0


def test_the_proxy_listening_on_every_interface_warns_too() -> None:
    command = [sys.executable, "-m", "pcaps_contract", "proxy", "--upstream", "http://127.0.0.1:9/client/v4"]
    process = Popen([*command, "--host", "0.0.0.0", "--port", "0"], stdout=DEVNULL, stderr=PIPE, text=True)
    lines = Lines(process)
    try:
        lines.until(lambda line: line.startswith("proxy: "))
        warning = lines.until(lambda line: line.startswith("warning:"))
    finally:
        process.kill()
        process.wait(timeout=PATIENCE)
        lines.rest()  # to the end of the output, so that the stream can be closed
        assert process.stderr is not None
        process.stderr.close()
    assert warning == (
        "warning: listening on every interface (0.0.0.0): anyone on the network can reach this proxy, and through "
        "it the upstream; --host 127.0.0.1 keeps it to this machine."
    )


def _shown_in_a_pty(no_color: bool) -> str:
    """The served mock with stderr on a pseudo-terminal: what it showed once one list request was answered."""
    main, child = pty.openpty()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CLOUDFLARE_", "NO_COLOR"))}
    env |= {"TERM": "xterm", **({"NO_COLOR": "1"} if no_color else {})}
    process = Popen([*COMMAND, "--port", "0"], stdin=DEVNULL, stdout=DEVNULL, stderr=child, env=env)
    os.close(child)
    shown = ""
    asked = False
    deadline = time.monotonic() + PATIENCE
    try:
        while time.monotonic() < deadline and not re.search(r"GET /client\S* 200", re.sub(ESCAPE, "", shown)):
            if select.select([main], [], [], 0.5)[0]:
                try:
                    shown += os.read(main, 65536).decode("utf-8", "replace")
                except OSError:  # the child closed its side
                    break
            announced = re.search(r"at (http://\S+/client/v4) ", shown)
            if announced and not asked:
                asked = httpx.get(announced[1] + LIST, headers=BEARER, timeout=PATIENCE).status_code == 200
    finally:
        process.kill()
        process.wait(timeout=PATIENCE)
        os.close(main)
    return shown


def test_on_a_terminal_a_request_line_is_in_colour_and_with_no_color_it_is_plain() -> None:
    coloured, plain = _shown_in_a_pty(no_color=False), _shown_in_a_pty(no_color=True)

    assert re.search(r"\x1b\[32m200\x1b\[0m", coloured), coloured  # a 2xx in green
    assert re.search(rf"{TIME} GET /client/v4{re.escape(LIST)} 200 \d+\.\d ms", plain), plain
    assert "\x1b" not in plain
