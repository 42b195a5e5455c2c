"""Credentials for the API under test, read from options or the environment variables users already set."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, quote_plus

from pcaps_contract._errors import UsageError

TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
EMAIL_ENV = "CLOUDFLARE_EMAIL"
API_KEY_ENV = "CLOUDFLARE_API_KEY"
ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"
# A cut (ours `…`, schemathesis's `...`, or the end of a clipped value) may leave only a secret's start or end:
# a start of at least this many characters just before a cut, or an end just after one, is redacted too.
FRAGMENT_MIN = 8
_CUT_BEFORE = r"(?=…|\.\.\.|\Z)"
_CUT_AFTER = r"(?:\A|(?<=…)|(?<=\.\.\.))"


@dataclass(frozen=True, repr=False)
class Credentials:
    """A bearer token, or the `X-Auth-Email` + `X-Auth-Key` pair; `repr` never shows a secret."""

    token: str | None = None
    email: str | None = None
    api_key: str | None = None
    # Other secrets of the run that requests carry (e.g. the keys in an `r2://` --bucket URI), with the variable
    # each is shown as: redacted like the credentials, never sent as headers.
    others: tuple[tuple[str, str], ...] = ()

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

    def redact(self, text: str) -> str:
        """The text with every secret (also JSON-, URL- or HTML-escaped, or cut short) replaced by its variable.

        Redact before cutting: a value cut first may keep a piece of a secret that no longer matches it.
        """
        named = (
            (self.token, f"${TOKEN_ENV}"),
            (self.email, f"${EMAIL_ENV}"),
            (self.api_key, f"${API_KEY_ENV}"),
            *self.others,
        )
        for secret, name in named:
            if secret and secret != name:  # placeholder credentials are their own names: nothing to hide
                text = _pattern(secret).sub(name.replace("\\", r"\\"), text)
        return text

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


def redacting_placeholder(
    token: str | None, email: str | None, api_key: str | None, environ: Mapping[str, str]
) -> Credentials:
    """Credentials for the report of a run refused before its credentials were whole: they send nothing (the
    token is its own variable name) and redact every secret the flags or the environment gave."""
    given = [(token, TOKEN_ENV), (email, EMAIL_ENV), (api_key, API_KEY_ENV)]
    given += [(environ.get(name), name) for name in (TOKEN_ENV, EMAIL_ENV, API_KEY_ENV)]
    return Credentials(token=f"${TOKEN_ENV}", others=tuple((value, f"${name}") for value, name in given if value))


def _compile_pattern(secret: str) -> re.Pattern[str]:
    """A regular expression for a secret as written anywhere, as escaped in JSON, URLs and HTML, and cut short."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    # Longest first, so that a whole secret is never matched as one of its pieces.
    alternatives = [re.escape(form) for form in sorted(forms, key=len, reverse=True)]
    if len(secret) > FRAGMENT_MIN:
        starts = [re.escape(secret[:size]) for size in range(len(secret) - 1, FRAGMENT_MIN - 1, -1)]
        ends = [re.escape(secret[-size:]) for size in range(len(secret) - 1, FRAGMENT_MIN - 1, -1)]
        alternatives.append(f"(?:{'|'.join(starts)}){_CUT_BEFORE}")
        alternatives.append(f"{_CUT_AFTER}(?:{'|'.join(ends)})")
    return re.compile("|".join(alternatives))


# Cached by wrapping rather than by decorating: mutmut leaves decorated functions unmutated, and this one is
# what makes redaction total (python3 scripts/dev.py mutate src/pcaps_contract/_credentials.py).
_pattern = lru_cache(maxsize=16)(_compile_pattern)
