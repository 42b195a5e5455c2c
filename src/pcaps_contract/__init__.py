"""Contract tooling for Cloudflare's PCAP bucket-ownership API, driven by one hand-maintained OpenAPI spec.

The public modules are this one, `pcaps_contract.gate` (judge an implementation), `pcaps_contract.mock` (the
reference mock) and `pcaps_contract.replay` (what replay files of `fuzz` run); every `_name` module is private.
Importing the package is cheap: the spec's validators load with the first `load_spec`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pcaps_contract._errors import PcapsContractError, SpecError, UsageError

if TYPE_CHECKING:
    from pcaps_contract.openapi import Spec, default_spec_path, load_spec

__version__ = "0.1.0"

__all__ = [
    "PcapsContractError",
    "Spec",
    "SpecError",
    "UsageError",
    "__version__",
    "default_spec_path",
    "load_spec",
]
_FROM_SPEC = ("Spec", "default_spec_path", "load_spec")


def __getattr__(name: str) -> Any:
    if name in _FROM_SPEC:
        from pcaps_contract.openapi import spec as _spec

        return getattr(_spec, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
