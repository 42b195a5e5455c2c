"""What reaches a terminal: text from outside with every character a terminal would obey shown escaped
(`printable`), and colour for a terminal that shows it, through rich (loaded only here, when a run prints);
elsewhere the same text byte for byte: CI logs, pipes, `NO_COLOR` and `TERM=dumb` get no escape code at all."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

# One piece of a line and the rich style it is shown in on a colour terminal ("" for none).
Segment = tuple[str, str]
# What a terminal would obey rather than show: the C0 controls but tab and newline (ESC among them), DEL, the C1
# controls (CSI, OSC), the bidirectional overrides that reorder what is shown, and lone surrogates (which no stream
# can encode: printing one is a UnicodeEncodeError).
_UNSHOWABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """The text with each character a terminal would obey written as its Python escape (`\\x1b`, `\\u202e`)."""
    return _UNSHOWABLE.sub(_escaped, text)


def printable_json(text: str) -> str:
    """JSON text for a terminal: the same characters as `printable` escaped, as JSON writes them (`\\u009b`); JSON
    has already escaped every C0 control, so the rest can stand only inside strings, where this keeps it valid."""
    return _UNSHOWABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(segments: Sequence[Segment]) -> str:
    return "".join(text for text, _ in segments)


def spaced(pieces: Sequence[Segment], gap: str = "  ") -> list[Segment]:
    """The pieces with an unstyled gap between each two."""
    joined: list[Segment] = []
    for piece in pieces:
        joined += [(gap, ""), piece] if joined else [piece]
    return joined


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is a terminal; a closed or odd stream is none."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def takes_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether `stream` is a terminal that shows colour: not with `NO_COLOR` set to anything (no-color.org),
    nor with `TERM=dumb`."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM", "").lower() == "dumb":
        return False
    return is_terminal(stream)


def terminal_width(stream: TextIO) -> int | None:
    """The columns of the terminal behind `stream`, or None when it has none (a file, a pipe, a test's buffer)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None
    return columns or None  # a pseudo-terminal nobody sized says 0


class Painter:
    """Writes segments, or a text with some patterns styled, as ANSI colour when `colour`, else as plain text.

    `console` is the rich Console to render with (tests hand one in: `Console(force_terminal=True)`); by default
    one of rich's, forced to a terminal, made on first use.
    """

    def __init__(self, colour: bool, console: Any = None) -> None:
        self.colour = colour
        self._console = console

    @classmethod
    def for_stream(cls, stream: TextIO, environ: Mapping[str, str] | None = None) -> Painter:
        return cls(takes_colour(stream, environ))

    def segments(self, segments: Sequence[Segment]) -> str:
        if not self.colour:
            return plain(segments)
        from rich.text import Text

        return self._render(Text.assemble(*((text, style) if style else text for text, style in segments)))

    def highlight(self, text: str, rules: Sequence[tuple[str, str]]) -> str:
        """The text with each match of each (regex, style) rule styled; unchanged when there is no colour."""
        if not self.colour:
            return text
        from rich.text import Text

        styled = Text(text)
        for pattern, style in rules:
            styled.highlight_regex(re.compile(pattern, re.MULTILINE), style)
        return self._render(styled)

    def _render(self, text: Any) -> str:
        console = self._console
        if console is None:
            from rich.console import Console

            console = self._console = Console(
                force_terminal=True, color_system="standard", highlight=False, markup=False, emoji=False
            )
        with console.capture() as capture:
            console.print(text, end="", soft_wrap=True)  # soft wrap: no line is cut or wrapped to the width
        return str(capture.get())


def painted(text: str, rules: Sequence[tuple[str, str]], stream: TextIO | None = None) -> str:
    """The text as `stream` (stdout by default) should get it: `printable`, then coloured by `rules` on a colour
    terminal."""
    text = printable(text)
    try:
        return Painter.for_stream(sys.stdout if stream is None else stream).highlight(text, rules)
    except Exception:  # colour is a nicety: whatever goes wrong in it, the words still print
        return text


def fit(segments: Sequence[Segment], width: int | None) -> list[Segment]:
    """The segments cut to `width` characters (None: not cut), so that a live line never wraps."""
    if width is None:
        return list(segments)
    kept: list[Segment] = []
    room = max(width, 0)
    for text, style in segments:
        if room <= 0:
            break
        kept.append((text[:room], style))
        room -= len(text)
    return kept
