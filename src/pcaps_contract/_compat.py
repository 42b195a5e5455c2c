"""Work-arounds for interpreter bugs that concurrent runs would otherwise hit, each with its reason and its end."""

from __future__ import annotations

import ast
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# CPython before 3.11.8 and 3.12.2 (gh-106905): `ast.parse` shares one recursion counter between threads, so two
# threads parsing at once may fail with "SystemError: AST constructor recursion depth mismatch". Hypothesis
# parses a lambda's source to describe a strategy, which schemathesis's workers do side by side: a scenario
# would break down and its cases go unjudged.
AST_PARSE_IS_SHARED = sys.version_info < (3, 11, 8) or (3, 12) <= sys.version_info < (3, 12, 2)
_PARSING = threading.RLock()
_USERS = 0
_USERS_LOCK = threading.Lock()
_ORIGINAL_PARSE: Callable[..., Any] = ast.parse


def _one_at_a_time(*args: Any, **kwargs: Any) -> Any:
    with _PARSING:
        return _ORIGINAL_PARSE(*args, **kwargs)


def warm_hypothesis() -> None:
    """Compute Hypothesis's Unicode tables now, on this thread.

    Hypothesis computes them on first use (over a million code points) unless `.hypothesis/` holds a copy, as it
    does not in a fresh checkout or a new working directory; threads that all draw their first text at once
    would each compute them, side by side under the GIL: minutes instead of a second.
    """
    from hypothesis import strategies as st

    for codec in ("utf-8", "ascii"):
        st.text(st.characters(codec=codec)).validate()
    st.text().validate()


@contextmanager
def ready_for_threads(enabled: bool = True) -> Iterator[None]:
    """Ready this process for concurrent runs: Hypothesis's tables computed, and on interpreters that need it
    (gh-106905), threads parsing Python one at a time while inside."""
    global _USERS
    if enabled:
        warm_hypothesis()
    if not (enabled and AST_PARSE_IS_SHARED):
        yield
        return
    with _USERS_LOCK:
        _USERS += 1
        ast.parse = _one_at_a_time
    try:
        yield
    finally:
        with _USERS_LOCK:
            _USERS -= 1
            if not _USERS:
                ast.parse = _ORIGINAL_PARSE
