"""A run's event log (`events.ndjson` of `check` and `fuzz`): one JSON object a line, flushed as it happens.

Secrets are replaced by variable names in each value before the line is written (never in the written line), each
text is cut to `TEXT_LIMIT` characters, and the line is JSON (`_text.json_text`): a killed run leaves a file that
reads to its last line, and a server's huge answer cannot make it huge.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from pcaps_contract._text import clip, json_text
from pcaps_contract.report.stream import Event, Noted

TEXT_LIMIT = 2000  # characters of one text in an event (a long answer or curl is cut, after redaction)


class EventLog:
    """Appends events to a file (or nowhere); each carries `t`, the seconds since the run started."""

    def __init__(self, path: Path | None, redact: Callable[[str], str], clock: Callable[[], float] = time.monotonic):
        self.path = path
        self.redact = redact
        self.clock = clock
        self.started = clock()
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        """As a listener of the run's stream (`report.stream`): each noted event is a line."""
        if isinstance(event, Noted):
            self.emit(event.name, **event.fields)

    def emit(self, event: str, **data: Any) -> None:
        # Each value is redacted on its own, then cut: JSON then only encodes what is left.
        record = _redacted({"t": round(self.clock() - self.started, 3), "event": event, **data}, self.redact)
        line = json_text(record)
        with self._lock:
            if self._file is not None and not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()


def _redacted(data: Any, redact: Callable[[str], str]) -> Any:
    """JSON-like data with every string in it redacted on its own, then cut to `TEXT_LIMIT`."""
    if isinstance(data, str):
        return clip(redact(data), TEXT_LIMIT)
    if isinstance(data, dict):
        return {redact(str(key)): _redacted(value, redact) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [_redacted(item, redact) for item in data]
    if data is None or isinstance(data, bool | int | float):
        return data
    return clip(redact(str(data)), TEXT_LIMIT)  # anything else JSON has no form for, as its text
