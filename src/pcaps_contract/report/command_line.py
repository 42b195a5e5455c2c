"""The command line a report shows: every word as it was given, each secret as the variable that holds it.

A word that holds no secret is quoted for a POSIX shell (`shlex.quote`); in a word that held one, the secret is the
redactor's `$CLOUDFLARE_...`/`$R2_...` name, written in double quotes so that a shell expands it when the line is
run again (`--token "$CLOUDFLARE_API_TOKEN"`), as the curl reproductions do.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence

# The names the redactors put where a secret was (`_credentials`, `_traffic.Secrets`).
_VARIABLE = re.compile(r"\$(?:CLOUDFLARE|R2)_[A-Z0-9_]+")


def shown_command(words: Sequence[str], redact: Callable[[str], str], program: str = "pcaps-contract") -> str:
    """`program` and the words, each redacted on its own, then quoted: a line a person can paste and run."""
    parts = [program]
    for word in words:
        shown = redact(word)
        parts.append(shlex.quote(word) if shown == word else _with_variables(shown))
    return " ".join(parts)


def _with_variables(text: str) -> str:
    """A redacted word: its variables in double quotes (expanded by the shell), everything else single-quoted."""
    pieces: list[str] = []
    last = 0
    for match in _VARIABLE.finditer(text):
        if match.start() > last:
            pieces.append(shlex.quote(text[last : match.start()]))
        pieces.append(f'"{match.group()}"')
        last = match.end()
    if last < len(text) or not pieces:
        pieces.append(shlex.quote(text[last:]))
    return "".join(pieces)
