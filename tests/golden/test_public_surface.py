"""The generated client's public surface, pinned: the names `pcaps_client` exports and the methods of its two clients.

A name or a method that appears or goes away fails here first, so that the surface never changes by accident.
"""

from __future__ import annotations

import inspect
import types

import pcaps_client
from pcaps_client import AsyncPcapsClient, PcapsClient

EXPORTED = [
    "ApiErrorDetail",
    "AsyncPcapsClient",
    "AuthenticatedClient",
    "Client",
    "ContractViolation",
    "PcapsApiError",
    "PcapsClient",
    "PcapsClientError",
    "ResponseTooLarge",
    "ResponseTooSlow",
    "UnexpectedStatus",
    "__version__",
]
OPERATIONS = ["add_bucket", "delete_bucket", "list_buckets", "validate_bucket"]
CONSTRUCTOR = [
    "base_url",
    "raise_on_unexpected_status",
    "strict",
    "max_response_bytes",
    "cookies",
    "headers",
    "timeout",
    "verify_ssl",
    "follow_redirects",
    "httpx_args",
    "api_token",
    "api_email",
    "api_key",
    "max_retries",
    "sleep",
    "async_sleep",
]


def test_the_package_exports_exactly_its_all() -> None:
    public = {
        name
        for name, value in vars(pcaps_client).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert sorted(pcaps_client.__all__) == EXPORTED
    assert public | {"__version__"} == set(EXPORTED)


def test_both_clients_offer_the_operations_and_the_same_constructor() -> None:
    for client_class in (PcapsClient, AsyncPcapsClient):
        assert [name for name in OPERATIONS if callable(getattr(client_class, name, None))] == OPERATIONS
        assert list(inspect.signature(client_class).parameters) == CONSTRUCTOR
