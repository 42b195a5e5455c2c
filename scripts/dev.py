#!/usr/bin/env python3
"""Set up `.venv/` from the pinned versions, then run one job of the project in it.

    python3 scripts/dev.py check   # the contract gate against the bundled mock
    python3 scripts/dev.py test    # the project's tests
    python3 scripts/dev.py setup   # only the set-up (quick when nothing changed)

Extra arguments go to the job, e.g. `python3 scripts/dev.py test -k lint`.
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
JOBS = {
    "setup": [],
    "check": [str(BIN / "pcaps-contract"), "check"],
    # Two workers (pytest-xdist): the suite runs real servers and subprocesses that mostly wait on sockets.
    "test": [str(BIN / "python"), "-m", "pytest", "-n", "2"],
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
    command = JOBS[argv[0]]
    if not command:
        return 0
    os.chdir(ROOT)
    return subprocess.run([*command, *argv[1:]]).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
