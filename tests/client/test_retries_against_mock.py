"""The clients' retries against the mock's rehearsal faults (429 with Retry-After, 500), sync and async alike,
in-process and over a real socket on 127.0.0.1; waits are recorded through the client's `sleep`, never slept."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pcaps_client import PcapsApiError
from pcaps_client.models import OwnershipStatus

from pcaps_contract.mock import MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from tests.client.drivers import AnyClient, Driver

# Seed 3 draws 429, 500 and success in an order with faults on the first request and never three in a row over the
# onboarding's requests, so that two retries always get through (a 0.2 share of each fault).
FLAKY = MockConfig(rate_limit_rate=0.2, server_error_rate=0.2, retry_after=2, seed=3)
WHERE = ["in-process", pytest.param("over a socket", marks=pytest.mark.sockets)]


@contextmanager
def _client_on(driver: Driver, config: MockConfig, where: str, **options: Any) -> Iterator[AnyClient]:
    app = create_app(config)
    if where == "in-process":
        yield driver.client(app=app, **options)
        return
    with serve_in_thread(app) as origin:
        yield driver.client(f"{origin}/client/v4", **options)


@pytest.mark.parametrize("where", WHERE)
def test_the_onboarding_gets_through_429s_and_500s_with_the_waits_they_ask_for(driver: Driver, where: str) -> None:
    account = uuid.uuid4().hex
    with _client_on(driver, FLAKY, where) as client:
        added = driver.call(client, "add_bucket", account, "s3://pcaps-bucket?region=us-east-1")
        assert [bucket.id for bucket in driver.call(client, "list_buckets", account)] == [added.id]
        challenge = driver.challenge(client, account, added.id)
        validated = driver.call(client, "validate_bucket", account, added.destination_conf, challenge)
        assert validated.status is OwnershipStatus.SUCCESS
        driver.call(client, "delete_bucket", account, added.id)
        assert driver.call(client, "list_buckets", account) == []

    faults = [status for status in driver.statuses if status in (429, 500)]
    assert driver.statuses[0] in (429, 500) and {429, 500} <= set(faults)
    assert len(driver.waits) == len(faults)
    for status, wait in zip(faults, driver.waits, strict=True):
        assert wait == 2.0 if status == 429 else 0.375 <= wait <= 1.0


@pytest.mark.parametrize("where", WHERE)
def test_a_rate_limit_that_lasts_raises_pcaps_api_error_with_retry_after_after_two_retries(
    driver: Driver, where: str
) -> None:
    with (
        _client_on(driver, MockConfig(rate_limit_rate=1.0, retry_after=3), where) as client,
        pytest.raises(PcapsApiError) as raised,
    ):
        driver.call(client, "list_buckets", uuid.uuid4().hex)

    assert (raised.value.status_code, raised.value.retry_after) == (429, 3.0)
    assert raised.value.errors[0].code == 1010
    assert driver.statuses == [429, 429, 429]
    assert driver.waits == [3.0, 3.0]


@pytest.mark.parametrize("where", WHERE)
def test_server_errors_that_last_are_raised_after_max_retries(driver: Driver, where: str) -> None:
    with (
        _client_on(driver, MockConfig(server_error_rate=1.0), where, max_retries=3) as client,
        pytest.raises(PcapsApiError) as raised,
    ):
        driver.call(client, "add_bucket", uuid.uuid4().hex, "gs://pcaps-bucket")

    assert (raised.value.status_code, raised.value.retry_after, raised.value.errors[0].code) == (500, None, 1011)
    assert driver.statuses == [500] * 4


@pytest.mark.parametrize(
    ("operation", "arguments", "status"),
    [
        ("add_bucket", ("ftp://not-a-bucket",), 400),
        ("delete_bucket", ("0" * 32,), 404),
        ("list_buckets", (), 403),
    ],
    ids=["400 invalid field", "404 unknown record", "403 another account"],
)
def test_the_mocks_refusals_are_raised_at_once(
    driver: Driver, operation: str, arguments: tuple[str, ...], status: int
) -> None:
    allowed, account = uuid.uuid4().hex, uuid.uuid4().hex
    config = MockConfig(accounts=(allowed if status == 403 else account,))
    with _client_on(driver, config, "in-process") as client, pytest.raises(PcapsApiError) as raised:
        driver.call(client, operation, account, *arguments)

    assert raised.value.status_code == status
    assert driver.statuses == [status]
    assert driver.waits == []


def test_max_retries_zero_raises_the_first_fault(driver: Driver) -> None:
    with (
        _client_on(driver, MockConfig(rate_limit_rate=1.0, retry_after=0), "in-process", max_retries=0) as client,
        pytest.raises(PcapsApiError) as raised,
    ):
        driver.call(client, "list_buckets", uuid.uuid4().hex)

    assert (raised.value.status_code, raised.value.retry_after) == (429, 0.0)
    assert driver.statuses == [429]
    assert driver.waits == []
