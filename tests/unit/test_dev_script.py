"""The project's CI (`.ci/run`) lints before it tests, with the documented commands, and mypy sees every Python file."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def ci_commands() -> list[str]:
    """The commands `.ci/run` runs, in order: its lines but the shebang, comments, `set` and `cd`."""
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]


CHROMIUM = (
    "command -v chromium >/dev/null || "
    "(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)"
)


def test_ci_installs_chromium_if_missing_then_lints_then_tests_and_nothing_else() -> None:
    assert ci_commands() == [CHROMIUM, "python3 scripts/dev.py lint", "python3 scripts/dev.py test"]


def test_each_command_ci_runs_is_one_the_readme_or_the_development_page_shows() -> None:
    readme = "\n".join((ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "docs/development.md"))
    shown = {span.strip() for span in re.findall(r"`([^`\n]+)`", readme)}
    shown |= {
        line.split("#")[0].strip()
        # A fence may name its language (```yaml): matched as a plain one, it would pair with the next block's.
        for block in re.findall(r"```[a-z]*\n(.*?)```", readme, re.S)
        for line in block.splitlines()
    }
    missing = [command for command in ci_commands() if command not in shown]
    assert missing == [], f"neither the README nor docs/development.md shows {missing}"


def python_files() -> list[Path]:
    """Every `.py` file of the checkout outside hidden folders (.venv, caches, a cut-short generation's files)."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found.extend(Path(folder) / name for name in names if name.endswith(".py"))
    return found


def test_mypy_checks_every_python_file_of_the_checkout() -> None:
    files = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    checked = [ROOT / entry for entry in files]
    unchecked = sorted(
        str(path.relative_to(ROOT))
        for path in python_files()
        if not any(path.is_relative_to(entry) for entry in checked)
    )
    assert unchecked == [], f"add them (or their folder) to `files` in [tool.mypy] of pyproject.toml: {unchecked}"
