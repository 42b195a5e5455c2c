"""The fuzz run's safety rules, checked before anything is sent: target, credentials' transport, accounts, budget."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pcaps_contract.errors import UsageError

PRODUCTION_HOSTS = frozenset({"api.cloudflare.com"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
_DURATION = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+(?:\.\d+)?)s?)?")
_RATE = re.compile(r"(?P<count>\d+(?:\.\d+)?)\s*/\s*(?P<unit>s|sec|second|m|min|minute|h|hour)")
_UNIT_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}
MAX_DURATION = 7 * 24 * 3600.0
MAX_RATE = 1000.0


class Refusal(UsageError):
    """The run would put a target or a secret at risk; nothing was sent."""


@dataclass(frozen=True)
class Rate:
    """At most `count` requests every `per` seconds."""

    count: float
    per: float
    text: str

    @property
    def per_second(self) -> float:
        return self.count / self.per


def is_loopback(host: str) -> bool:
    """Whether a host name or address is this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]").rstrip(".").lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_target(base_url: str | None, *, allow_production: bool) -> str:
    """The base URL without a trailing slash, or a Refusal saying why the run must not go there."""
    if not base_url:
        raise UsageError("no target: pass --base-url, e.g. https://staging.example.com/client/v4.")
    parts = urlsplit(base_url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"--base-url {base_url!r} is not an http(s) URL, e.g. https://staging.example.com/client/v4.")
    if host in PRODUCTION_HOSTS and not allow_production:
        raise Refusal(
            f"{host} is Cloudflare's production API; fuzz a staging deployment, "
            "or pass --allow-production if you really mean it."
        )
    if parts.scheme == "http" and not is_loopback(host):
        raise Refusal(
            f"refusing to send credentials over plain http:// to {host}; use https://, or a loopback address."
        )
    return base_url.rstrip("/")


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


def parse_rate(text: str) -> Rate:
    """A rate such as `20/s`, `300/min` or `1000/h`."""
    match = _RATE.fullmatch(text.strip().lower())
    if match is None:
        raise UsageError(f"--rate-limit {text!r} is not a rate; write e.g. 20/s, 300/min or 1000/h.")
    count, per = float(match["count"]), float(_UNIT_SECONDS[match["unit"]])
    if not 0 < count / per <= MAX_RATE:
        raise UsageError(f"--rate-limit {text!r} must be more than 0 and at most {MAX_RATE:g} requests per second.")
    return Rate(count, per, text.strip())
