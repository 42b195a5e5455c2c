"""Schemathesis's phases over the target: one engine run as a task the gate can run beside others, every request
through the run's sender, each ownership it creates tracked as its answer arrives, its events recorded (`events`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from pcaps_contract.engine.events import RunState, record_events
from pcaps_contract.engine.ownerships import track_created

if TYPE_CHECKING:
    from pcaps_contract.engine.sender import AnyOf, PoliteAdapter


def engine_task(
    schema: Any, run: RunState, stop: AnyOf, adapter: PoliteAdapter | None = None, accounts: Sequence[str] = ()
) -> Callable[[], None]:
    """One schemathesis engine run over `schema`, verdicts into the ledger, until it ends or `stop` is set.

    Every request goes through `adapter` (a served target's sender, writes pinned to `accounts`). Its cases depend
    on its own schema and seed only, so it may run beside others.
    """
    from pcaps_contract.engine.routing import routed

    def task() -> None:
        if stop.is_set():
            return
        if adapter is None:
            record_events(schema_engine(schema), stop, run)
            return
        with routed(schema, adapter, partial(track_created, run.registry), tuple(accounts)):
            record_events(schema_engine(schema), stop, run)

    return task


def schema_engine(schema: Any) -> Any:
    """The event stream of one schemathesis engine run over `schema`."""
    from schemathesis.engine import from_schema

    return from_schema(schema).execute()
