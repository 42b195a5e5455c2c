"""Role-based normalisation: one side's answer made comparable with the other's.

The same case sent to two implementations gets ids, challenge file names and timestamps of each side's own. They
are compared by role, not by value: an id becomes the role of the record it names (`<id of r1>`: the record the
first add of the run created, on that side), a filename the role whose add showed it, a `submitted` the role whose
add stamped it inside that side's request window; an empty `validated` ("" or null) one token. What is left is
compared by value. Pure: no sending, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pcaps_contract._limits import MAX_TRACKED_IDS
from pcaps_contract.judge import DEFAULT_CLOCK_SKEW, parse_rfc3339

EMPTY = "<empty>"
A_TIME = "<a time>"
UNKNOWN_ROLE = "unknown"
MAX_DEPTH = 64  # a bounded reader gave the body; this keeps the walk bounded whatever it holds


def id_token(role: str) -> str:
    return f"<id of {role}>"


@dataclass
class Roles:
    """What one side showed for each role of the run: the record's id, its challenge file and its `submitted`."""

    ids: dict[str, str] = field(default_factory=dict)  # id -> role
    filenames: dict[str, str] = field(default_factory=dict)  # role -> filename first shown
    submitted: dict[str, str] = field(default_factory=dict)  # role -> submitted first shown

    def name(self, ownership_id: object, role: str) -> None:
        """The record `ownership_id` plays `role` on this side (its add answered it); beyond `MAX_TRACKED_IDS` roles
        (a recording of endless adds) a record is no role of the run's, compared as another client's."""
        if isinstance(ownership_id, str) and (ownership_id in self.ids or len(self.ids) < MAX_TRACKED_IDS):
            self.ids[ownership_id] = role

    def id_of(self, role: str) -> str | None:
        return next((ownership_id for ownership_id, named in self.ids.items() if named == role), None)

    def role_of(self, ownership_id: object) -> str | None:
        return self.ids.get(ownership_id) if isinstance(ownership_id, str) else None


@dataclass(frozen=True)
class Window:
    """The request's time window on this side (UTC wall clock), widened by the clock skew allowed."""

    sent: datetime | None
    read: datetime | None
    skew: timedelta = DEFAULT_CLOCK_SKEW

    def holds(self, instant: datetime) -> bool:
        if self.sent is None or self.read is None:
            return False
        return self.sent - self.skew <= instant <= self.read + self.skew


def normalized(body: Any, roles: Roles, window: Window, *, adding: bool = False) -> Any:
    """The body with every role-bound value replaced by its role's token (`roles` learns first sightings).

    `adding`: the body answers an add, so a `submitted` inside the window is that record's stamp.
    """
    return _walk(body, roles, window, adding, 0)


def _walk(value: Any, roles: Roles, window: Window, adding: bool, depth: int) -> Any:
    if depth > MAX_DEPTH:
        return "<too deep>"
    if isinstance(value, list):
        return [_walk(item, roles, window, adding, depth + 1) for item in value]
    if not isinstance(value, dict):
        return value
    if isinstance(value.get("id"), str):
        return _record(value, roles, window, adding, depth)
    return {key: _walk(item, roles, window, adding, depth + 1) for key, item in value.items()}


def _record(record: dict[str, Any], roles: Roles, window: Window, adding: bool, depth: int) -> dict[str, Any]:
    role = roles.role_of(record["id"]) or UNKNOWN_ROLE
    shown: dict[str, Any] = {}
    for key, value in record.items():
        if key == "id":
            shown[key] = id_token(role)
        elif key == "filename":
            shown[key] = _learned(roles.filenames, role, value, f"<filename of {role}>")
        elif key == "submitted":
            shown[key] = _submitted(value, role, roles, window, adding)
        elif key == "validated":
            shown[key] = _validated(value)
        else:
            shown[key] = _walk(value, roles, window, adding, depth + 1)
    return shown


def _learned(seen: dict[str, str], role: str, value: Any, token: str) -> Any:
    """The token when the value is the one this role first showed (learning it on first sight), else the value."""
    if role == UNKNOWN_ROLE or not isinstance(value, str) or not value:
        return value
    first = seen.setdefault(role, value)
    return token if value == first else value


def _submitted(value: Any, role: str, roles: Roles, window: Window, adding: bool) -> Any:
    instant = parse_rfc3339(value)
    if instant is None or role == UNKNOWN_ROLE:
        return value
    if role not in roles.submitted:
        if not (adding and window.holds(instant)):
            return f"{value} (outside its add's window)" if adding else value
        roles.submitted[role] = value
    return f"<submitted of {role}>" if parse_rfc3339(roles.submitted[role]) == instant else value


def _validated(value: Any) -> Any:
    if value is None or value == "":
        return EMPTY
    return A_TIME if parse_rfc3339(value) is not None else value
