"""Accepted known findings: a baseline file makes a run fail (exit 1) only for findings that are new."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pcaps_contract._errors import UsageError
from pcaps_contract.fuzz.findings import Finding, finding_key

BASELINE_VERSION = 1


def load_baseline(path: Path) -> frozenset[str]:
    """The keys of the accepted findings in a baseline file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"--baseline {path}: no such file; accept a run's findings with `cp REPORT_DIR/baseline.json {path}`."
        ) from None
    except (OSError, ValueError) as exc:
        raise UsageError(
            f"--baseline {path} is not a readable JSON baseline ({exc}); rewrite it from a report."
        ) from None
    entries = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(_is_entry(entry) for entry in entries):
        raise UsageError(
            f"--baseline {path} is not a baseline (a `findings` list of operation, check and cause); "
            "rewrite it from a report's baseline.json."
        )
    return frozenset(finding_key(entry["operation"], entry["check"], entry["cause"]) for entry in entries)


def _is_entry(entry: Any) -> bool:
    return isinstance(entry, dict) and all(isinstance(entry.get(name), str) for name in ("operation", "check", "cause"))


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """A baseline that accepts these findings (what a report writes as `baseline.json`)."""
    return {
        "version": BASELINE_VERSION,
        "findings": [
            {
                "key": finding.key,
                "operation": finding.operation,
                "check": finding.check,
                "cause": finding.cause,
                "expected": finding.expected,
            }
            for finding in sorted(findings, key=lambda f: (f.operation, f.check, f.cause))
        ],
    }
