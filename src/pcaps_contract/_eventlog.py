"""A run's event log (`events.ndjson` of `check` and `fuzz`): one JSON object a line, flushed as it happens.

Secrets are replaced by variable names, and each text is cut to `TEXT_LIMIT` characters: a killed run leaves a
file that reads to its last line, and a server's huge answer cannot make it huge.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from pcaps_contract._text import clip

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

    def emit(self, event: str, **data: Any) -> None:
        # Each value is redacted on its own first: a value cut short (or escaped by JSON) hides a secret from the line.
        record = _redacted({"t": round(self.clock() - self.started, 3), "event": event, **data}, self.redact)
        line = json.dumps(record, default=lambda value: self.redact(str(value)))
        with self._lock:
            if self._file is not None and not self._file.closed:
                self._file.write(self.redact(line) + "\n")
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
    return data
