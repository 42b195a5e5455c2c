"""The examples of the generated client on its page (docs/generate.md) run as printed against the mock."""

from __future__ import annotations

import re
import textwrap
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread

pytestmark = pytest.mark.sockets  # each example runs against the mock served on 127.0.0.1

PAGE = Path(__file__).resolve().parents[2] / "docs" / "generate.md"


def test_the_documented_example_of_the_generated_client_runs_against_the_mock() -> None:
    section = PAGE.read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?)```", section, re.S)
    assert example is not None, "docs/generate.md lost its example of the generated client"
    assert len([line for line in example.group(1).splitlines() if line.strip()]) == 6
    printed = StringIO()
    names: dict[str, Any] = {}

    with serve_in_thread(create_app(MockConfig())) as url, redirect_stdout(printed):
        exec(example.group(1).replace("http://127.0.0.1:8787", url), names)
        names["client"].get_httpx_client().close()

    first, second = printed.getvalue().splitlines()
    assert re.fullmatch(r"[0-9a-f]{32} pending", first)
    assert second == "True"


def test_the_documented_example_of_the_async_client_runs_against_the_mock() -> None:
    section = PAGE.read_text(encoding="utf-8")
    examples = re.findall(r"```python\n(.*?)```", section, re.S)
    asynchronous = [textwrap.dedent(example) for example in examples if "AsyncPcapsClient" in example]
    assert len(asynchronous) == 1, "docs/generate.md lost its example of the async client"
    printed = StringIO()

    with serve_in_thread(create_app(MockConfig())) as url, redirect_stdout(printed):
        exec(asynchronous[0].replace("http://127.0.0.1:8787", url), {"__name__": "readme"})

    assert printed.getvalue() == "0\n"
