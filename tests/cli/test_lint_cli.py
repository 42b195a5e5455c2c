"""`pcaps-contract lint` end to end: exit codes and what a person reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pcaps_contract.openapi.spec import default_spec_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pcaps_contract", *args], capture_output=True, text=True, timeout=60)


def test_bundled_spec_is_clean() -> None:
    done = run("lint")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{default_spec_path()}: clean (4 operations)\n"


def test_spec_with_findings_exits_1_with_one_line_each(tmp_path: Path) -> None:
    broken = tmp_path / "spec.yaml"
    broken.write_text(default_spec_path().read_text().replace("status: pending", "status: queued", 1))
    done = run("lint", str(broken))
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{broken}#/paths/~1accounts~1{{account_id}}~1pcaps~1ownership/post/responses/200/content/application~1json"
        "/examples/gcp_pending: example `gcp_pending` breaks its schema at /result/status: 'queued' is not one of "
        "['pending', 'success', 'failed']; fix the example, or the schema if the example shows real behaviour"
    ]
    assert done.stderr == f"1 finding(s) in {broken}\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file; pass the path of an OpenAPI spec (YAML or JSON)."),
        ("openapi: [unclosed", "is not valid YAML or JSON at line 2, column 1; fix the syntax there."),
        ("- a\n- b\n", "does not hold a mapping at the top level; an OpenAPI spec starts with `openapi:`."),
        ("swagger: '2.0'\n", "is not an OpenAPI 3 document (no `openapi: 3.x` key); pass an OpenAPI 3 spec."),
        (b"\xff\xfe\x00", "is not UTF-8 text; save the spec as UTF-8 YAML or JSON."),
    ],
    ids=["missing", "bad-yaml", "not-a-mapping", "swagger-2", "not-utf8"],
)
def test_unreadable_spec_exits_2_with_one_sentence(tmp_path: Path, content: str | bytes | None, message: str) -> None:
    path = tmp_path / "spec.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    done = run("lint", str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"error: {path}{' ' if content is not None else ': '}{message}\n"


def test_directory_instead_of_a_spec_exits_2(tmp_path: Path) -> None:
    done = run("lint", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr == f"error: {tmp_path} is a directory; pass the path of an OpenAPI spec (YAML or JSON).\n"


def test_no_command_prints_help_and_exits_2() -> None:
    done = run()
    assert done.returncode == 2
    assert "commands:" in done.stderr and "Traceback" not in done.stderr


def test_unknown_option_exits_2_with_one_sentence() -> None:
    done = run("lint", "--frobnicate")
    assert (done.returncode, done.stdout) == (2, "")
    # named by the command that did not recognise it, whose help lists its options
    assert done.stderr == (
        "error: pcaps-contract lint: unrecognized arguments: --frobnicate; see `pcaps-contract lint --help`.\n"
    )


def test_malformed_option_value_names_the_command_in_one_sentence() -> None:
    done = run("mock", "--port", "eighty")
    assert done.returncode == 2
    assert done.stderr == (
        "error: pcaps-contract mock: argument --port: invalid int value: 'eighty'; see `pcaps-contract mock --help`.\n"
    )
