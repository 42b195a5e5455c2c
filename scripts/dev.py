#!/usr/bin/env python3
"""Set up `.venv/` from the pinned versions, then run one job of the project in it.

    python3 scripts/dev.py check   # the contract gate against the bundled mock
    python3 scripts/dev.py test    # the project's tests
    python3 scripts/dev.py lint    # ruff check, ruff format --check and mypy --strict, as CI runs them
    python3 scripts/dev.py setup   # only the set-up (quick when nothing changed)

Extra arguments go to the job (to each linter for `lint`), e.g. `python3 scripts/dev.py test -k lint` or
`python3 scripts/dev.py lint src/pcaps_contract/gate.py`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".pcaps-contract-setup"
INPUTS = ("requirements.lock", "pyproject.toml")
# Each job is the commands it runs, in order; pyproject.toml configures every tool.
JOBS: dict[str, list[list[str]]] = {
    "setup": [],
    "check": [[str(BIN / "pcaps-contract"), "check"]],
    # Two workers (pytest-xdist): the suite runs real servers and subprocesses that mostly wait on sockets.
    "test": [[str(BIN / "python"), "-m", "pytest", "-n", "2"]],
    # Every linter runs even after one fails, so that one run shows all there is to fix.
    "lint": [
        [str(BIN / "ruff"), "check"],
        [str(BIN / "ruff"), "format", "--check"],
        [str(BIN / "mypy"), "--strict"],  # the files it checks: `files` in [tool.mypy]
    ],
}


def fingerprint() -> str:
    """A hash of everything that decides what the set-up installs."""
    digest = hashlib.sha256(sys.version.encode())
    for name in INPUTS:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def setup() -> None:
    """Create `.venv/` and install the pinned versions, unless it is already up to date."""
    wanted = fingerprint()
    if STAMP.is_file() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV.relative_to(ROOT)}/", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    print("installing pinned dependencies (first run only; about a minute)", file=sys.stderr)
    _quiet([*pip, "-r", str(ROOT / "requirements.lock")])
    _quiet([*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)])
    STAMP.write_text(wanted)


def _quiet(command: list[str]) -> None:
    """Run a set-up step, showing its output only when it fails."""
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write("\n".join((done.stdout + done.stderr).splitlines()[-30:]) + "\n")
        raise subprocess.CalledProcessError(done.returncode, command)


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
    failed: list[tuple[str, int]] = []
    for command in JOBS[argv[0]]:
        code = subprocess.run([*command, *argv[1:]]).returncode
        if code != 0:
            failed.append((" ".join([Path(command[0]).name, *command[1:]]), code))
    if failed and len(JOBS[argv[0]]) > 1:
        print(f"error: {argv[0]} failed: {', '.join(name for name, _ in failed)} (output above)", file=sys.stderr)
    return failed[0][1] if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
