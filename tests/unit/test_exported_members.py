"""The package's public surface is exactly what `__all__` names."""

from __future__ import annotations

import pcaps_contract


def test_public_surface_is_pinned() -> None:
    assert sorted(pcaps_contract.__all__) == [
        "PcapsContractError",
        "Spec",
        "SpecError",
        "UsageError",
        "__version__",
        "default_spec_path",
        "load_spec",
    ]


def test_every_exported_member_exists() -> None:
    for name in pcaps_contract.__all__:
        assert getattr(pcaps_contract, name) is not None, name
