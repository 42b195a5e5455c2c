"""Helpers of the packaging tests: the two wheels, built from the checkout, and installs of them outside it.

Offline: the wheels are built without isolation (hatchling is in the dev lock), and a fresh venv gets its
dependencies from wheels repacked from this venv's installed distributions (`repack`), with `--no-index`.
Each build takes about 3 s; `built` keeps one per test process.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import venv
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = {"pcaps-contract": ROOT, "pcaps-client": ROOT / "generated"}
BOUND = 300  # seconds: a build or an install from local wheels takes a few


@functools.cache
def built(distribution: str) -> Path:
    """The wheel of `distribution` (pcaps-contract or pcaps-client), built once per process from the checkout."""
    folder = Path(tempfile.mkdtemp(prefix=f"pcaps-wheel-{distribution}-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
    done = subprocess.run(
        [*command, "--wheel-dir", str(folder), str(PROJECTS[distribution])],
        capture_output=True,
        text=True,
        timeout=BOUND,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = folder.glob("*.whl")
    return wheel


def unpacked(wheel: Path, site: Path) -> Path:
    """The wheel's files laid out in `site` as an installer would (a folder to put first on PYTHONPATH)."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def requirements_closure(name: str) -> set[str]:
    """`name` and every distribution it needs on this interpreter, by normalized name, read from installed metadata."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = normalized(todo.pop())
        if current in seen:
            continue
        seen.add(current)
        for requirement in metadata.requires(current) or []:
            spec, _, marker = requirement.partition(";")
            if "extra ==" in marker or not _applies(marker):
                continue
            todo.append(requirement_name(spec))
    return seen


def repack(names: set[str], folder: Path) -> Path:
    """A wheel of each installed distribution named, from its installed files (pure-Python ones only)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        dist = metadata.distribution(name)
        wheel_text = dist.read_text("WHEEL") or ""
        tags = [line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")]
        assert tags and all(tag.endswith("-none-any") for tag in tags), f"{name} is not a pure-Python wheel"
        stem = f"{dist.metadata['Name'].replace('-', '_')}-{dist.version}"
        with zipfile.ZipFile(folder / f"{stem}-{tags[0]}.whl", "w") as archive:
            for file in dist.files or []:
                source = Path(str(dist.locate_file(file)))
                # Scripts (outside site-packages) are left out: the installer writes them from entry_points.txt.
                if source.is_file() and not {"__pycache__", ".."} & set(file.parts):
                    archive.write(source, file.as_posix())
    return folder


def fresh_venv(where: Path) -> Path:
    """A venv with nothing in it (not even pip: this interpreter's pip installs into it); returns its python."""
    venv.create(where, with_pip=False)
    return where / ("Scripts" if os.name == "nt" else "bin") / "python"


def pip_install(python: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """This interpreter's pip, installing into `python`'s environment from local files only."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-index"]
    return subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=BOUND, check=False)


def normalized(name: str) -> str:
    """A distribution's name as PEP 503 compares it (`typing_extensions` -> `typing-extensions`)."""
    return name.strip().lower().replace("_", "-").replace(".", "-")


def requirement_name(spec: str) -> str:
    """The distribution a requirement names (`httpx<1,>=0.28` -> `httpx`)."""
    for stop in "[<>=!~ (":
        spec = spec.split(stop, 1)[0]
    return spec


def _applies(marker: str) -> bool:
    if not marker.strip():
        return True
    from packaging.markers import Marker

    return Marker(marker).evaluate()
