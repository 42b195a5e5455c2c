"""`ready_for_threads`: on interpreters with gh-106905, threads parse one at a time during a concurrent run."""

from __future__ import annotations

import ast
import threading

import pytest

from pcaps_contract import _compat

affected = pytest.mark.skipif(not _compat.AST_PARSE_IS_SHARED, reason="this interpreter has the gh-106905 fix")


@affected
def test_parsing_is_serialised_inside_and_restored_after_the_last_user() -> None:
    original = ast.parse
    with _compat.ready_for_threads():
        assert ast.parse is not original
        with _compat.ready_for_threads():
            pass
        assert ast.parse is not original  # an inner run ending leaves the outer one protected
        assert isinstance(ast.parse("x = 1"), ast.Module)
    assert ast.parse is original


@affected
def test_a_parse_waits_while_another_thread_holds_the_parser() -> None:
    parsed = threading.Event()

    def parse() -> None:
        ast.parse("y = 2")
        parsed.set()

    with _compat.ready_for_threads():
        with _compat._PARSING:
            worker = threading.Thread(target=parse)
            worker.start()
            assert not parsed.wait(0.2)  # blocked: one parse at a time
        worker.join(10)
    assert parsed.is_set()


def test_a_sequential_run_leaves_the_parser_alone() -> None:
    original = ast.parse
    with _compat.ready_for_threads(enabled=False):
        assert ast.parse is original
    assert ast.parse is original
