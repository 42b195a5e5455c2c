"""Fixtures shared by every test of the toolkit."""

from __future__ import annotations

import pytest

from pcaps_contract.spec import Spec, load_spec


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The bundled spec, loaded once."""
    return load_spec()
