"""`--fast` and the marks it reads (tests/fast.py): a test that serves or starts a process without its mark fails,
each folder and module gets its mark, and `--fast` leaves out exactly the marked tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import settings

from tests.fast import NOT_FAST

ROOT = Path(__file__).resolve().parents[2]
CONFTEST = "from tests.fast import add_option, fast_tests_stay_in_process, mark_and_select\n" + (
    "def pytest_addoption(parser):\n    add_option(parser)\n"
    "def pytest_collection_modifyitems(config, items):\n    mark_and_select(config, items)\n"
)
SERVES = "import socket\n\ndef test_serves():\n    socket.create_server(('127.0.0.1', 0)).close()\n"
# A fixture of the name that makes a git repository: its tests are marked `subprocess`.
REPO = "import pytest\n\n@pytest.fixture\ndef repo():\n    return None\n\n"
STARTS = "import os\n\ndef test_starts():\n    os.popen('true').close()\n"  # os.popen is subprocess.Popen inside


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A scratch checkout with the project's marks and `--fast`, its tests in tests/."""
    marks = "\n".join(f"    {kind}: {kind}" for kind in NOT_FAST)
    pytester.makeini(f"[pytest]\nmarkers =\n{marks}\naddopts = -p no:xdist -p no:cacheprovider\n")
    pytester.makeconftest(CONFTEST)
    for folder in ("tests/unit", "tests/cli"):  # not packages: `tests` is this project's, imported already
        (pytester.path / folder).mkdir(parents=True)
    return pytester


def write(suite: pytest.Pytester, name: str, source: str) -> None:
    (suite.path / name).write_text(source, encoding="utf-8")


def test_a_test_without_the_mark_may_neither_serve_nor_start_a_process(suite: pytest.Pytester) -> None:
    write(suite, "tests/unit/test_serves.py", SERVES)
    write(suite, "tests/unit/test_starts.py", STARTS)
    result = suite.runpytest_inprocess("tests")
    result.assert_outcomes(failed=2, errors=2)  # each is refused, and fails again at its end if it went on
    result.stdout.fnmatch_lines(["*served on*not marked `sockets`*", "*started*not marked `subprocess`*"])


@pytest.mark.sockets
@pytest.mark.subprocess
def test_a_test_with_its_mark_serves_and_starts_a_process(suite: pytest.Pytester) -> None:
    write(suite, "tests/unit/test_serves.py", "import pytest\n\npytestmark = pytest.mark.sockets\n" + SERVES)
    write(suite, "tests/unit/test_starts.py", REPO + STARTS.replace("test_starts()", "test_starts(repo)"))
    write(suite, "tests/cli/test_served.py", SERVES)  # the folder marks it
    suite.runpytest_inprocess("tests").assert_outcomes(passed=3)


@pytest.mark.sockets  # the run without --fast serves
@pytest.mark.subprocess
def test_fast_leaves_out_exactly_the_marked_tests(suite: pytest.Pytester) -> None:
    write(suite, "tests/unit/test_pure.py", "def test_pure():\n    assert True\n")
    write(suite, "tests/unit/test_slow.py", "import pytest\n\n@pytest.mark.slow\ndef test_slow():\n    pass\n")
    write(suite, "tests/unit/test_starts.py", REPO + STARTS.replace("test_starts()", "test_starts(repo)"))
    write(suite, "tests/cli/test_served.py", SERVES)
    result = suite.runpytest_inprocess("tests", "--fast", "-v")
    result.assert_outcomes(passed=1, deselected=3)
    result.stdout.fnmatch_lines(["*test_pure.py::test_pure PASSED*"])
    suite.runpytest_inprocess("tests").assert_outcomes(passed=4)


def test_the_project_registers_each_mark_that_fast_leaves_out() -> None:
    options = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert sorted(line.split(":")[0] for line in options["markers"]) == sorted(NOT_FAST)


def test_no_example_fails_for_the_time_a_loaded_machine_takes() -> None:
    default = settings.default
    assert default is not None and default.deadline is None
