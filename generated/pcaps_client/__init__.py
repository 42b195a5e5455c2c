"""A client library for accessing PCAP bucket ownership"""

from .client import AsyncPcapsClient, AuthenticatedClient, Client, PcapsClient
from .errors import (
    ApiErrorDetail,
    ContractViolation,
    PcapsApiError,
    PcapsClientError,
    ResponseTooLarge,
    ResponseTooSlow,
    UnexpectedStatus,
)

__version__ = "0.1.0"

__all__ = (
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
)
