"""Credentials like the real API's: a bearer token, or X-Auth-Email and X-Auth-Key together; then the account scope."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers

from pcaps_contract.mock._config import MockConfig
from pcaps_contract.mock._envelope import ApiError, ErrorCode


def _same(sent: str, accepted: str) -> bool:
    """Compare a credential in constant time; header values arrive as latin-1 text."""
    return bool(accepted) and hmac.compare_digest(sent.encode("latin-1", "replace"), accepted.encode("utf-8"))


def authenticate(headers: Headers, config: MockConfig) -> None:
    """Raise 401 when no credentials were sent, 403 when the ones sent are not accepted."""
    authorization = headers.get("authorization")
    if authorization is not None:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError.single(
                401, ErrorCode.MISSING_CREDENTIALS, "the Authorization header must be `Bearer <API token>`."
            )
        if not _same(token.strip(), config.token):
            raise ApiError.single(403, ErrorCode.INVALID_TOKEN, "Invalid API token; check the token you sent.")
        return
    email, key = headers.get("x-auth-email"), headers.get("x-auth-key")
    if email is None and key is None:
        raise ApiError.single(
            401,
            ErrorCode.MISSING_CREDENTIALS,
            "Missing X-Auth-Key, X-Auth-Email or Authorization headers; send `Authorization: Bearer <API token>`.",
        )
    if email is None or key is None:
        missing = "X-Auth-Email" if email is None else "X-Auth-Key"
        raise ApiError.single(
            401, ErrorCode.MISSING_CREDENTIALS, f"X-Auth-Email and X-Auth-Key go together; {missing} is missing."
        )
    # Both compared, always, so the answer's timing does not tell which one was wrong.
    if not (_same(email.strip(), config.email) & _same(key.strip(), config.api_key)):
        raise ApiError.single(403, ErrorCode.INVALID_EMAIL_OR_KEY, "Unknown X-Auth-Key or X-Auth-Email.")


def authorize_account(account_id: str, config: MockConfig) -> None:
    """Raise 403 when the credentials are scoped to other accounts."""
    if config.accounts and account_id not in config.accounts:
        raise ApiError.single(
            403,
            ErrorCode.ACCOUNT_NOT_ALLOWED,
            "Authentication error: the credentials are not allowed to use this account; check account_id.",
        )
