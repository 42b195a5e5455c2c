"""The proxy's judge off the request path: one thread of its own, fed through a bounded queue.

The request path only puts events (a request began, an answer ended, a request got no answer) in the order they
happen; the thread takes them in that order, feeds the passive judge and writes the recording. Nothing the judge
does (a slow schema, a body it cannot read, a failure of its own) delays or breaks a client's answer. When the
queue is full the event is dropped and said so once: the judge forgets its model (no false alarm can follow from
what it missed) and the report counts the exchanges it never saw, rather than memory growing with the backlog.
"""

from __future__ import annotations

import queue
import sys
import threading
from dataclasses import dataclass
from typing import TextIO

from pcaps_contract._limits import JUDGE_QUEUE_BYTES, JUDGE_QUEUE_EVENTS
from pcaps_contract.passive.judging import PassiveJudge
from pcaps_contract.passive.traffic import Recorded, Recording


@dataclass(frozen=True)
class _Begin:
    method: str
    url: str
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body)


@dataclass(frozen=True)
class _Lost(_Begin):
    pass


@dataclass(frozen=True)
class _Ended:
    recorded: Recorded

    @property
    def size(self) -> int:
        return len(self.recorded.request_body) + len(self.recorded.response_body)


_Event = _Begin | _Ended


class OffPathJudge:
    """Takes the proxy's events without waiting and judges them, in order, on a thread of its own."""

    def __init__(
        self,
        judge: PassiveJudge,
        recording: Recording | None = None,
        log: TextIO | None = None,
        max_events: int = JUDGE_QUEUE_EVENTS,
        max_bytes: int = JUDGE_QUEUE_BYTES,
    ) -> None:
        self.judge = judge
        self.recording = recording
        self.log = log if log is not None else sys.stderr
        self.max_bytes = max_bytes
        self._queue: queue.Queue[_Event | None] = queue.Queue(max_events)
        self._lock = threading.Lock()
        self._queued_bytes = 0
        self._dropped = 0  # answers never judged because the queue was full (read and reset by the thread)
        self._behind = False  # an event was dropped since the thread last looked: forget the model
        self._said_behind = False
        self._thread = threading.Thread(target=self._run, name="pcaps-contract-judge", daemon=True)
        self._thread.start()

    # --- the request path: never waits ---------------------------------------------------------------------------

    def begin(self, method: str, url: str, body: bytes = b"") -> None:
        self._put(_Begin(method, url, body))

    def lost(self, method: str, url: str, body: bytes = b"") -> None:
        self._put(_Lost(method, url, body))

    def feed(self, recorded: Recorded) -> None:
        self._put(_Ended(recorded))

    def _put(self, event: _Event) -> None:
        with self._lock:
            room = self._queued_bytes + event.size <= self.max_bytes
            if room:
                try:
                    self._queue.put_nowait(event)
                except queue.Full:
                    room = False
                else:
                    self._queued_bytes += event.size
            if not room:
                self._behind = True
                self._dropped += isinstance(event, _Ended)
                said, self._said_behind = self._said_behind, True
        if not room and not said:
            print(
                "proxy: the judge fell behind the traffic; exchanges are still forwarded, but those it cannot take "
                "are not judged (counted in the report)",
                file=self.log,
                flush=True,
            )

    # --- the judge's thread --------------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            with self._lock:
                if event is not None:
                    self._queued_bytes -= event.size
                behind, self._behind = self._behind, False
                dropped, self._dropped = self._dropped, 0
            if behind:
                self.judge.forget()
            self.judge.tally.dropped += dropped
            if event is None:
                return
            try:
                self._judge(event)
            except Exception as exc:  # the thread outlives any one event (a full disk, a closed stdout)
                print(f"proxy: could not judge or record an exchange ({type(exc).__name__})", file=self.log)

    def _judge(self, event: _Event) -> None:
        if isinstance(event, _Ended):
            self.judge.feed(event.recorded)
            if self.recording is not None:
                self.recording.write(event.recorded)
        elif isinstance(event, _Lost):
            self.judge.lost(event.method, event.url, event.body)
        else:
            self.judge.begin(event.method, event.url, event.body)

    def close(self) -> None:
        """Judge everything taken so far, then stop the thread."""
        self._queue.put(None)  # waits for room: the queue drains as the thread judges
        self._thread.join()
