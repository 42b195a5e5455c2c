"""Fixtures of the mock's tests: the mock served by uvicorn on 127.0.0.1, and a fresh account per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"


@pytest.fixture(scope="session")
def mock_url() -> Iterator[str]:
    """The base URL (`.../client/v4`) of a mock with the default config, shared by the session."""
    with serve_in_thread(create_app(MockConfig())) as url:
        yield url + "/client/v4"


@pytest.fixture(scope="session")
def scoped_mock_url() -> Iterator[str]:
    """The base URL of a mock whose credentials may only use the account ACCOUNT."""
    with serve_in_thread(create_app(MockConfig(accounts=(ACCOUNT,)))) as url:
        yield url + "/client/v4"


@pytest.fixture
def scoped_account() -> str:
    """The one account the scoped mock's credentials may use."""
    return ACCOUNT


@pytest.fixture
def account() -> str:
    """An account id no other test uses, so that tests sharing one mock do not see each other's buckets."""
    return uuid.uuid4().hex


@pytest.fixture
def api(mock_url: str) -> Iterator[httpx.Client]:
    """An HTTP client of the shared mock that sends the development token."""
    with httpx.Client(base_url=mock_url, headers={"Authorization": f"Bearer {DEV_TOKEN}"}) as client:
        yield client
