"""The fuzz run's safety rules, checked before anything is sent: target, credentials' transport, accounts, budget."""

from __future__ import annotations

import re

from pcaps_contract import _urls as urls
from pcaps_contract._errors import UsageError
from pcaps_contract._urls import PRODUCTION_HOSTS as PRODUCTION_HOSTS
from pcaps_contract._urls import Refusal as Refusal
from pcaps_contract.engine import MAX_RATE as MAX_RATE
from pcaps_contract.engine import Rate as Rate
from pcaps_contract.engine import parse_rate as parse_rate

_DURATION = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+(?:\.\d+)?)s?)?")
MAX_DURATION = 7 * 24 * 3600.0


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine (127.0.0.0/8, ::1, exactly `localhost`)."""
    return urls.is_loopback(host)


def check_target(base_url: str | None, *, allow_production: bool) -> str:
    """The canonical base URL without a trailing slash, or a Refusal saying why the run must not go there."""
    return urls.parse_target(base_url, allow_production=allow_production).base_url


def require_accounts(accounts: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The account ids, or a Refusal: a fuzz run never guesses which account to write into."""
    if not accounts:
        raise Refusal("no account: pass --account-id (or set CLOUDFLARE_ACCOUNT_ID); fuzz never guesses one.")
    for account in accounts:
        if not account or len(account) > 32:
            raise UsageError(f"--account-id {account!r} is not an account id (1 to 32 characters, e.g. 32 hex).")
    return tuple(dict.fromkeys(accounts))


def parse_duration(text: str) -> float:
    """Seconds in `10m`, `30s`, `1h30m` or a plain number of seconds."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groupdict().values()):
        raise UsageError(f"--duration {text!r} is not a duration; write e.g. 30s, 10m or 1h30m.")
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + float(match["s"] or 0)
    if not 0 < seconds <= MAX_DURATION:
        raise UsageError(f"--duration {text!r} must be more than 0 and at most 7 days.")
    return seconds
