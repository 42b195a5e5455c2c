"""The bounds every run keeps, whatever the server does: one source for the sender, the cleanup and the flags."""

from __future__ import annotations

# The largest answer body judged, after decompression; and the least a user may set (every envelope fits).
DEFAULT_MAX_RESPONSE_BYTES = 1 << 20
MIN_RESPONSE_BYTES = 1024
# Seconds one whole answer (connect, headers and body) may take.
DEFAULT_TIMEOUT = 30.0
# Seconds a gate run may send for, before its cleanup.
DEFAULT_MAX_TIME = 900.0
# Seconds the cleanup has of its own, after the run's budget, a crash, Ctrl-C or SIGTERM.
CLEANUP_TIME_LIMIT = 120.0
# Seconds after an add within which its challenge file must appear in `--bucket` (a run waits this once at most).
DEFAULT_CHALLENGE_WAIT = 60.0
