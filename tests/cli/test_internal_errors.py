"""An internal error (a bug of ours or of a library, never the target's fault) ends `check` with exit 2 and one
sentence that asks for a report and names the seed, over real sockets: the cleanup still runs, what it cannot
delete is still listed (exit 3), no traceback is printed and no secret is shown (`fuzz`'s: test_fuzz_cli.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import Outcome, Run
from tests.cli.test_served_soak import TOKEN, Served, command, served_mock

SENTENCE = re.compile(r"internal error: please report it with this command line and --seed (\d+) \((.+?)\)$", re.M)
# What gh-106905 said on this interpreter: the error the guard must turn into a report, never a flake.
AST_ERROR = "AST constructor recursion depth mismatch (before=45, after=233)"


def assert_internal_error(outcome: Outcome, code: int, seed: int, cause: str) -> None:
    output = outcome.stdout + outcome.stderr
    found = SENTENCE.search(output)
    assert outcome.code == code and found, f"exit {outcome.code}\n{output[-3000:]}"
    assert (int(found[1]), cause in found[2]) == (seed, True), found[0]
    assert "Traceback" not in output and TOKEN not in output, output[-3000:]


def broken_lane(*args: Any, **kwargs: Any) -> Any:
    raise SystemError(AST_ERROR)


def check_the_mock(run_cli: Run, seed: int) -> tuple[Outcome, Served]:
    """`check` at `seed` against the served mock; the cleanup must have left nothing, whatever broke."""
    with served_mock() as served:
        outcome = run_cli(*command("check", served, "--max-examples", "3", "--seed", str(seed)))
        assert served.holdings() == {}, served.holdings()
    return outcome, served


def test_an_internal_error_in_the_lifecycle_is_reported_with_the_seed_after_the_cleanup(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcaps_contract.gate import lifecycle as _lifecycle

    monkeypatch.setattr(_lifecycle, "run_lane", broken_lane)
    outcome, served = check_the_mock(run_cli, 7)
    assert served.log.accounts, "the phases created nothing: the cleanup was not put to the test"
    assert_internal_error(outcome, 2, 7, f"SystemError: {AST_ERROR}")
    assert "could not judge: internal error" in outcome.stdout


def test_a_check_that_breaks_down_is_an_internal_error_not_a_violation(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcaps_contract.engine import schema as _schemathesis

    def crash(response: Any, case: Any) -> Any:
        raise RuntimeError(f"a bug in a check, holding {TOKEN}")

    monkeypatch.setattr(_schemathesis, "exchange_from", crash)
    outcome, _ = check_the_mock(run_cli, 4)
    assert_internal_error(outcome, 2, 4, "RuntimeError: a bug in a check")


class RefusingDeletes:
    """ASGI middleware: every DELETE is refused (403) and deletes nothing, so the cleanup leaves records behind."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "DELETE":
            body = b'{"success":false,"errors":[{"code":10000,"message":"no"}],"messages":[],"result":null}'
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


@contextmanager
def served_without_deletes() -> Iterator[tuple[Served, Any]]:
    app = create_app(MockConfig(token=TOKEN))
    with serve_in_thread(RefusingDeletes(app)) as url:
        yield Served(url + "/client/v4", app, None), app  # type: ignore[arg-type]


def test_an_internal_error_keeps_exit_3_when_the_cleanup_leaves_records_behind(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcaps_contract.gate import lifecycle as _lifecycle

    monkeypatch.setattr(_lifecycle, "run_lane", broken_lane)
    with served_without_deletes() as (served, app):
        outcome = run_cli(*command("check", served, "--max-examples", "3", "--seed", "2"))
        held = [ownership_id for records in app.state.api.store._accounts.values() for ownership_id in records]
    assert held, "nothing was left: the test proved nothing"
    assert_internal_error(outcome, 3, 2, f"SystemError: {AST_ERROR}")
    assert all(f"LEFT BEHIND: ownership {ownership_id}" in outcome.stdout for ownership_id in held)


def test_an_internal_error_outside_any_run_is_one_sentence_and_exit_2(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pcaps_contract.report.run_report import RunReport

    def broken_render(self: Any, verbose: bool = False) -> str:
        raise KeyError(f"a bug while printing, near {TOKEN}")

    monkeypatch.setattr(RunReport, "render", broken_render)
    outcome, _ = check_the_mock(run_cli, 9)
    assert_internal_error(outcome, 2, 9, "KeyError")
    assert outcome.stderr.count("\n") == 1  # one sentence
