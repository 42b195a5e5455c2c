"""The live progress line of a long run: rewritten in place (in colour) on a terminal, a plain line every few
seconds otherwise; the display never breaks the run it shows."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TextIO, TypeVar

from pcaps_contract._terminal import (
    Painter,
    Segment,
    fit,
    is_terminal,
    plain,
    printable,
    takes_colour,
    terminal_width,
)
from pcaps_contract.report.stream import Event, Progressed

S = TypeVar("S")

# Clears the rest of the line after the cursor: a shorter line leaves nothing of the longer one before it.
_CLEAR_TO_END = "\x1b[K"


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Progress(Generic[S]):
    """Shows snapshots as `render` words them: on a TTY at most a few times a second on one line, else a line
    every `interval` seconds.

    `render` gives the line, or its segments with a rich style each (coloured on a terminal that takes colour,
    see `_terminal.takes_colour`; joined plainly anywhere else). On a terminal the line is cut to its width. A
    stream that breaks (closed, gone) or a renderer that raises ends the display, never the run.
    """

    def __init__(
        self,
        stream: TextIO,
        render: Callable[[S], str | Sequence[Segment]],
        interval: float = 10.0,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        painter: Painter | None = None,
    ) -> None:
        self.stream = stream
        self.render = render
        self.tty = is_terminal(stream) if tty is None else tty
        self.interval = 0.25 if self.tty else interval
        self.clock = clock
        self.painter = painter or Painter(self.tty and takes_colour(stream) if tty is None else False)
        self.broken = False
        self._last = float("-inf")
        self._width = 0
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        """As a listener of the run's stream (`report.stream`): each snapshot shown, the last one to end the line."""
        if isinstance(event, Progressed):
            if event.last:
                self.finish(event.snapshot)
            else:
                self.update(event.snapshot)

    def update(self, snapshot: S, force: bool = False) -> None:
        with self._lock:
            if self.broken:
                return
            now = self.clock()
            if not force and now - self._last < self.interval:
                return
            self._last = now
            try:
                self._show(snapshot)
            except Exception:  # a closed stderr, an odd terminal, a bug in a renderer: the run goes on, unshown
                self.broken = True

    def _show(self, snapshot: S) -> None:
        rendered = self.render(snapshot)
        pieces: Sequence[Segment] = [(rendered, "")] if isinstance(rendered, str) else rendered
        segments: Sequence[Segment] = [(printable(text), style) for text, style in pieces]
        if not self.tty:
            self.stream.write(plain(segments) + "\n")
        else:
            columns = terminal_width(self.stream)
            segments = fit(segments, None if columns is None else columns - 1)
            line = plain(segments)
            if self.painter.colour:
                self.stream.write("\r" + self.painter.segments(segments) + _CLEAR_TO_END)
            else:
                self.stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        self.stream.flush()

    def finish(self, snapshot: S) -> None:
        """The last snapshot, and a newline on a terminal so that the next output starts clean."""
        self.update(snapshot, force=True)
        if self.tty:
            with self._lock:
                if self.broken:
                    return
                try:
                    self.stream.write("\n")
                    self.stream.flush()
                except Exception:
                    self.broken = True
