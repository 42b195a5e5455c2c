"""The contract's semantics beyond one answer: what a run of the lifecycle judges across its requests."""

from __future__ import annotations

__all__: list[str] = []
