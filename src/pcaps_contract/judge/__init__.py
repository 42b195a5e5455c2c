"""The contract's semantics beyond one answer: what a run judges against what it knows of each account."""

from __future__ import annotations

from pcaps_contract.judge.probes import ProbeTable, credential_forms, probe_tasks

__all__ = ["ProbeTable", "credential_forms", "probe_tasks"]
