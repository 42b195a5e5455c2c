"""A clock for tests: it moves only when the test moves it, so no test waits on the wall clock."""

from __future__ import annotations


class Clock:
    """A clock that moves only when told (`clock.now += seconds`)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
