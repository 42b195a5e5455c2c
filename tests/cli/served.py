"""Traffic for the passive judges' tests: the mock and gallery variants of it served on 127.0.0.1, and a HAR by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.cli.helpers import Outcome, Run
from tests.gallery import broken
from tests.gallery.broken import OWNER

# The caller's token in `har_of_a_broken_list`: no report may show it.
HAR_SECRET = "a-secret-token-of-a-user-1234"


@contextmanager
def served_mock() -> Iterator[str]:
    """The correct mock (any account, the development credentials); yields its base URL ending in /client/v4."""
    with serve_in_thread(create_app(MockConfig())) as url:
        yield url + "/client/v4"


@contextmanager
def served_variant(name: str) -> Iterator[str]:
    """A gallery variant in front of a mock that accepts any account, so that a plain `schemathesis run` (which
    cannot pin the account) reaches the success paths; yields its base URL ending in /client/v4."""
    original = getattr(broken, name)
    variant = broken.Broken(original.respond, original.request)
    variant._app = create_app(MockConfig())
    with serve_in_thread(variant) as url:
        yield url + "/client/v4"


def har_of_a_broken_list(path: Path) -> Path:
    """One exchange: a list answered 200 with `success: false` and the caller's token echoed in the body."""
    entry = {
        "startedDateTime": "2026-05-01T10:00:00.000Z",
        "time": 5,
        "request": {
            "method": "GET",
            "url": f"https://api.example.com/client/v4/accounts/{OWNER}/pcaps/ownership",
            "headers": [{"name": "Authorization", "value": f"Bearer {HAR_SECRET}"}],
        },
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"text": json.dumps({"success": False, "errors": [], "messages": [], "result": [HAR_SECRET]})},
        },
    }
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}), encoding="utf-8")
    return path


def verify_text(run_cli: Run, folder: Path, text: str) -> Outcome:
    """`verify` of a file holding `text`, which it must refuse: exit 2, one line, no traceback."""
    path = folder / "traffic.har"
    path.write_text(text, encoding="utf-8")
    outcome = run_cli("verify", str(path))
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    assert outcome.stderr.count("\n") == 1 and "Traceback" not in outcome.stderr, outcome.stderr
    return outcome
