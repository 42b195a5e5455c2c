"""The bounds of a server of ours, as plain values: the connection cap follows the open-file limit."""

from __future__ import annotations

import resource

import pytest
import uvicorn

from pcaps_contract._limits import MAX_CONNECTIONS, MIN_CONNECTIONS
from pcaps_contract._serving import GuardedH11Protocol, GuardedHttpToolsProtocol, Limits, guard


@pytest.mark.parametrize(
    ("soft", "cap"),
    [(1024, 512), (256, 128), (20, MIN_CONNECTIONS), (1 << 20, MAX_CONNECTIONS), (resource.RLIM_INFINITY, 1000)],
)
def test_the_connection_cap_is_half_the_open_file_limit_within_bounds(
    monkeypatch: pytest.MonkeyPatch, soft: int, cap: int
) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (soft, resource.RLIM_INFINITY))
    assert Limits().connection_cap() == cap
    assert Limits(connections=7).connection_cap() == 7


@pytest.mark.parametrize(("http", "base"), [("httptools", GuardedHttpToolsProtocol), ("h11", GuardedH11Protocol)])
def test_guard_serves_every_connection_of_a_config_through_the_guarded_protocol(http: str, base: type) -> None:
    config = uvicorn.Config(lambda scope, receive, send: None, http="auto")
    limits = Limits(head_seconds=3, head_bytes=4096, connections=9, http=http)  # type: ignore[arg-type]
    guard(config, limits)
    config.load()
    protocol = config.http_protocol_class
    assert issubclass(protocol, base)
    assert (protocol.limits, protocol.cap) == (limits, 9)  # type: ignore[attr-defined]
    assert config.h11_max_incomplete_event_size == 4096
