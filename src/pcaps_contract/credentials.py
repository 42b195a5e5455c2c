"""Credentials for the API under test, read from options or the environment variables users already set."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pcaps_contract.errors import UsageError

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
EMAIL_ENV = "CLOUDFLARE_EMAIL"
API_KEY_ENV = "CLOUDFLARE_API_KEY"
ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"


@dataclass(frozen=True, repr=False)
class Credentials:
    """A bearer token, or the `X-Auth-Email` + `X-Auth-Key` pair; `repr` never shows a secret."""

    token: str | None = None
    email: str | None = None
    api_key: str | None = None

    def __post_init__(self) -> None:
        if self.token and (self.email or self.api_key):
            raise UsageError("give a token or an email and API key, not both.")
        if not self.token and not (self.email and self.api_key):
            missing = "--api-key" if self.email else "--email"
            raise UsageError(f"{missing} is missing: the email and the API key go together.")

    def __repr__(self) -> str:
        return "Credentials(token=***)" if self.token else "Credentials(email=***, api_key=***)"

    def headers(self) -> dict[str, str]:
        """The headers that authenticate a request."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        return {"X-Auth-Email": self.email or "", "X-Auth-Key": self.api_key or ""}

    def curl_headers(self) -> list[str]:
        """The same headers for a shell command, referring to the secrets by environment variable."""
        if self.token:
            return [f'-H "Authorization: Bearer ${TOKEN_ENV}"']
        return [f'-H "X-Auth-Email: ${EMAIL_ENV}"', f'-H "X-Auth-Key: ${API_KEY_ENV}"']

    def secrets(self) -> list[str]:
        """Every secret value, to keep out of output (the email identifies a person, so it counts)."""
        return [value for value in (self.token, self.email, self.api_key) if value]

    @property
    def is_key_pair(self) -> bool:
        return not self.token


def resolve_credentials(
    token: str | None,
    email: str | None,
    api_key: str | None,
    environ: Mapping[str, str],
    default: Credentials | None = None,
) -> Credentials:
    """The credentials from options, else from the environment, else the default (the bundled mock's)."""
    if token or email or api_key:
        return Credentials(token=token, email=email, api_key=api_key)
    if environ.get(TOKEN_ENV):
        return Credentials(token=environ[TOKEN_ENV])
    if environ.get(EMAIL_ENV) or environ.get(API_KEY_ENV):
        if not (environ.get(EMAIL_ENV) and environ.get(API_KEY_ENV)):
            raise UsageError(f"set both {EMAIL_ENV} and {API_KEY_ENV}, or {TOKEN_ENV}.")
        return Credentials(email=environ[EMAIL_ENV], api_key=environ[API_KEY_ENV])
    if default is not None:
        return default
    raise UsageError(f"no credentials: pass --token (or --email and --api-key), or set {TOKEN_ENV}.")
