"""Writing a report file whole or not at all: a run stopped in the middle of a write leaves the previous file."""

from __future__ import annotations

import os
from pathlib import Path


def write_whole(path: Path, text: str) -> None:
    """Write the text to a temporary file beside `path`, then put it in place in one step (`os.replace`)."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)
