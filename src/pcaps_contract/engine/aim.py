"""Where and as whom a run aims, resolved once from what a person typed and the environment: the target (as named,
its URL read once; plain data the run opens when it starts), the credentials, the accounts. Both doors (`check`,
`fuzz`) resolve through it and refuse here, and refuse a bound in seconds by its one rule."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pcaps_contract._credentials import ACCOUNT_ENV, Credentials, r2_secrets, resolve_credentials
from pcaps_contract._errors import UsageError
from pcaps_contract._urls import Refusal
from pcaps_contract.engine.targets import MOCK_ACCOUNTS, TargetName, app_target, base_url_target, mock_credentials
from pcaps_contract.openapi import is_identifier

NO_ACCOUNT = f"no account: pass --account-id (or set {ACCOUNT_ENV}); a run never guesses which account to write into."


@dataclass(frozen=True)
class Aimed:
    """The target (as named: `open_target` opens it when the run starts), the credentials and the accounts of one
    run, each resolved and checked."""

    target: TargetName
    credentials: Credentials
    accounts: tuple[str, ...]


def checked_accounts(accounts: Sequence[str]) -> tuple[str, ...]:
    """The account ids in order without duplicates, or one sentence: none given, or one the spec refuses."""
    if not accounts:
        raise Refusal(NO_ACCOUNT)
    for account in accounts:
        if not is_identifier(account):
            raise UsageError(f"--account-id {account!r} is not an account id (1 to 32 characters, e.g. 32 hex).")
    return tuple(dict.fromkeys(accounts))


def checked_seconds(flag: str, value: float, *, may_be_zero: bool = False) -> float:
    """The seconds an option gave, or one sentence: a bound is finite, never negative, and above 0 unless a wait
    of none makes sense (`may_be_zero`)."""
    if not math.isfinite(value) or value < 0 or (value == 0 and not may_be_zero):
        above = " of 0 or more" if may_be_zero else " above 0"
        raise UsageError(f"{flag} must be a finite number of seconds{above}, not {value:g}.")
    return value


def resolve_aim(
    *,
    base_url: str | None = None,
    app: str | None = None,
    accounts: Sequence[str] | None = None,
    token: str | None = None,
    email: str | None = None,
    api_key: str | None = None,
    environ: Mapping[str, str],
    allow_production: bool = False,
    bucket: str | None = None,
    bundled: bool = True,
) -> Aimed:
    """The run's aim from its options and the environment.

    No target means the bundled mock in-process (when `bundled`; else the refusal of a missing `--base-url`), which
    then accepts exactly the given credentials (the development token by default) for exactly the given accounts
    (two fixed ones by default). The keys an `r2://` `bucket` carries join the credentials' secrets.
    """
    if base_url and app:
        raise UsageError("give --base-url or --app, not both.")
    chosen = tuple(accounts or [item.strip() for item in environ.get(ACCOUNT_ENV, "").split(",") if item.strip()])
    if base_url or app or not bundled:
        target = app_target(app) if app else base_url_target(base_url, allow_production=allow_production)
        credentials = resolve_credentials(token, email, api_key, environ)
        chosen = checked_accounts(chosen)
    else:
        credentials = resolve_credentials(token, email, api_key, environ, default=mock_credentials())
        chosen = checked_accounts(chosen or MOCK_ACCOUNTS)
        target = TargetName()
    bucket_keys = tuple(r2_secrets(bucket or ""))  # every body names the bucket: its keys are secrets too
    if bucket_keys:
        credentials = replace(credentials, others=bucket_keys)
    return Aimed(target, credentials, chosen)
