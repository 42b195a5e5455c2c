"""`generate`: the typed client `pcaps_client`, rendered from the spec by openapi-python-client with our templates.

The pinned generator runs as a subprocess of this interpreter, into a temporary directory; the result is
compared with (or swapped into) the output directory. It writes only there and to the generator config (the
version it bumps): both are the working tree's (`generated/`, `spec/client-config.yaml`) or given, never the
copies bundled inside an installed toolkit. Our templates (`spec/templates/`) override the
generator's by file name and make the client enforce the contract the stock templates drop; the generator's
own templates are staged beside them under `stock/`, so that a fork can include the stock text it edits.
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pcaps_contract._errors import SpecError, UsageError
from pcaps_contract._extras import missing
from pcaps_contract.openapi import Spec, load_spec, spec_dir

PACKAGE_NAME = "pcaps_client"
CONFIG_FILENAME = "client-config.yaml"
TEMPLATES_DIRNAME = "templates"
# The generator loads our folder first, then its own templates under the same names, so a fork named like a
# stock template hides it; staged under this prefix, the stock one stays reachable (`{% include "stock/..." %}`).
STOCK_PREFIX = "stock"
# Left behind by Python, mypy, ruff and pytest when the package is used; never part of the golden record.
IGNORED_NAMES = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
DIFF_LINES_PER_FILE = 20
# PEP 561: without this marker, mypy treats an installed pcaps_client as untyped (`import-untyped`). The generator
# writes it only with a meta project (pyproject.toml), and we generate `--meta none`; this is its own text.
PY_TYPED = "# Marker file for PEP 561"


@dataclass(frozen=True)
class FileChange:
    """One file of the package that differs between the output directory and a fresh generation."""

    path: str
    kind: Literal["added", "removed", "changed"]
    diff: tuple[str, ...] = ()

    def render(self, max_lines: int = DIFF_LINES_PER_FILE) -> str:
        """The change as a heading line plus a short unified diff."""
        lines = [f"{self.kind}: {self.path}"]
        lines.extend(self.diff[:max_lines])
        if len(self.diff) > max_lines:
            lines.append(f"... ({len(self.diff) - max_lines} more diff lines)")
        return "\n".join(lines)


def working_tree() -> Path | None:
    """The checkout `generate` works in, if any: the toolkit's own when it runs from one (an editable install),
    else the current directory when it holds `spec/client-config.yaml`."""
    for root in (Path(__file__).resolve().parents[3], Path.cwd()):
        if (root / "spec" / CONFIG_FILENAME).is_file():
            return root
    return None


def _outside_a_checkout() -> UsageError:
    return UsageError(
        f"there is no checkout here to generate in (no spec/{CONFIG_FILENAME}); pass --config FILE, a copy of "
        f"{spec_dir() / CONFIG_FILENAME} that generate keeps the client's version in, and --output DIR, the "
        f"folder that holds {PACKAGE_NAME}/."
    )


def default_output_dir() -> Path:
    """The working tree's `generated/` folder; outside a checkout, `--output` is needed."""
    tree = working_tree()
    if tree is None:
        raise _outside_a_checkout()
    return tree / "generated"


def generate(
    spec_path: Path | None = None, output_dir: Path | None = None, config_path: Path | None = None
) -> list[FileChange]:
    """Regenerate the client into `output_dir/pcaps_client`, replacing it whole; returns what changed.

    Only `pcaps_client/` is replaced: what else the folder holds (the release record, the client's
    `pyproject.toml`) stays as it is.

    Args:
        spec_path: the spec to generate from (default: the bundled spec).
        output_dir: the folder that holds the package (default: the working tree's `generated/`).
        config_path: the generator config (default: the working tree's `spec/client-config.yaml`).
    """
    output = _prepare_output(output_dir)
    with tempfile.TemporaryDirectory(prefix=".generate-", dir=output) as scratch:
        fresh = render(spec_path, Path(scratch) / "new", config_path)
        target = output / PACKAGE_NAME
        changes = compare(target, fresh)
        if changes or not target.is_dir():
            if target.exists():
                target.rename(Path(scratch) / "old")
            fresh.rename(target)
    return changes


def check(
    spec_path: Path | None = None, output_dir: Path | None = None, config_path: Path | None = None
) -> list[FileChange]:
    """The differences between `output_dir/pcaps_client` and a fresh generation; empty when identical."""
    output = Path(output_dir) if output_dir is not None else default_output_dir()
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file; pass the directory that holds {PACKAGE_NAME}/ as --output.")
    with tempfile.TemporaryDirectory(prefix="pcaps-contract-generate-") as scratch:
        return compare(output / PACKAGE_NAME, render(spec_path, Path(scratch), config_path))


def render(spec_path: Path | None, destination: Path, config_path: Path | None = None) -> Path:
    """Run the pinned generator with our config and templates, then mark the package typed; returns its folder."""
    spec = load_spec(spec_path)  # a spec that does not load fails here with one sentence
    config = config_file(config_path)
    package = destination / PACKAGE_NAME
    ruff_dir = _ruff_bin_dir()
    env = {
        **os.environ,
        # The post-hooks call `ruff`: the pinned one, whatever else is on PATH.
        "PATH": os.pathsep.join([ruff_dir, os.environ.get("PATH", "")]),
        "NO_COLOR": "1",
        "TERM": "dumb",
        "COLUMNS": "200",
    }
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pcaps-contract-templates-") as staging:
        command = [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(_checked_copy(spec, Path(staging))),
            "--config",
            str(config),
            "--custom-template-path",
            str(stage_templates(Path(staging))),
            "--meta",
            "none",
            "--output-path",
            str(package),
            "--fail-on-warning",
        ]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=destination, check=False)
    if done.returncode != 0 or not (package / "__init__.py").is_file():
        reason = _reason(done.stdout + done.stderr)
        raise SpecError(
            f"openapi-python-client could not generate a client from {spec.path} ({reason}); "
            "fix the spec, or the templates in spec/templates/."
        )
    (package / "py.typed").write_text(PY_TYPED, encoding="utf-8")
    return package


def _checked_copy(spec: Spec, folder: Path) -> Path:
    """The spec as `openapi.documents` read it (bounded, every `$ref` inside it), as JSON: the generator reads that,
    never the file again with its own YAML loader."""
    path = folder / "spec.json"
    path.write_text(json.dumps(spec.document), encoding="utf-8")
    return path


def compare(current: Path, fresh: Path) -> list[FileChange]:
    """Every file added, removed or changed from `current` to `fresh`, in path order (paths relative, POSIX)."""
    before = dict(_files(current))
    after = dict(_files(fresh))
    changes: list[FileChange] = []
    for name in sorted(before.keys() | after.keys()):
        shown = f"{PACKAGE_NAME}/{name}"
        if name not in before:
            changes.append(FileChange(shown, "added", _diff(shown, None, after[name])))
        elif name not in after:
            changes.append(FileChange(shown, "removed", _diff(shown, before[name], None)))
        elif before[name].read_bytes() != after[name].read_bytes():
            changes.append(FileChange(shown, "changed", _diff(shown, before[name], after[name])))
    return changes


def generator_config_path() -> Path:
    """The working tree's generator config (`spec/client-config.yaml`); outside a checkout, `--config` is needed."""
    tree = working_tree()
    if tree is None:
        raise _outside_a_checkout()
    return tree / "spec" / CONFIG_FILENAME


def config_file(config_path: Path | None) -> Path:
    """The generator config to use: the one given, which must be a file, else the working tree's."""
    if config_path is None:
        return generator_config_path()
    if not Path(config_path).is_file():
        raise UsageError(
            f"--config {config_path}: no such file; pass a copy of {spec_dir() / CONFIG_FILENAME}, "
            "the generator config generate keeps the client's version in."
        )
    return Path(config_path)


def templates_dir() -> Path:
    """Our template overrides (`spec/templates/`)."""
    return spec_dir() / TEMPLATES_DIRNAME


def stock_templates_dir() -> Path:
    """The pinned generator's own templates (found without importing the generator, which runs as a subprocess)."""
    found = importlib.util.find_spec("openapi_python_client")
    if found is None or not found.submodule_search_locations:
        raise missing("openapi-python-client", "generate", "generate")
    return Path(next(iter(found.submodule_search_locations))) / "templates"


def stage_templates(staging: Path) -> Path:
    """Our templates with the generator's own beside them under `stock/`; returns the folder to hand the generator."""
    staged = staging / TEMPLATES_DIRNAME
    shutil.copytree(templates_dir(), staged)
    shutil.copytree(stock_templates_dir(), staged / STOCK_PREFIX, ignore=shutil.ignore_patterns("__pycache__"))
    return staged


def _prepare_output(output_dir: Path | None) -> Path:
    output = Path(output_dir) if output_dir is not None else default_output_dir()
    if output.exists() and not output.is_dir():
        raise UsageError(f"{output} is a file; pass the directory that holds {PACKAGE_NAME}/ as --output.")
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{output} cannot be created ({exc.strerror}); pass a writable --output directory.") from None
    return output


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    """The package's files as (relative POSIX path, path), skipping caches that tools leave behind."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not IGNORED_NAMES.intersection(relative.parts) and path.suffix != ".pyc":
            yield relative.as_posix(), path


def _diff(shown: str, before: Path | None, after: Path | None) -> tuple[str, ...]:
    old = _lines(before)
    new = _lines(after)
    return tuple(
        line.rstrip("\n")
        for line in difflib.unified_diff(old, new, f"a/{shown}", f"b/{shown}", n=1)
        if not line.startswith(("---", "+++"))
    )


def _lines(path: Path | None) -> list[str]:
    if path is None:
        return []
    return path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)


def _ruff_bin_dir() -> str:
    """The folder of the pinned ruff executable (installed with the toolkit)."""
    try:
        from ruff.__main__ import find_ruff_bin
    except ImportError:
        found = shutil.which("ruff")
        if found is None:
            raise missing("ruff", "generate", "generate") from None
        return str(Path(found).parent)
    return str(Path(find_ruff_bin()).parent)


def _reason(output: str) -> str:
    """The generator's own words about what went wrong, on one line."""
    lines = [line.strip(" │╭╰─") for line in output.splitlines()]
    useful = [line for line in lines if line and not line.startswith(("Generating ", "If you believe"))]
    if any(line.startswith("Traceback") for line in useful):
        useful = useful[-1:]  # the generator crashed (a template failed): its last line is the exception
    return " ".join(useful)[:400] or "no output"
