"""The mock's settings: the credentials it accepts, the accounts it serves, where challenges go, rehearsal faults."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pcaps_contract._errors import UsageError

# Development defaults: public on purpose, so that a fresh checkout works without any secret.
DEV_TOKEN = "pcaps-contract-dev-token"
DEV_EMAIL = "dev@example.com"
DEV_API_KEY = "pcaps-contract-dev-api-key"


@dataclass(frozen=True)
class MockConfig:
    """Everything that changes how the mock answers; the defaults are a faithful, fault-free mock.

    Args:
        token: the API token accepted as `Authorization: Bearer <token>`.
        email: the `X-Auth-Email` accepted together with `api_key`.
        api_key: the `X-Auth-Key` accepted together with `email`.
        accounts: the account ids the credentials may use; empty means any account.
        s3_endpoint: an S3-compatible endpoint that receives the challenge files of `s3://` and `r2://`
            buckets; None keeps challenges in memory only.
        max_body_bytes: the largest request body accepted (bigger ones get 413).
        max_records: the most ownership records held across all accounts, so that memory stays bounded.
        max_stored_bytes: the most bytes those records may hold across all accounts (a `destination_conf` has no
            length bound in the spec: the count alone does not bound memory).
        max_account_bytes: the most bytes the records of one account may hold.
        rate_limit_rate: the share of API requests answered 429 with `Retry-After`.
        retry_after: the seconds announced in `Retry-After`.
        server_error_rate: the share of API requests answered 500.
        latency: seconds added before every API request is answered.
        seed: the seed of the fault draws, so that a rehearsal can be repeated.
    """

    token: str = DEV_TOKEN
    email: str = DEV_EMAIL
    api_key: str = DEV_API_KEY
    accounts: tuple[str, ...] = ()
    s3_endpoint: str | None = None
    max_body_bytes: int = 64 * 1024
    max_records: int = 100_000
    max_stored_bytes: int = 256 << 20
    max_account_bytes: int = 64 << 20
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    server_error_rate: float = 0.0
    latency: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.token and not (self.email and self.api_key):
            raise UsageError("the mock needs a token, or an email and an API key, to accept; set one.")
        for name in ("rate_limit_rate", "server_error_rate"):
            rate = getattr(self, name)
            if not (isinstance(rate, int | float) and 0.0 <= rate <= 1.0):
                raise UsageError(f"{name.replace('_', '-')} must be a share between 0 and 1, not {rate!r}.")
        if self.rate_limit_rate + self.server_error_rate > 1.0:
            raise UsageError("rate-limit-rate and server-error-rate together must not exceed 1.")
        if not (math.isfinite(self.latency) and 0.0 <= self.latency <= 60.0):
            raise UsageError(f"latency must be between 0 and 60 seconds, not {self.latency!r}.")
        if self.retry_after < 0:
            raise UsageError(f"retry-after must be 0 seconds or more, not {self.retry_after!r}.")
        if self.max_body_bytes < 1024:
            raise UsageError(f"max-body-bytes must be at least 1024, not {self.max_body_bytes!r}.")
        if self.max_records < 1:
            raise UsageError(f"max-records must be at least 1, not {self.max_records!r}.")
        for name in ("max_stored_bytes", "max_account_bytes"):
            if getattr(self, name) < self.max_body_bytes:
                raise UsageError(
                    f"{name.replace('_', '-')} must be at least max-body-bytes ({self.max_body_bytes}), "
                    f"not {getattr(self, name)!r}: one bucket must fit."
                )
        if self.s3_endpoint is not None and not self.s3_endpoint.startswith(("http://", "https://")):
            raise UsageError(f"the S3 endpoint must be an http:// or https:// URL, not {self.s3_endpoint!r}.")

    @property
    def faults_enabled(self) -> bool:
        """Whether any rehearsal fault is switched on."""
        return bool(self.rate_limit_rate or self.server_error_rate or self.latency)
