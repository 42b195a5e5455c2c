#!/usr/bin/env python3
"""Set up `.venv/` from the locked versions (requirements/dev.lock, with hashes), then run one job of the project in it.

    python3 scripts/dev.py check   # the contract gate against the bundled mock
    python3 scripts/dev.py test    # the project's tests
    python3 scripts/dev.py test --fast   # only the in-process tests that take seconds (tests/fast.py)
    python3 scripts/dev.py lint    # ruff check, ruff format --check and mypy --strict, as CI runs them
    python3 scripts/dev.py setup   # only the set-up (quick when nothing changed)
    python3 scripts/dev.py mutate src/pcaps_contract/_urls.py   # mutation score of one module

Extra arguments go to the job (to each linter for `lint`), e.g. `python3 scripts/dev.py test -k lint` or
`python3 scripts/dev.py lint src/pcaps_contract/gate.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".pcaps-contract-setup"
# The lock of every tool the project develops with (its runtime lock is a subset: requirements/runtime.lock),
# and the project files that decide the editable install.
DEV_LOCK = Path("requirements") / "dev.lock"
INPUTS = (DEV_LOCK.as_posix(), "requirements/runtime.lock", "pyproject.toml", "generated/pyproject.toml")
# Each job is the commands it runs, in order; pyproject.toml configures every tool.
JOBS: dict[str, list[list[str]] | Callable[[list[str]], int]] = {
    "setup": [],
    "check": [[str(BIN / "pcaps-contract"), "check"]],
    # Two workers (pytest-xdist): the suite runs real servers and subprocesses that mostly wait on sockets; an idle
    # worker takes tests queued for the other (worksteal), so the slow tests at the end do not run one at a time.
    "test": [[str(BIN / "python"), "-m", "pytest", "-n", "2", "--dist", "worksteal"]],
    # Every linter runs even after one fails, so that one run shows all there is to fix.
    "lint": [
        [str(BIN / "ruff"), "check"],
        [str(BIN / "ruff"), "format", "--check"],
        [str(BIN / "mypy"), "--strict"],  # the files it checks: `files` in [tool.mypy]
    ],
    # A function, not commands: it stages mutmut's config for one module (see `mutate`).
    "mutate": lambda args: mutate(args),
}


def fingerprint() -> str:
    """A hash of everything that decides what the set-up installs."""
    digest = hashlib.sha256(sys.version.encode())
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def setup() -> None:
    """Create `.venv/` and install the locked versions, unless it is already up to date.

    Every file is checked against the lock's hashes (`--require-hashes`); the project itself goes in last,
    editable and without dependencies, since the lock holds them all.
    """
    wanted = fingerprint()
    if STAMP.is_file() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV.relative_to(ROOT)}/", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    print("installing pinned dependencies (first run only; about a minute)", file=sys.stderr)
    _quiet([*pip, "--require-hashes", "-r", str(ROOT / DEV_LOCK)])
    _quiet([*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)])
    STAMP.write_text(wanted)


def _quiet(command: list[str]) -> None:
    """Run a set-up step, showing its output only when it fails."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write("\n".join((done.stdout + done.stderr).splitlines()[-30:]) + "\n")
        raise subprocess.CalledProcessError(done.returncode, command)


_DECORATED = re.compile(r"^@(\w+(?:\([^\n]*\))?)\ndef (\w+)\(", re.MULTILINE)  # `@check` or `@check(judges=...)`
_NEXT_TOP_LEVEL = re.compile(r"\n\n\n(?=\S)")


def undecorated(source: str) -> str:
    """The module with each top-level decorator (a name, or a call on one line) applied as a call after its function
    (what `@` means).

    mutmut 3.8.1 never mutates a decorated function: written this way, every body is mutated (e.g. each
    `@response_check` of `_checks.py`).
    """
    while (match := _DECORATED.search(source)) is not None:
        decorator, function = match.group(1), match.group(2)
        end = _NEXT_TOP_LEVEL.search(source, match.end())
        stop = end.start() if end is not None else len(source.rstrip("\n"))
        body = source[match.start() + len(decorator) + 2 : stop]
        source = f"{source[: match.start()]}{body}\n\n\n{function} = {decorator}({function}){source[stop:]}"
    return source


def unit_tests_of(module: str) -> str:
    """The unit test file of a module: tests/unit mirrors the packages, each name without its leading `_`, and the
    modules at the root of the package are the ground floor (`_urls.py` -> tests/unit/ground/test_urls.py)."""
    *folders, name = (part.lstrip("_") for part in Path(module).relative_to("src/pcaps_contract").with_suffix("").parts)
    return (Path("tests/unit", *(folders or ["ground"])) / f"test_{name}.py").as_posix()


def mutate(args: list[str]) -> int:
    """Mutation-test one module against its own unit tests; print the score and every surviving mutant.

    `mutate src/pcaps_contract/fuzz/safety.py` runs tests/unit/fuzz/test_safety.py (`unit_tests_of`); test files
    named after the module replace that guess. mutmut reads its config
    from `./pyproject.toml`, so each module gets a workspace, `mutants/<module>/`, with the project's
    pyproject plus a `[tool.mutmut]` table and links to src/, tests/ and spec/; it is rebuilt on every run,
    so the score is never an old run's, and kept afterwards for `mutmut show` and `mutmut browse` in it.
    """
    if not args or not (ROOT / args[0]).is_file() or not args[0].startswith("src/") or not args[0].endswith(".py"):
        print("usage: python3 scripts/dev.py mutate src/pcaps_contract/MODULE.py [TEST_FILE...]", file=sys.stderr)
        return 2
    module = Path(args[0]).as_posix()
    parts = Path(module).relative_to("src/pcaps_contract").with_suffix("").parts
    tests = args[1:] or [unit_tests_of(module)]
    missing = [test for test in tests if not (ROOT / test).is_file()]
    if missing:
        print(f"error: no {missing[0]}; name the module's unit test files after the module.", file=sys.stderr)
        return 2
    work = ROOT / "mutants" / ".".join(("pcaps_contract", *parts))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("tests", "spec"):
        (work / name).symlink_to(ROOT / name, target_is_directory=True)
    shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
    copy = work / module
    copy.write_text(undecorated(copy.read_text(encoding="utf-8")), encoding="utf-8")
    settings = {
        "source_paths": ["src"],
        "only_mutate": [module],
        "pytest_add_cli_args_test_selection": tests,
        # Each mutant runs in a forked worker already; xdist's own workers would only slow it down.
        "pytest_add_cli_args": ["-p", "no:xdist", "-p", "no:cacheprovider"],
        "also_copy": ["spec"],
        "use_git_change_detection": False,
    }
    table = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(f"{pyproject}\n[tool.mutmut]\n{table}\n", encoding="utf-8")
    mutmut = str(BIN / "mutmut")
    if subprocess.run([mutmut, "run", "--max-children", str(os.cpu_count() or 2)], cwd=work).returncode != 0:
        return 1
    listed = subprocess.run([mutmut, "results", "--all", "true"], cwd=work, capture_output=True, text=True, check=True)
    status = dict(line.strip().rsplit(": ", 1) for line in listed.stdout.splitlines() if ": " in line)
    # A timeout is a kill: the mutant changed what the tests saw (it looped, or waited forever).
    killed = [name for name, state in status.items() if state in ("killed", "timeout")]
    survivors = sorted(set(status) - set(killed))
    for name in survivors:
        subprocess.run([mutmut, "show", name], cwd=work)
    print(f"\n{module}: {len(killed)}/{len(status)} mutants killed ({100 * len(killed) / max(len(status), 1):.0f} %)")
    print(f"tests: {' '.join(tests)}; survivors: {len(survivors)}; workspace: {work.relative_to(ROOT)}/")
    return 0


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs on the system python3, not the venv
        print(
            f"error: Python 3.11 or newer is needed (this is {sys.version.split()[0]}); run it with python3.11.",
            file=sys.stderr,
        )
        return 2
    if not argv or argv[0] not in JOBS:
        print(f"usage: python3 scripts/dev.py {{{','.join(JOBS)}}} [ARGS...]", file=sys.stderr)
        return 2
    try:
        setup()
    except subprocess.CalledProcessError as exc:
        print(
            f"error: the set-up failed (pip install {exc.cmd[-1]} exited {exc.returncode}, output above); "
            "check the network to PyPI and run it again.",
            file=sys.stderr,
        )
        return 2
    os.chdir(ROOT)
    job = JOBS[argv[0]]
    if callable(job):
        return job(argv[1:])
    failed: list[tuple[str, int]] = []
    for command in job:
        code = subprocess.run([*command, *argv[1:]]).returncode
        if code != 0:
            failed.append((" ".join([Path(command[0]).name, *command[1:]]), code))
    if failed and len(job) > 1:
        print(f"error: {argv[0]} failed: {', '.join(name for name, _ in failed)} (output above)", file=sys.stderr)
    return failed[0][1] if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
