"""Every request schemathesis sends for a run goes through the run's one adapter (see `sender`).

Schemathesis sends from several places: the cases of its phases (through the schema's transport, with the
engine's per-thread sessions), the checks' own follow-up requests, and its start-up probes (with sessions of
their own). `routed` puts all of them behind the `PoliteAdapter` for as long as the run lasts: every session
schemathesis makes is adopted by the adapter, and every case is sent without following redirects.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from schemathesis.engine import context as engine_context
from schemathesis.transport.requests import REQUESTS_TRANSPORT, RequestsTransport

from pcaps_contract.engine.data import pinned_account
from pcaps_contract.engine.sender import PoliteAdapter, adopt

OnResponse = Callable[[Any, Any], object]  # what it answers is not read
# The adapter of each routed schema's configuration (schemathesis hands only the configuration to the
# function that makes its sessions). Entries live exactly as long as their `routed` block.
_ADAPTERS: dict[int, PoliteAdapter] = {}
_LOCK = threading.Lock()
_original_make_session = engine_context.make_session


def _make_session(config: Any, *, operation: Any = None) -> requests.Session:
    session = _original_make_session(config, operation=operation)
    adapter = _ADAPTERS.get(id(config))
    return adopt(session, adapter) if adapter is not None else session


class RoutedTransport(RequestsTransport):
    """Schemathesis's requests transport, sending through the adapter and never following a redirect."""

    def __init__(
        self, adapter: PoliteAdapter, on_response: OnResponse | None = None, accounts: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self._copy_serializers_from(REQUESTS_TRANSPORT)
        self.adapter = adapter
        self.on_response = on_response
        self.accounts = accounts

    def send(self, case: Any, *, session: requests.Session | None = None, **kwargs: Any) -> Any:
        if session is None:
            session = requests.Session()
        adopt(session, self.adapter)
        keep_writes_in(case, self.accounts)
        kwargs["allow_redirects"] = False
        kwargs["max_redirects"] = 0
        response = super().send(case, session=session, **kwargs)
        if self.on_response is not None:
            self.on_response(case, response)
        return response


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def keep_writes_in(case: Any, accounts: tuple[str, ...]) -> None:
    """A request that can create or change something goes to a given account, whatever schemathesis drew (the
    rule is `data.pinned_account`'s; reads may go to any account id)."""
    parameters = case.path_parameters
    if not accounts or not parameters or str(case.method).upper() not in _WRITES or "account_id" not in parameters:
        return
    parameters["account_id"] = pinned_account(parameters["account_id"], accounts)


@contextmanager
def routed(
    schema: Any, adapter: PoliteAdapter, on_response: OnResponse | None = None, accounts: tuple[str, ...] = ()
) -> Iterator[None]:
    """While inside, everything schemathesis sends for `schema` goes through `adapter`.

    `on_response(case, response)` sees each answer to a case before any check does; writes go only to `accounts`.
    """
    transport = RoutedTransport(adapter, on_response, accounts)
    original_class = type(schema)
    # The schema picks its transport through a property; a subclass made for this run answers with ours.
    schema.__class__ = type(original_class.__name__, (original_class,), {"transport": property(lambda _: transport)})
    with _LOCK:
        _ADAPTERS[id(schema.config)] = adapter
        engine_context.make_session = _make_session
    try:
        yield
    finally:
        with _LOCK:
            _ADAPTERS.pop(id(schema.config), None)
        schema.__class__ = original_class
