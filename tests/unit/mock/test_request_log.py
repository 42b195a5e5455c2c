"""The served mock's request log on its own: what a line shows of a path (redacted, escaped, cut), colour only on
a terminal, a stream that reads slowly never holding a request back; and when listening warns of the network."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from pcaps_contract._credentials import redacting_placeholder
from pcaps_contract._serving import exposure_warning
from pcaps_contract._terminal import Painter
from pcaps_contract.mock._request_log import PATH_CHARS, QUEUED_LINES, RequestLog, Seen, shown_path
from tests.unit.test_output_escaping import UNSHOWABLE

SECRET = "s3cr3t-t0ken-0123456789abcdef"
REDACT = redacting_placeholder(SECRET, None, None, {}).redact


@given(
    before=st.text(max_size=3 * PATH_CHARS),
    after=st.text(max_size=3 * PATH_CHARS),
    query=st.binary(max_size=2 * PATH_CHARS),
    in_query=st.booleans(),
)
def test_a_path_is_shown_without_the_secret_escaped_and_within_its_bound(
    before: str, after: str, query: bytes, in_query: bool
) -> None:
    path = "/" + before + ("" if in_query else SECRET) + after
    if in_query:
        query += b"&token=" + SECRET.encode()
    shown = shown_path(path, query, REDACT)

    assert SECRET not in shown and SECRET[:12] not in shown
    assert not UNSHOWABLE.search(shown)
    assert len(shown) <= PATH_CHARS


def seen(path: str = "/client/v4/accounts", status: int = 200) -> Seen:
    return (time.time(), "GET", path, b"", status, 1.25)


def test_a_line_is_plain_off_a_terminal_and_coloured_on_one() -> None:
    plain = RequestLog(io.StringIO(), REDACT, colour=False).render(seen(status=404))
    log = RequestLog(io.StringIO(), REDACT, colour=True)
    log.painter = Painter(True, Console(force_terminal=True, color_system="standard"))
    coloured = log.render(seen(status=404))

    assert plain.endswith(" GET /client/v4/accounts 404 1.2 ms") and "\x1b" not in plain
    assert "\x1b[" in coloured and "404" in coloured


class Stuck(io.StringIO):
    """A stream nobody reads: every write waits until released."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def write(self, text: str) -> int:
        self.released.wait(30)
        return super().write(text)


def test_a_stream_that_is_not_read_never_holds_a_request_back_and_the_lines_it_missed_are_counted() -> None:
    stream = Stuck()
    log = RequestLog(stream, REDACT, colour=False).start()
    started = time.monotonic()
    for _ in range(3 * QUEUED_LINES):
        log.note(seen())
    noted = time.monotonic() - started
    stream.released.set()
    log.close(timeout=30)

    assert noted < 10  # a bound no stuck write could keep: each note only queues
    text = stream.getvalue()
    assert "request line(s) not shown: the output was read too slowly" in text
    assert text.count(" GET ") <= QUEUED_LINES + 2


class Bound:
    """A socket stand-in listening on `host`."""

    def __init__(self, host: str) -> None:
        self.host = host

    def getsockname(self) -> tuple[Any, ...]:
        return (self.host, 8787)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_a_loopback_address_gets_no_warning(host: str) -> None:
    assert exposure_warning(Bound(host), "this development mock") is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("host", "where"),
    [
        ("0.0.0.0", "every interface (0.0.0.0)"),
        ("::", "every interface (::)"),
        ("192.168.1.5", "192.168.1.5"),
        ("fe80::1%eth0", "fe80::1%eth0"),
    ],
)
def test_an_address_beyond_loopback_is_warned_of(host: str, where: str) -> None:
    warning = exposure_warning(Bound(host), "this development mock")  # type: ignore[arg-type]
    assert warning == (
        f"warning: listening on {where}: anyone on the network can reach this development mock; "
        "--host 127.0.0.1 keeps it to this machine."
    )
