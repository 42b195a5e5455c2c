"""Internal errors: a failure of the toolkit itself (a bug of ours or of a library), never the target's fault.

Such a run could not judge (exit 2, never 1, which says the target broke the contract), and says so in one
sentence that asks for a report and names the seed that reproduces the run.
"""

from __future__ import annotations

from collections.abc import Callable

from pcaps_contract._text import clip


def cause_of(error: BaseException, redact: Callable[[str], str] = str) -> str:
    """`Type: text` of an exception, its secrets redacted before it is cut to one line."""
    text = redact(str(error)).splitlines()
    return f"{type(error).__name__}: {clip(text[0], 200)}" if text and text[0] else type(error).__name__


def internal_error(cause: str, seed: int | None = None) -> str:
    """The sentence a run that met an internal error ends with (`cause` from `cause_of`)."""
    again = f" and --seed {seed}" if seed is not None else ""
    return f"internal error: please report it with this command line{again} ({cause})"
