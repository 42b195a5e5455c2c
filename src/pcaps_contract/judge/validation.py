"""The validation flow: a validation's outcome, waited out while it is `pending`, and the views that follow it.

The real API may take minutes to verify a challenge, so a validation with the delivered challenge may answer
`pending`. The record is then looked at in the account's list, at pauses of 1 s doubling to 10 s, for at most
`--validation-wait` seconds in all (each look a request through the run's sender: its rate limit and budget). A
record that settles is judged as the list shows it; one that stays `pending` leaves the outcome not judged, with
that reason. The run waits this way until one validation has settled or one never did: later `pending` answers are
not judged (as before any wait), so a server that verifies slowly costs the run one wait, not one per validation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from pcaps_contract.judge import checks

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 10.0
SETTLED = ("success", "failed")


def pauses(wait: float) -> Iterator[float]:
    """The pauses before each look at a pending record: 1 s, doubling up to 10 s, never more than `wait` in all."""
    left, pause = wait, FIRST_PAUSE
    while left > 0:
        step = min(pause, left)
        yield step
        left -= step
        pause = min(2 * pause, LONGEST_PAUSE)


def is_pending(validation: checks.Exchange) -> bool:
    """Whether a validation answered 200 with its record still `pending` (not verified yet)."""
    record = next(validation.ownerships(), None)
    return validation.status == 200 and record is not None and record.get("status") == "pending"


def settled_record(listing: checks.Exchange, ownership_id: str) -> Mapping[str, Any] | None:
    """The record a list shows under this id once its status is settled (`success` or `failed`), else None."""
    shown = next((record for record in listing.ownerships() if record.get("id") == ownership_id), None)
    return shown if shown is not None and shown.get("status") in SETTLED else None


def narrowed(listing: checks.Exchange, keep: Callable[[Mapping[str, Any]], bool]) -> checks.Exchange:
    """A list answer showing only the records `keep` accepts (the rest of its envelope as it was)."""
    body = listing.body
    if not isinstance(body, dict) or not isinstance(body.get("result"), list):
        return listing
    kept = [record for record in body["result"] if isinstance(record, dict) and keep(record)]
    return replace(listing, content=json.dumps({**body, "result": kept}).encode())


class Settling:
    """How the run waits out `pending` validations, shared by its lanes: `wait` seconds, until one settled
    (`settled`) or one never did (`unsettled`).

    `stop` waits for the run's stop signal (an Event's `wait`): True once it is set, so that no pause outlasts it.

    `unsettled` says why a validation's outcome was not judged, once one stayed `pending` for the whole wait.
    """

    def __init__(self, wait: float, stop: Callable[[float], bool] | None = None) -> None:
        self.wait = wait
        self.stop = stop
        self.unsettled: str | None = None
        self.settled = False
        self._lock = threading.Lock()

    @property
    def waits(self) -> bool:
        """Whether a `pending` answer is still waited out (no validation has settled or stayed pending yet)."""
        return not self.settled and self.unsettled is None

    def pauses(self) -> Iterator[float]:
        """The pauses of one wait."""
        return pauses(self.wait)

    def pause(self, seconds: float) -> bool:
        """Wait `seconds`, or less when the run stops; whether it stopped."""
        if self.stop is None:
            threading.Event().wait(seconds)
            return False
        return self.stop(seconds)

    def never_settled(self) -> None:
        with self._lock:
            self.unsettled = (
                f"a validation with the delivered challenge stayed `pending` for {self.wait:g}s (--validation-wait), "
                "so its outcome was not judged"
            )
