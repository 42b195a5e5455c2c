"""Work-arounds for interpreter bugs that concurrent runs would otherwise hit, each with its reason and its end."""

from __future__ import annotations
import __future__

import ast
import builtins
import ctypes
import functools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# CPython before 3.11.8 and 3.12.2 (gh-106905): turning a parsed tree into Python `ast` objects (`ast.parse`, or
# `compile` with `ast.PyCF_ONLY_AST`) keeps its recursion count in one place shared by every thread. When a
# collection runs Python code in the middle of one conversion (a finalizer, a `gc` callback such as Hypothesis's)
# and another thread converts meanwhile, the first ends with "SystemError: AST constructor recursion depth
# mismatch". Hypothesis parses a lambda's or a predicate's source to describe or bound a strategy, and libraries
# parse their own source on import (anyio calls `compile(..., ast.PyCF_ONLY_AST)` directly); schemathesis's
# engines do both side by side, so a scenario would break down and its cases go unjudged.
AST_PARSE_IS_SHARED = sys.version_info < (3, 11, 8) or (3, 12) <= sys.version_info < (3, 12, 2)
_AST_CONVERSIONS = threading.RLock()
_INSTALLING = threading.Lock()
_ORIGINAL_COMPILE = builtins.compile
# The `from __future__` flags a frame's code carries, which `compile` inherits from its caller unless told not to.
_FUTURE_FLAGS = functools.reduce(
    lambda flags, name: flags | getattr(__future__, name).compiler_flag, __future__.all_feature_names, 0
)


@functools.wraps(_ORIGINAL_COMPILE)
def guarded_compile(
    source: Any,
    filename: Any,
    mode: str,
    flags: int = 0,
    dont_inherit: bool = False,
    optimize: int = -1,
    *,
    _feature_version: int = -1,
) -> Any:
    """`compile` exactly, except that conversions between a parsed tree and `ast` objects run one at a time.

    `ast.parse` looks `compile` up in `builtins` at each call, so it goes through here too, as does every caller
    that holds `ast.parse` or calls `compile` by name. The caller's `__future__` flags are inherited as the
    builtin would inherit them (from the frame that called, not from this one).
    """
    if not isinstance(flags, int):  # the builtin's own error, unchanged
        return _ORIGINAL_COMPILE(
            source, filename, mode, flags, dont_inherit, optimize, _feature_version=_feature_version
        )
    if not dont_inherit:
        flags |= _caller_future_flags()
    if flags & ast.PyCF_ONLY_AST or isinstance(source, ast.AST):
        with _AST_CONVERSIONS:
            return _ORIGINAL_COMPILE(source, filename, mode, flags, True, optimize, _feature_version=_feature_version)
    return _ORIGINAL_COMPILE(source, filename, mode, flags, True, optimize, _feature_version=_feature_version)


def _caller_future_flags() -> int:
    """The `__future__` flags of the code that called `compile` (two frames up: past `guarded_compile`)."""
    try:
        return sys._getframe(2).f_code.co_flags & _FUTURE_FLAGS
    except ValueError:  # called from C with no Python frame above: nothing to inherit
        return 0


def guard_ast_conversions() -> None:
    """Put `guarded_compile` in place of `builtins.compile`, once and for the rest of the process.

    For good, not for the length of a run: a thread may outlive the run that started it, and taking the guard away
    while another thread converts would let the two meet again.
    """
    with _INSTALLING:
        if builtins.compile is not guarded_compile:
            builtins.compile = guarded_compile


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


# glibc gives a thread that meets contention an arena of its own, each reserving 64 MiB of address space (up to eight
# per core): the workers of a run and the probes beside them then reserve more than a 1 GiB address-space limit
# allows (`ulimit -v`), and an allocation fails inside a thread (an abort: exit -6, no sentence). Two arenas serve
# threads that mostly wait on sockets; the process's memory stays bounded by what it holds, not by its threads.
M_ARENA_MAX = -8  # glibc's mallopt parameter
MALLOC_ARENAS = 2


def bound_malloc_arenas() -> None:
    """At most `MALLOC_ARENAS` malloc arenas for the rest of the process (glibc only; elsewhere nothing to do)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(M_ARENA_MAX, MALLOC_ARENAS)


@contextmanager
def ready_for_threads(enabled: bool = True) -> Iterator[None]:
    """Ready this process for concurrent runs: Hypothesis's tables computed, and on interpreters that need it
    (gh-106905), conversions to and from `ast` objects one at a time from then on (`guard_ast_conversions`), and
    the threads' malloc arenas bounded (`bound_malloc_arenas`)."""
    if enabled:
        bound_malloc_arenas()
        warm_hypothesis()
        if AST_PARSE_IS_SHARED:
            guard_ast_conversions()
    yield
