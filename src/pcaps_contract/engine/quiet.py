"""Quiet: the run's writes hold it together, a reader of several pages holds it alone.

The run writes from many threads at once (schemathesis's phases, the lifecycle's lanes), and a server that pages
by offset shifts its records between pages when one is added or deleted: read while that happens, a page may
repeat a record or leave one out, which says nothing of the server. So every write of the run (through the
sender, `_sender.PoliteAdapter`, and the lifecycle's own sends) holds the quiet together, and reading the pages
of one listing holds it alone: new writes wait, writes in flight are waited for, a bounded time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

# How long a reader of pages waits for the writes in flight to end; past it, the pages are read anyway and
# are not judged together (a write that waits out a Retry-After can hold the quiet that long).
QUIET_WAIT = 10.0


class Quiet:
    """Writes together, a reader of pages alone; `paging` once any listing of the run claimed other pages."""

    def __init__(self, wait: float = QUIET_WAIT, *, holds_every_write: bool = True) -> None:
        self.wait = wait
        # False when some writes of the run do not go through it (schemathesis's phases against an in-process
        # app): then it is never had alone, and no pages are judged together.
        self.holds_every_write = holds_every_write
        self.paging = False
        self._condition = threading.Condition()
        self._writes = 0
        self._waiting = 0
        self._reader: int | None = None
        self._depth = threading.local()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the quiet for one write (a thread's nested writes count once)."""
        depth: int = getattr(self._depth, "value", 0)
        me = threading.get_ident()
        if depth == 0 and self._reader != me:
            with self._condition:
                # Bounded: a reader waits `wait` at most, then reads at most a few pages, each under the sender's
                # deadline, and every send fails at once when the run stops.
                while self._reader is not None or self._waiting:
                    self._condition.wait()
                self._writes += 1
        self._depth.value = depth + 1
        try:
            yield
        finally:
            self._depth.value = depth
            if depth == 0 and self._reader != me:
                with self._condition:
                    self._writes -= 1
                    self._condition.notify_all()

    @contextmanager
    def alone(self) -> Iterator[bool]:
        """Hold the quiet alone while pages are read; yields whether it was had (False: writes went on)."""
        me = threading.get_ident()
        if not self.holds_every_write:
            yield False
            return
        with self._condition:
            self._waiting += 1
            try:
                had = self._condition.wait_for(lambda: self._writes == 0 and self._reader is None, self.wait)
            finally:
                self._waiting -= 1
            if had:
                self._reader = me
            self._condition.notify_all()
        try:
            yield had
        finally:
            if had:
                with self._condition:
                    self._reader = None
                    self._condition.notify_all()
