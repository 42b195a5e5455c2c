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

# What one client may hold of a server of ours (`mock`, `proxy`): seconds to send a request's head (request line
# and headers) once it connects or its last answer ends, and its body after that; the bytes of that head (more:
# 431); the connections open at once (at most half the process's open-file limit, so that sockets never run out).
HEAD_SECONDS = 10.0
BODY_SECONDS = 60.0
MAX_HEAD_BYTES = 64 * 1024
MAX_CONNECTIONS = 1000
MIN_CONNECTIONS = 16
