"""Files a user names: opened for reading with one sentence when they cannot be, and report files written whole or
not at all (a run stopped in the middle of a write leaves the previous file)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def open_named(path: Path, refuse: Callable[[str], Exception], missing: str, folder: str) -> BinaryIO:
    """The file a user named, open for reading in binary; else `refuse(sentence)` is raised, one sentence naming it.

    Args:
        missing: what to give instead when there is no such file, e.g. "pass the path of an OpenAPI spec".
        folder: what it is and what to give when it is a folder, e.g. "is a directory; pass the path of a file".
    """
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise refuse(f"{path}: no such file; {missing}.") from None
    except IsADirectoryError:
        raise refuse(f"{path} {folder}.") from None
    except OSError as exc:
        raise refuse(f"{path} cannot be read ({exc.strerror}); check its permissions.") from None


def write_whole(path: Path, text: str) -> None:
    """Write the text to a temporary file beside `path`, then put it in place in one step (`os.replace`)."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
