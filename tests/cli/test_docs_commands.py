"""Every `pcaps-contract` command the README and `docs/` show runs as printed and ends with the exit code its line
gives (`# exit N`), so the pages cannot drift from the code; a line that cannot run here says why on the line
(`# not run in tests: ...`), and those lines are listed here exactly.

The commands run in a scratch git repository holding the spec on `main`, `feature`, `origin/main` and the tag
`v1.2.0`, with copies `old.yaml` and `new.yaml` (what `diff`'s examples name); `export` lines of a page set the
environment of its later commands; `127.0.0.1:8787` is the mock the pages' own `pcaps-contract mock` line serves
(on a free port).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from pcaps_contract.openapi.spec import default_spec_path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAM = str(Path(sys.executable).parent / "pcaps-contract")
SHELL_FENCES = ("", "sh", "shell", "bash", "console")
NOT_RUN = "not run in tests:"
DOCUMENTED_MOCK = "127.0.0.1:8787"
BOUND = 300  # seconds: the longest command shown (check in-process, profile ci) takes well under a minute
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Docs",
    "GIT_AUTHOR_EMAIL": "docs@example.com",
    "GIT_COMMITTER_NAME": "Docs",
    "GIT_COMMITTER_EMAIL": "docs@example.com",
}

# Each line shown that does not run here, by page and the command's first words: the page says why on the line.
NOT_RUN_HERE = {
    ("docs/check.md", "pcaps-contract check --base-url https://staging.example.com/client/v4"),
    ("docs/check.md", "pcaps-contract check --app myservice.main:app"),
    ("docs/ci.md", 'pcaps-contract check --profile ci --base-url "$STAGING_URL"'),
    ("docs/fuzz.md", "pcaps-contract fuzz --base-url https://staging.example.com/client/v4 --account-id ID --duration"),
    ("docs/fuzz.md", "pcaps-contract fuzz --base-url $URL"),
    ("docs/fuzz.md", "pcaps-contract fuzz --merge"),
    ("docs/proxy-verify.md", "pcaps-contract proxy --upstream https://staging.example.com/client/v4"),
    ("docs/proxy-verify.md", "pcaps-contract verify proxy-report/exchanges.ndjson"),
    ("docs/proxy-verify.md", "pcaps-contract verify recorded.har"),
}


@dataclass(frozen=True)
class Shown:
    """One `pcaps-contract` command line of a page (continuation lines joined), with what the page says of it."""

    page: str
    command: str  # without the comment, `.venv/bin/` dropped
    comment: str
    environment: dict[str, str] = field(default_factory=dict)  # the page's `export`s before it

    @property
    def serves(self) -> bool:
        return shlex.split(self.command)[:2] == ["pcaps-contract", "mock"]

    @property
    def exit_code(self) -> int | None:
        found = re.match(r"exit (\d+)\b", self.comment)
        return int(found.group(1)) if found else None

    def __str__(self) -> str:
        return f"{self.page}: {self.command}"


def split_comment(line: str) -> tuple[str, str]:
    """The command and its comment (after ` # `; no command shown holds one in a value)."""
    command, _, comment = line.partition(" # ")
    return command.strip().removesuffix("&").strip(), comment.strip()


def shown_commands() -> list[Shown]:
    """Every `pcaps-contract` line of the shell blocks of the README and `docs/`, in page order."""
    found: list[Shown] = []
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        environment: dict[str, str] = {}
        text = page.read_text(encoding="utf-8")
        for fence, block in re.findall(r"^```([a-z]*)\n(.*?)^```", text, re.S | re.M):
            if fence not in SHELL_FENCES:
                continue
            for line in re.sub(r"\\\n\s*", "", block).splitlines():
                command, comment = split_comment(line)
                if command.startswith("export "):
                    variable, _, value = command.removeprefix("export ").partition("=")
                    environment[variable] = value
                elif command.removeprefix(".venv/bin/").startswith("pcaps-contract "):
                    shown = command.removeprefix(".venv/bin/")
                    found.append(Shown(name, shown, comment, dict(environment)))
    return found


SHOWN = shown_commands()
RUNNABLE = [shown for shown in SHOWN if shown.exit_code is not None]


def clean_environment(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without a user's Cloudflare settings, plus what the page exported."""
    kept = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDFLARE_")}
    return {**kept, **extra}


def git(repository: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", *arguments], cwd=repository, check=True, capture_output=True, env={**os.environ, **GIT_IDENTITY}
    )


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """The scratch repository the pages' commands run in (see the module's docstring)."""
    repository = tmp_path / "project"
    (repository / "spec").mkdir(parents=True)
    shutil.copy(default_spec_path(), repository / "spec" / default_spec_path().name)
    git(repository, "init", "--quiet", "--initial-branch=main")
    git(repository, "add", "spec")
    git(repository, "commit", "--quiet", "-m", "spec")
    git(repository, "branch", "feature")
    git(repository, "tag", "v1.2.0")
    git(repository, "update-ref", "refs/remotes/origin/main", "HEAD")
    for copy in ("old.yaml", "new.yaml"):
        shutil.copy(default_spec_path(), repository / copy)
    return repository


SERVED = sorted({shown.command for shown in SHOWN if shown.serves})


@contextmanager
def serving(mock: str, log: Path) -> Iterator[str]:
    """A `pcaps-contract mock` line shown, served on a free port; yields `127.0.0.1:PORT`. It must stop on Ctrl-C
    with exit 0, as the pages say."""
    with log.open("w") as errors:
        process = subprocess.Popen(
            [PROGRAM, *shlex.split(mock)[1:], "--port", "0"],
            env=clean_environment({}),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 60
        found = None
        while found is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
            found = re.search(r"at http://(127\.0\.0\.1:\d+)/client/v4 ", log.read_text(encoding="utf-8"))
        assert found, log.read_text(encoding="utf-8")[-2000:]
        yield found.group(1)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0, log.read_text(encoding="utf-8")[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def documented_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The quickstart's `pcaps-contract mock` line, served on a free port; yields `127.0.0.1:PORT`."""
    (mock,) = [shown.command for shown in SHOWN if shown.serves and shown.page == "README.md"]
    with serving(mock, tmp_path_factory.mktemp("mock") / "stderr.txt") as address:
        yield address


@pytest.mark.parametrize("mock", SERVED)
def test_every_mock_line_shown_serves_and_stops_on_ctrl_c(mock: str, tmp_path: Path) -> None:
    with serving(mock, tmp_path / "stderr.txt") as address:
        answer = httpx.get(f"http://{address}/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/pcaps/ownership")
        assert answer.status_code == 401
        time.sleep(0.5)  # the request log writes a line within 50 ms of the answer
    logged = re.search(r" GET /client/v4/\S+ 401 ", (tmp_path / "stderr.txt").read_text(encoding="utf-8"))
    assert (logged is None) == ("--quiet" in shlex.split(mock)), "--quiet alone turns off the line per request"


def test_every_command_shown_says_its_exit_code_or_why_it_is_not_run() -> None:
    unsaid = [
        str(shown)
        for shown in SHOWN
        if not shown.serves and shown.exit_code is None and not shown.comment.startswith(NOT_RUN)
    ]
    assert unsaid == [], "end each line with `# exit N` or `# not run in tests: why`"


def test_the_commands_not_run_are_exactly_these() -> None:
    skipped = [shown for shown in SHOWN if shown.comment.startswith(NOT_RUN)]
    assert all(shown.comment.removeprefix(NOT_RUN).strip() for shown in skipped), "say why it is not run"
    listed = sorted(
        (page, start)
        for page, start in NOT_RUN_HERE
        for shown in skipped
        if shown.page == page and shown.command.startswith(start)
    )
    assert listed == sorted(NOT_RUN_HERE), "each entry of NOT_RUN_HERE names one line shown"
    assert len(skipped) == len(NOT_RUN_HERE), [str(shown) for shown in skipped]


def test_the_pages_show_the_quickstart_and_every_command() -> None:
    quickstart = [shown for shown in SHOWN if shown.page == "README.md"]
    assert [shlex.split(shown.command)[1] for shown in quickstart] == ["mock", "check"]
    shown_programs = {shlex.split(shown.command)[1] for shown in SHOWN}
    assert {"check", "mock", "fuzz", "proxy", "verify", "diff", "generate", "lint"} <= shown_programs


@pytest.mark.parametrize("shown", RUNNABLE, ids=str)
def test_the_command_runs_as_shown_and_ends_with_the_exit_code_the_page_gives(
    shown: Shown, scratch: Path, documented_mock: str
) -> None:
    words = shlex.split(shown.command.replace(DOCUMENTED_MOCK, documented_mock))
    done = subprocess.run(
        [PROGRAM, *words[1:]],
        cwd=scratch,
        env=clean_environment(shown.environment),
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert done.returncode == shown.exit_code, f"{shown}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr


def test_the_documented_mock_answers_with_the_token_the_quickstart_exports(documented_mock: str) -> None:
    (check,) = [shown for shown in SHOWN if shown.page == "README.md" and " check " in f" {shown.command} "]
    token = check.environment["CLOUDFLARE_API_TOKEN"]
    answer = httpx.get(
        f"http://{documented_mock}/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/pcaps/ownership",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200
