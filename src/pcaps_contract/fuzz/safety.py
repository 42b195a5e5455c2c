"""The fuzz run's budget, read before anything is sent: its duration and its rate (the target, the credentials and
the accounts are refused where every run resolves them, `engine.resolve_aim`)."""

from __future__ import annotations

import re

from pcaps_contract._errors import UsageError
from pcaps_contract.engine import MAX_RATE as MAX_RATE
from pcaps_contract.engine import Rate as Rate
from pcaps_contract.engine import parse_rate as parse_rate

_DURATION = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+(?:\.\d+)?)s?)?")
MAX_DURATION = 7 * 24 * 3600.0


def parse_duration(text: str) -> float:
    """Seconds in `10m`, `30s`, `1h30m` or a plain number of seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groupdict().values()):
        raise UsageError(f"--duration {text!r} is not a duration; write e.g. 30s, 10m or 1h30m.")
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + float(match["s"] or 0)
    if not 0 < seconds <= MAX_DURATION:
        raise UsageError(f"--duration {text!r} must be more than 0 and at most 7 days.")
    return seconds
