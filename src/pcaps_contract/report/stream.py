"""One stream of a run's events, and the one shape of everything that handles it: a `Listener` is called with each
event in turn, from any thread of the run.

Every output of a run is a listener of this stream: the live progress line, events.ndjson, the live print of a
violation. A new output is one new listener; no run knows how its results are shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pcaps_contract._credentials import Credentials
    from pcaps_contract.judge import Failure
    from pcaps_contract.report.run_report import RunReport


@dataclass(frozen=True)
class RunStarted:
    """The run began: its report's metadata are known, its ledger fills as the run goes."""

    report: RunReport


@dataclass(frozen=True)
class FailureFound:
    """A check failed, as the ledger recorded it.

    `credentials`: those of the request that found it, when the run learns them from the traffic (the proxy's
    clients); None when they are the run's own.
    """

    failure: Failure
    credentials: Credentials | None = None


@dataclass(frozen=True)
class Progressed:
    """What the run has counted so far, as its door's progress line shows it; `last`: the run is over."""

    snapshot: Any
    last: bool = False


@dataclass(frozen=True)
class Noted:
    """One line of a run's event log, named and with its fields (each redacted and cut where it is written)."""

    name: str
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class RunFinished:
    """The run is over and its report whole: told by the door that finished it, after its report files."""

    report: RunReport


Event = RunStarted | FailureFound | Progressed | Noted | RunFinished
Listener = Callable[[Event], None]


def fan_out(*listeners: Listener | None) -> Listener:
    """One listener that hands each event to each of `listeners` in the order given (a None is left out)."""
    chosen = tuple(listener for listener in listeners if listener is not None)

    def handle(event: Event) -> None:
        for listener in chosen:
            listener(event)

    return handle
