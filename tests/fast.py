"""Which tests are fast, held: the kinds of test that are not (marks given by folder, by fixture or by hand), `--fast`
that leaves them out, and a guard that fails any other test that serves on a socket or starts a process."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SOCKETS = "sockets"
SUBPROCESS = "subprocess"
SLOW = "slow"
# pyproject.toml registers each with its sentence (`pytest --markers` lists them).
NOT_FAST = (SOCKETS, SUBPROCESS, SLOW)
# Folders whose tests serve on 127.0.0.1 (the commands end to end, the served mock, the hostile server), and the
# golden record's, which run the generator and mypy.
FOLDER_MARKS = {"cli": (SOCKETS,), "mock": (SOCKETS,), "hostile": (SOCKETS,), "golden": (SUBPROCESS,)}
# Fixtures that start a process or a server for the test: git repositories (git is a process), pytester's suites.
FIXTURE_MARKS = {"repo": (SUBPROCESS,), "repository": (SUBPROCESS,)}


def add_option(parser: pytest.Parser) -> None:
    parser.addoption("--fast", action="store_true", help=f"run only the fast tests: none marked {', '.join(NOT_FAST)}")


def mark_and_select(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its folder and fixtures; with `--fast`, leave out every test marked a kind that is not."""
    for item in items:
        for kind in FOLDER_MARKS.get(_folder(config.rootpath, item.path), ()):
            item.add_marker(kind)
        for name in set(getattr(item, "fixturenames", ())) & set(FIXTURE_MARKS):
            for kind in FIXTURE_MARKS[name]:
                item.add_marker(kind)
    if not config.getoption("fast"):
        return
    slow = [item for item in items if not is_fast(item)]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if is_fast(item)]


def _folder(root: Path, path: Path) -> str:
    """The folder of tests/ a test file is in ("" for a file elsewhere)."""
    parts = path.relative_to(root).parts if path.is_relative_to(root) else ()
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else ""


def is_fast(item: pytest.Item) -> bool:
    return not any(item.get_closest_marker(kind) for kind in NOT_FAST)


def _say(kind: str, what: str) -> str:
    return f"{what}, but the test is not marked `{kind}`: mark it (`@pytest.mark.{kind}`), or keep it in-process"


@pytest.fixture(autouse=True)
def fast_tests_stay_in_process(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test without a mark of a kind that is not fast may neither serve on a socket nor start a process: either
    is refused (an OSError, as a busy port or a missing program would be) and fails the test, so `--fast` stays
    fast and the marks stay true."""
    if not isinstance(request.node, pytest.Item) or not is_fast(request.node):
        yield
        return
    refused: list[str] = []

    def listen(self: socket.socket, *args: Any) -> None:
        refused.append(_say(SOCKETS, f"it served on {self.getsockname()!r}"))
        raise OSError(refused[-1])

    def popen(self: subprocess.Popen[Any], args: Any, *more: Any, **options: Any) -> None:
        refused.append(_say(SUBPROCESS, f"it started {args!r}"[:200]))
        raise OSError(refused[-1])

    monkeypatch.setattr(socket.socket, "listen", listen)
    monkeypatch.setattr(subprocess.Popen, "__init__", popen)
    yield
    if refused:
        pytest.fail(refused[0], pytrace=False)
