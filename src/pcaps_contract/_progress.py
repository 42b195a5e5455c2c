"""The live progress line of a long run: rewritten in place on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TextIO, TypeVar

S = TypeVar("S")


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Progress(Generic[S]):
    """Shows snapshots as `render` words them: on a TTY at most a few times a second on one line, else a line
    every `interval` seconds."""

    def __init__(
        self,
        stream: TextIO,
        render: Callable[[S], str],
        interval: float = 10.0,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.render = render
        self.tty = stream.isatty() if tty is None else tty
        self.interval = 0.25 if self.tty else interval
        self.clock = clock
        self._last = float("-inf")
        self._width = 0
        self._lock = threading.Lock()

    def update(self, snapshot: S, force: bool = False) -> None:
        with self._lock:
            now = self.clock()
            if not force and now - self._last < self.interval:
                return
            self._last = now
            line = self.render(snapshot)
            if self.tty:
                self.stream.write("\r" + line.ljust(self._width))
                self._width = len(line)
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def finish(self, snapshot: S) -> None:
        """The last snapshot, and a newline on a terminal so that the next output starts clean."""
        self.update(snapshot, force=True)
        if self.tty:
            with self._lock:
                self.stream.write("\n")
                self.stream.flush()
