"""`generate` as one release of the client: plan the version from the spec's changes, render, record; or check.

The one module that drives both `codegen.render` (the package) and `diff.release` (its release record), which do not
import each other. A generation that fails anywhere, Ctrl-C included, puts the generator config and the release
record back as they were, so the next one plans the same release again; the package itself is swapped in whole
or not at all (`_codegen.generate`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Modules, not their functions: the tests replace `codegen.generate` and `codegen.check` to script a run.
from pcaps_contract.codegen import render as codegen
from pcaps_contract.codegen.render import FileChange
from pcaps_contract.diff import Change, Release, release
from pcaps_contract.openapi import default_spec_path


@dataclass(frozen=True)
class Generated:
    """What `generate` did: the files it wrote and the release it recorded."""

    output: Path  # the folder that holds the package and its release record
    spec_path: Path  # the spec it was generated from
    files: list[FileChange]
    release: Release

    @property
    def package(self) -> Path:
        return self.output / codegen.PACKAGE_NAME

    @property
    def changelog(self) -> Path:
        return self.output / release.CHANGELOG_FILENAME


@dataclass(frozen=True)
class Checked:
    """What `generate --check` found: files that differ from a fresh generation, else spec changes not recorded."""

    output: Path
    files: list[FileChange]
    behind: list[Change] = field(default_factory=list)  # looked at only when no file differs

    @property
    def package(self) -> Path:
        return self.output / codegen.PACKAGE_NAME

    @property
    def snapshot(self) -> Path:
        return self.output / release.SNAPSHOT_FILENAME


def generate(
    spec_path: Path | None = None, output_dir: Path | None = None, config_path: Path | None = None
) -> Generated:
    """Regenerate the client and record the release: the version the spec's changes call for, and its entry.

    Args:
        spec_path: the spec to generate from (default: the bundled spec).
        output_dir: the folder that holds the package (default: the working tree's `generated/`).
        config_path: the generator config, where the version is kept (default: the working tree's
            `spec/client-config.yaml`; never the copy inside an installed toolkit).
    """
    output = output_dir if output_dir is not None else codegen.default_output_dir()
    spec = spec_path if spec_path is not None else default_spec_path()
    config = codegen.config_file(config_path)
    planned = release.plan(spec, output, config)
    record = [config, output / release.SNAPSHOT_FILENAME, output / release.CHANGELOG_FILENAME]
    with _restored_on_failure(record):
        if planned.new_version != planned.old_version:
            release.write_version(config, planned.new_version)  # before rendering: the package carries its version
        files = codegen.generate(spec_path, output, config)
        release.record(spec, output, planned.entry)
    return Generated(output, spec, files, planned)


def check(spec_path: Path | None = None, output_dir: Path | None = None, config_path: Path | None = None) -> Checked:
    """Compare the package with a fresh generation, then the recorded spec with the spec; writes nothing.

    Args:
        spec_path: the spec to generate from (default: the bundled spec).
        output_dir: the folder that holds the package (default: the working tree's `generated/`).
        config_path: the generator config (default: the working tree's `spec/client-config.yaml`).
    """
    output = output_dir if output_dir is not None else codegen.default_output_dir()
    files = codegen.check(spec_path, output, codegen.config_file(config_path))
    if files:
        return Checked(output, files)
    spec = spec_path if spec_path is not None else default_spec_path()
    return Checked(output, files, release.stale(spec, output) or [])


@contextmanager
def _restored_on_failure(paths: list[Path]) -> Iterator[None]:
    """Put each file back as it was (or remove it, if it did not exist) when the block raises, Ctrl-C included."""
    before = {path: path.read_bytes() if path.is_file() else None for path in paths}
    try:
        yield
    except BaseException:
        for path, content in before.items():
            if content is not None:
                path.write_bytes(content)
            elif path.exists():  # False too when a parent is missing or a file
                path.unlink()
        raise
