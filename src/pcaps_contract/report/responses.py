"""Which documented responses a run saw: each operation x response the spec documents (`200`, `204`, `4XX`,
`default`), seen how many times, and the statuses it saw that the spec does not document.

An answer counts under the one key that documents it, as OpenAPI reads them: its exact status first, then its
range (`4XX`), then `default`. A 404 that is no route of the API (`_real_answers.NO_ROUTE`) answers no operation
and counts nowhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Covered:
    """One row: a response of an operation, how often the run saw it, and whether the spec documents it."""

    operation: str
    response: str  # "200", "4XX", "default" as the spec writes it; an undocumented status as its number
    seen: int
    documented: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "response": self.response,
            "seen": self.seen,
            "documented": self.documented,
        }


def documenting_key(status: str, documented: Collection[str]) -> str | None:
    """The response key of `documented` (upper-cased, as `_real_answers.documented_statuses` gives) that documents
    `status`, or None."""
    if not (status.isdigit() and len(status) == 3):
        return None
    for key in (status, f"{status[0]}XX", "DEFAULT"):
        if key in documented:
            return key
    return None


def coverage(
    operations: Iterable[str],
    documented: Mapping[str, Collection[str]],
    answers: Mapping[str, Mapping[str, int]],
) -> list[Covered]:
    """One row per documented response of each operation (in the spec's order of keys: statuses, ranges, default),
    then one per undocumented status the run saw; `answers` are the answers of each operation by kind."""
    rows: list[Covered] = []
    for operation in operations:
        keys = sorted(documented.get(operation, ()), key=_key_order)
        seen = dict.fromkeys(keys, 0)
        undocumented: dict[str, int] = {}
        for kind, count in (answers.get(operation) or {}).items():
            key = documenting_key(kind, keys)
            if key is not None:
                seen[key] += count
            elif kind.isdigit() and len(kind) == 3 and count > 0:
                undocumented[kind] = undocumented.get(kind, 0) + count
        rows += [Covered(operation, _shown(key), count) for key, count in seen.items()]
        rows += [Covered(operation, kind, count, documented=False) for kind, count in sorted(undocumented.items())]
    return rows


def _key_order(key: str) -> tuple[int, str]:
    """Statuses first, then ranges, then `default`."""
    return (0 if key.isdigit() else 1 if key.endswith("XX") else 2, key)


def _shown(key: str) -> str:
    return "default" if key == "DEFAULT" else key
