"""`ready_for_threads`: on interpreters with gh-106905, conversions to and from `ast` objects run one at a time,
through a `compile` that otherwise behaves exactly as the builtin (the caller's `__future__` flags included)."""

from __future__ import annotations
import __future__

import ast
import builtins
import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract import _compat

affected = pytest.mark.skipif(not _compat.AST_PARSE_IS_SHARED, reason="this interpreter has the gh-106905 fix")

# Nested enough that a conversion allocates many objects (so a collection may start in its middle).
NESTED = (
    "def f():\n"
    + "".join("    " * (depth + 1) + f"if x{depth}:\n" for depth in range(30))
    + "    " * 31
    + "pass\n"
    + "y = "
    + "(" * 40
    + "1"
    + ")" * 40
    + "\nz = [[[{a: (b, c)} for a in d] for b in e] for c in g]\n"
)
THREADS = 4


@contextmanager
def collections_yield_the_interpreter() -> Iterator[None]:
    """Every collection hands the interpreter to another thread (as a finalizer doing I/O would), threads switch
    as often as they can: what makes a rare interleaving of real runs happen at once."""

    def yield_now(phase: str, info: dict[str, int]) -> None:
        time.sleep(0)

    interval = sys.getswitchinterval()
    gc.callbacks.append(yield_now)
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        gc.callbacks.remove(yield_now)


def convert_side_by_side(conversions: list[Callable[[], Any]], seconds: float) -> list[str]:
    """Threads at different stack depths run the conversions over and over until one breaks or `seconds` pass;
    returns the SystemErrors they met."""
    errors: list[str] = []
    stop = threading.Event()

    def work(depth: int) -> None:
        if depth:
            work(depth - 1)
            return
        while not stop.is_set():
            for conversion in conversions:
                try:
                    conversion()
                except SystemError as exc:
                    errors.append(str(exc))
                    stop.set()

    threads = [threading.Thread(target=work, args=(10 + 17 * n,), daemon=True) for n in range(THREADS)]
    with collections_yield_the_interpreter():
        for thread in threads:
            thread.start()
        stop.wait(seconds)
        stop.set()
        for thread in threads:
            thread.join(30)
    return errors


@affected
def test_threads_building_ast_objects_side_by_side_break_the_unguarded_interpreter() -> None:
    """The stress below can fail: without the guard, this interpreter meets gh-106905 (usually within 0.1 s)."""
    original = _compat._ORIGINAL_COMPILE
    tree = ast.parse(NESTED)
    errors = convert_side_by_side(
        [
            lambda: original(NESTED, "<nested>", "exec", ast.PyCF_ONLY_AST),
            lambda: original(tree, "<nested>", "exec"),
        ],
        seconds=60,
    )
    assert errors and "recursion depth mismatch" in errors[0]


@affected
def test_threads_parsing_and_compiling_side_by_side_never_break_once_ready_for_threads() -> None:
    with _compat.ready_for_threads():
        pass
    tree = ast.parse(NESTED)
    errors = convert_side_by_side(
        [
            lambda: ast.parse(NESTED),
            lambda: compile(NESTED, "<nested>", "exec", ast.PyCF_ONLY_AST),
            lambda: compile(tree, "<nested>", "exec"),
        ],
        seconds=3,
    )
    assert errors == []


@affected
def test_the_guard_stays_for_the_rest_of_the_process_once_a_concurrent_run_started() -> None:
    with _compat.ready_for_threads():
        assert builtins.compile is _compat.guarded_compile
    assert builtins.compile is _compat.guarded_compile  # a thread may outlive its run
    _compat.guard_ast_conversions()  # installing again changes nothing
    assert builtins.compile is _compat.guarded_compile
    assert isinstance(ast.parse("x = 1"), ast.Module)


def test_a_conversion_waits_while_another_thread_converts_and_plain_compiling_does_not() -> None:
    parsed, compiled = threading.Event(), threading.Event()

    def parse() -> None:
        _compat.guarded_compile("y = 2", "<s>", "exec", ast.PyCF_ONLY_AST)
        parsed.set()

    def compile_code() -> None:
        _compat.guarded_compile("y = 2", "<s>", "exec")
        compiled.set()

    with _compat._AST_CONVERSIONS:
        workers = [threading.Thread(target=parse), threading.Thread(target=compile_code)]
        for worker in workers:
            worker.start()
        assert compiled.wait(10)  # code objects need no guard
        assert not parsed.wait(0.2)  # blocked: one conversion at a time
    for worker in workers:
        worker.join(10)
    assert parsed.is_set()


def test_a_sequential_run_leaves_compile_as_it_was() -> None:
    before = builtins.compile
    with _compat.ready_for_threads(enabled=False):
        assert builtins.compile is before
    assert builtins.compile is before


FEATURES = [name for name in __future__.all_feature_names if name != "barry_as_FLUFL"]  # it changes `!=`'s syntax
SOURCES = ["x = 1\n", "def f(a: undefined) -> undefined:\n    return a / 2\n", "print('x', end='')\n", NESTED]


def _compile_from(caller_features: list[str], compiler: Callable[..., Any], arguments: tuple[Any, ...]) -> Any:
    """`compiler(*arguments)` called from code that has `from __future__ import` each of `caller_features`."""
    imports = "".join(f"from __future__ import {name}\n" for name in caller_features)
    namespace: dict[str, Any] = {"compiler": compiler, "arguments": arguments}
    caller = _compat._ORIGINAL_COMPILE(imports + "result = compiler(*arguments)\n", "<caller>", "exec", 0, True)
    exec(caller, namespace)
    return namespace["result"]


def _comparable(result: Any) -> Any:
    if isinstance(result, ast.AST):
        return ast.dump(result, include_attributes=True)
    constants = [_comparable(const) if hasattr(const, "co_code") else repr(const) for const in result.co_consts]
    return (result.co_flags, result.co_code, constants, result.co_names)


@given(
    caller_features=st.lists(st.sampled_from(FEATURES), unique=True),
    flag_features=st.lists(st.sampled_from(FEATURES), unique=True),
    only_ast=st.booleans(),
    dont_inherit=st.booleans(),
    source=st.sampled_from(SOURCES),
    from_tree=st.booleans(),
)
def test_the_guarded_compile_gives_what_the_builtin_gives_to_any_caller(
    caller_features: list[str],
    flag_features: list[str],
    only_ast: bool,
    dont_inherit: bool,
    source: str,
    from_tree: bool,
) -> None:
    flags = sum(getattr(__future__, name).compiler_flag for name in flag_features)
    flags |= ast.PyCF_ONLY_AST if only_ast else 0
    parsed = ast.parse(source) if from_tree else source
    arguments = (parsed, "<source>", "exec", flags, dont_inherit)
    expected = _compile_from(caller_features, _compat._ORIGINAL_COMPILE, arguments)
    assert _comparable(_compile_from(caller_features, _compat.guarded_compile, arguments)) == _comparable(expected)


def test_the_guarded_compile_refuses_what_the_builtin_refuses() -> None:
    with pytest.raises(TypeError) as builtin:
        _compat._ORIGINAL_COMPILE("x = 1", "<s>", "exec", "not flags")  # type: ignore[call-overload]
    with pytest.raises(TypeError) as guarded:
        _compat.guarded_compile("x = 1", "<s>", "exec", "not flags")  # type: ignore[arg-type]
    assert str(guarded.value) == str(builtin.value)
    with pytest.raises(SyntaxError):
        _compat.guarded_compile("x = (", "<s>", "exec", ast.PyCF_ONLY_AST)
