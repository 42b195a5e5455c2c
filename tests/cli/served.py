"""Implementations served on 127.0.0.1 for the passive judges' tests: the mock, and gallery variants of it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.gallery import broken


@contextmanager
def served_mock() -> Iterator[str]:
    """The correct mock (any account, the development credentials); yields its base URL ending in /client/v4."""
    with serve_in_thread(create_app(MockConfig())) as url:
        yield url + "/client/v4"


@contextmanager
def served_variant(name: str) -> Iterator[str]:
    """A gallery variant in front of a mock that accepts any account, so that a plain `schemathesis run` (which
    cannot pin the account) reaches the success paths; yields its base URL ending in /client/v4."""
    original = getattr(broken, name)
    variant = broken.Broken(original.respond, original.request)
    variant._app = create_app(MockConfig())
    with serve_in_thread(variant) as url:
        yield url + "/client/v4"
