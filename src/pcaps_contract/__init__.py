"""Contract tooling for Cloudflare's PCAP bucket-ownership API, driven by one hand-maintained OpenAPI spec."""

from __future__ import annotations

__version__ = "0.1.0"

from pcaps_contract._errors import PcapsContractError, SpecError, UsageError
from pcaps_contract._spec import Spec, default_spec_path, load_spec

__all__ = [
    "PcapsContractError",
    "Spec",
    "SpecError",
    "UsageError",
    "__version__",
    "default_spec_path",
    "load_spec",
]
