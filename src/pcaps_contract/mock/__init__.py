"""The reference mock of the PCAP bucket-ownership API: stateful, spec-driven, usable by the official SDK."""

from __future__ import annotations

from pcaps_contract.mock._app import create_app
from pcaps_contract.mock._command import run_mock
from pcaps_contract.mock._config import DEV_API_KEY, DEV_EMAIL, DEV_TOKEN, MockConfig

__all__ = ["DEV_API_KEY", "DEV_EMAIL", "DEV_TOKEN", "MockConfig", "create_app", "run_mock"]
