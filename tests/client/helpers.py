"""What the client tests share besides fixtures: the credential keyword arguments of PcapsClient."""

from __future__ import annotations

from typing import TypedDict


class Credentials(TypedDict, total=False):
    """PcapsClient's credentials: `api_token`, or `api_email` with `api_key` (mixing them is refused)."""

    api_token: str
    api_email: str
    api_key: str
