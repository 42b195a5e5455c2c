"""The served mock's request log: one line per request (time, method, path, status, milliseconds), as Prism prints.

The event loop only appends what it saw to a bounded deque (no lock, no wake-up); a thread of its own takes what
has come every `FLUSH_SECONDS`, formats and writes it, so that a terminal or a pipe that reads slowly never holds an
answer back. Past `QUEUED_LINES` waiting, lines are counted and dropped (said once the stream takes lines again).
Headers are never logged; the path and query are what a client sent, so every secret the mock knows is redacted
from them, every character a terminal would obey is escaped, and the whole is cut to `PATH_CHARS`.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pcaps_contract._terminal import Painter, Segment, printable, takes_colour
from pcaps_contract._text import clip

PATH_CHARS = 200  # of a path and query as shown: a line stays one line of a terminal or so
QUEUED_LINES = 1024  # requests waiting to be written before more are only counted
FLUSH_SECONDS = 0.05  # how long a line may wait to be written: a person sees it at once, the mock wakes rarely
_SHOWN_PATHS = 1024  # short paths whose shown form is kept (a client repeats few): redacting is the dear part
_STATUS_STYLES = {2: "green", 3: "cyan", 4: "yellow", 5: "bold red"}

# What the loop hands the writer: when, method, raw path, raw query, status (0: no answer began), milliseconds.
Seen = tuple[float, str, str, bytes, int, float]


def shown_path(path: str, query: bytes, redact: Callable[[str], str]) -> str:
    """The path (and query) as a log line shows it: bounded before anything reads it whole, the mock's secrets
    redacted (a piece of one at the cut too), escaped for a terminal, then cut to `PATH_CHARS`."""
    text = clip(path + ("?" + query.decode("latin-1") if query else ""), 2 * PATH_CHARS)
    return clip(printable(redact(text)), PATH_CHARS)


@lru_cache(maxsize=4)
def _clock(second: int) -> str:
    """The local time of day of a line (lines of the same second share it)."""
    return time.strftime("%H:%M:%S ", time.localtime(second))


def line_segments(seen: Seen, shown: Callable[[str, bytes], str]) -> list[Segment]:
    """One request's line as styled pieces: `15:04:05 GET /client/v4/... 200 1.2 ms`."""
    at, method, path, query, status, milliseconds = seen
    style = _STATUS_STYLES.get(status // 100, "")
    return [
        (_clock(int(at)), "dim"),
        (clip(printable(method), 16), "bold"),
        (" " + shown(path, query) + " ", ""),
        (str(status) if status else "no answer", style),
        (f" {milliseconds:.1f} ms", "dim"),
    ]


def _descriptor(stream: TextIO) -> int | None:
    try:
        stream.flush()  # what it holds goes before the first line written past it
        return stream.fileno()
    except (OSError, ValueError, AttributeError):
        return None


class RequestLog:
    """The log of one served mock: `wrap` its app, `start` the writer, `close` when the server has stopped."""

    def __init__(self, stream: TextIO, redact: Callable[[str], str], colour: bool | None = None) -> None:
        self.stream = stream
        self.redact = redact
        self.painter = Painter(takes_colour(stream) if colour is None else colour)
        self.dropped = 0
        # A real file is written by its descriptor: a write blocked on a pipe nobody reads then holds no lock of the
        # stream's, which the interpreter would wait for forever when it flushes the stream at exit.
        self._fd = _descriptor(stream)
        self.encoding = getattr(stream, "encoding", None) or "utf-8"
        self._waiting: deque[Seen] = deque()
        self._stop = threading.Event()
        self._writer = threading.Thread(target=self._write, name="request log", daemon=True)

        @lru_cache(maxsize=_SHOWN_PATHS)
        def shown_short(path: str, query: bytes) -> str:
            return shown_path(path, query, redact)

        def shown(path: str, query: bytes) -> str:
            if len(path) + len(query) > 2 * PATH_CHARS:  # a long one is cut first, and never kept
                return shown_path(path, query, redact)
            return shown_short(path, query)

        self.shown = shown

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """The app, each HTTP request it answers noted when its answer is complete (or it failed)."""

        async def logged(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 0

            async def sending(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, sending)
            finally:
                took = (time.perf_counter() - started) * 1000
                self.note((time.time(), scope["method"], scope["path"], scope["query_string"], status, took))

        return logged

    def note(self, seen: Seen) -> None:
        if len(self._waiting) < QUEUED_LINES:
            self._waiting.append(seen)
        else:
            self.dropped += 1

    def start(self) -> RequestLog:
        self._writer.start()
        return self

    def close(self, timeout: float = 2.0) -> None:
        """Write what is waiting (for at most `timeout` seconds: the stream may not be read), then stop."""
        self._stop.set()
        if self._writer.is_alive():
            self._writer.join(timeout)

    def _write(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self._flush()
        self._flush()

    def _flush(self) -> None:
        waiting = self._waiting
        lines = [self.render(waiting.popleft()) for _ in range(len(waiting))]
        dropped, self.dropped = self.dropped, 0  # a count a race may leave one short: it only says lines are missing
        if dropped:
            lines.append(f"({dropped} request line(s) not shown: the output was read too slowly)")
        if not lines:
            return
        text = "\n".join(lines) + "\n"
        try:
            if self._fd is None:
                self.stream.write(text)
                self.stream.flush()
                return
            data = text.encode(self.encoding, "replace")
            while data:
                data = data[os.write(self._fd, data) :]
        except (OSError, ValueError):  # a closed or broken stream ends the log, never the mock
            pass

    def render(self, seen: Seen) -> str:
        try:
            return self.painter.segments(line_segments(seen, self.shown))
        except Exception:  # colour is a nicety: the words still print
            return "".join(text for text, _ in line_segments(seen, self.shown))
