"""What differs between two sides' answers to the same case, each difference named and classed. Pure.

Both answers come normalised (`normalize`): what is left differs by value. A difference is a divergence unless
the contract allows it (`allowed` says why: the facts of the real API), and `--strict` makes those divergences
too; `--ignore-field` drops named fields, `--ignore-order` the order of lists.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from pcaps_contract.compare.normalize import EMPTY, UNKNOWN_ROLE
from pcaps_contract.openapi import api

ENVELOPE = ("success", "errors", "messages", "result")
RECORD_FIELDS = frozenset({"id", "destination_conf", "filename", "status", "submitted", "validated"})
PENDING = "pending"
SETTLED = frozenset({"success", "failed"})
# Why the contract lets two answers differ there (the facts file: the real API's own behaviour).
ERRORS_ARE_THEIRS = "error codes and texts are each implementation's own (integers >= 1000 and strings)"
MESSAGES_ARE_THEIRS = "messages are each implementation's own"
EXTRA_FIELD = "a field the contract does not declare: unknown extra fields may appear"
VALIDATED_EMPTY = 'an empty validated may be "", null or absent'
STILL_PENDING = "a validation may stay pending for minutes before it settles"
RESULT_INFO = "result_info is optional, and its paging numbers are each implementation's own"
NOT_THE_RUNS = "records the run did not create (there before it, or another client's)"
_INDEX = re.compile(r"\[[^\]]*\]")


@dataclass(frozen=True)
class Answer:
    """One side's answer, normalised: its status (None: no answer) and body (`json`: the body was JSON)."""

    status: int | None
    body: Any = None
    json: bool = True
    missing: str | None = None  # why there is no answer (status None): not sent, or none came

    @property
    def shown_status(self) -> int | str:
        return self.status if self.status is not None else self.missing or "no answer"


@dataclass(frozen=True)
class Difference:
    """One place where the answers differ: `path` (e.g. `result.validated`, `result[r2].status`), its kind, both
    sides' values, and why the contract allows it (None: it does not)."""

    path: str
    kind: str
    a: Any
    b: Any
    allowed: str | None = None

    @property
    def field(self) -> str:
        """The path without list positions: what `--ignore-field` and noise name (`result.validated`)."""
        return _INDEX.sub("", self.path)


@dataclass(frozen=True)
class Policy:
    """What the user asked of the comparison."""

    ignore_fields: frozenset[str] = frozenset()
    ignore_order: bool = False
    strict: bool = False

    def ignores(self, difference: Difference) -> bool:
        return any(difference.field == name or difference.field.startswith(name + ".") for name in self.ignore_fields)


def differences(operation: str, a: Answer, b: Answer, policy: Policy = Policy()) -> list[Difference]:
    """Every difference between the two answers to one case, in a stable order (ignored fields dropped)."""
    found = _Walk(operation, policy.ignore_order)
    found.answers(a, b)
    return [difference for difference in found.found if not policy.ignores(difference)]


def is_divergence(difference: Difference, policy: Policy) -> bool:
    return difference.allowed is None or policy.strict


@dataclass
class _Walk:
    operation: str
    ignore_order: bool
    found: list[Difference] = field(default_factory=list)

    def add(self, path: str, kind: str, a: Any, b: Any, allowed: str | None = None) -> None:
        self.found.append(Difference(path, kind, a, b, allowed))

    def answers(self, a: Answer, b: Answer) -> None:
        if a.status != b.status:
            self.add("status", "status", a.shown_status, b.shown_status)
        if a.status is None or b.status is None or a.status == 204 or b.status == 204:
            return  # no body to compare (an answer missing, or the contract's empty 204)
        if a.json != b.json:
            self.add("body", "envelope", "JSON" if a.json else "not JSON", "JSON" if b.json else "not JSON")
            return
        if not (isinstance(a.body, dict) and isinstance(b.body, dict)):
            if a.body != b.body:
                self.add("body", "envelope", _kind(a.body), _kind(b.body))
            return
        self.envelope(a.body, b.body)

    def envelope(self, a: dict[str, Any], b: dict[str, Any]) -> None:
        for key in _keys(a, b):
            if key not in a or key not in b:
                allowed = None if key in ENVELOPE else RESULT_INFO if key == "result_info" else EXTRA_FIELD
                self.add(key, "envelope", _presence(a, key), _presence(b, key), allowed)
            elif key == "errors":
                self.notes(key, a[key], b[key], ERRORS_ARE_THEIRS, empty_matters=True)
            elif key == "messages":
                self.notes(key, a[key], b[key], MESSAGES_ARE_THEIRS, empty_matters=False)
            elif key == "result" and isinstance(a[key], list) and isinstance(b[key], list):
                self.listing(key, a[key], b[key])
            elif key in ENVELOPE:
                self.value(key, a[key], b[key])
            elif a[key] != b[key]:
                self.add(key, "value", a[key], b[key], RESULT_INFO if key == "result_info" else EXTRA_FIELD)

    def notes(self, path: str, a: Any, b: Any, allowed: str, *, empty_matters: bool) -> None:
        if not (isinstance(a, list) and isinstance(b, list)):
            self.value(path, a, b)
        elif empty_matters and bool(a) != bool(b):
            self.add(path, "presence", _count(a), _count(b))
        elif a != b:
            self.add(path, "value", a, b, allowed)

    def listing(self, path: str, a: list[Any], b: list[Any]) -> None:
        a_roles, b_roles = _roles(a), _roles(b)
        if a_roles is None or b_roles is None:
            self.value(path, a, b)
            return
        outside_a, outside_b = a_roles.count(UNKNOWN_ROLE), b_roles.count(UNKNOWN_ROLE)
        if outside_a != outside_b:
            self.add(f"{path}[?]", "contents", f"{outside_a} record(s)", f"{outside_b} record(s)", NOT_THE_RUNS)
        mine_a = [role for role in a_roles if role != UNKNOWN_ROLE]
        mine_b = [role for role in b_roles if role != UNKNOWN_ROLE]
        if sorted(mine_a) != sorted(mine_b):
            self.add(path, "contents", mine_a, mine_b)
        elif mine_a != mine_b and not self.ignore_order:
            self.add(path, "order", mine_a, mine_b)
        by_role_b = {role: item for role, item in zip(b_roles, b, strict=True)}
        for role, item in zip(a_roles, a, strict=True):
            if role != UNKNOWN_ROLE and role in by_role_b:
                self.record(f"{path}[{role}]", item, by_role_b.pop(role))

    def value(self, path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict) and ("id" in a or "id" in b):
            self.record(path, a, b)
        elif isinstance(a, dict) and isinstance(b, dict):
            for key in _keys(a, b):
                if key not in a or key not in b:
                    self.add(f"{path}.{key}", "presence", _presence(a, key), _presence(b, key))
                else:
                    self.value(f"{path}.{key}", a[key], b[key])
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for index, (left, right) in enumerate(zip(a, b, strict=True)):
                self.value(f"{path}[{index}]", left, right)
        elif a != b or type(a) is not type(b):
            self.add(path, "value", a, b)

    def record(self, path: str, a: dict[str, Any], b: dict[str, Any]) -> None:
        pending = self.operation != api.ADD and _one_pending(a, b)
        for key in _keys(a, b):
            where = f"{path}.{key}"
            if key not in a or key not in b:
                present = a.get(key, b.get(key))
                if key not in RECORD_FIELDS:
                    allowed: str | None = EXTRA_FIELD
                elif key == "validated" and present == EMPTY:
                    allowed = VALIDATED_EMPTY
                elif key == "validated" and pending:
                    allowed = STILL_PENDING
                else:
                    allowed = None
                self.add(where, "presence", _presence(a, key), _presence(b, key), allowed)
            elif a[key] == b[key] and type(a[key]) is type(b[key]):
                continue
            elif key not in RECORD_FIELDS:
                self.add(where, "value", a[key], b[key], EXTRA_FIELD)
            elif key in ("status", "validated") and pending:
                self.add(where, "value", a[key], b[key], STILL_PENDING)
            else:
                self.value(where, a[key], b[key])


def _one_pending(a: dict[str, Any], b: dict[str, Any]) -> bool:
    statuses = {a.get("status"), b.get("status")}
    return PENDING in statuses and bool(statuses & SETTLED)


def _roles(items: Sequence[Any]) -> list[str] | None:
    """Each listed record's role (`UNKNOWN_ROLE` for one the run did not create); None when not a list of records."""
    roles = []
    for item in items:
        token = item.get("id") if isinstance(item, dict) else None
        if not isinstance(token, str) or not token.startswith("<id of "):
            return None
        roles.append(token.removeprefix("<id of ").removesuffix(">"))
    return roles


def _keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [*a, *(key for key in b if key not in a)]


def _presence(body: dict[str, Any], key: str) -> str:
    return "present" if key in body else "absent"


def _count(items: Collection[Any]) -> str:
    return f"{len(items)} item(s)"


def _kind(value: Any) -> str:
    return "an object" if isinstance(value, dict) else type(value).__name__ if value is not None else "null"
