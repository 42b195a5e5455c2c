"""The clients' retries on scripted answers, sync and async alike: which answers are tried again, after how long,
and what is raised once the tries are spent. Waits are recorded through the client's `sleep`, never slept."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pcaps_client import (
    AsyncPcapsClient,
    ContractViolation,
    PcapsApiError,
    PcapsClient,
    PcapsClientError,
    ResponseTooLarge,
)
from pcaps_client.api.ownership import list_buckets

from tests.client.drivers import Driver, Handler

RECORD = {
    "id": "9883874ecac311ec8475433579a6bf5f",
    "destination_conf": "s3://pcaps-bucket?region=us-east-1",
    "filename": "ownership-challenge-9883874ecac311ec8475433579a6bf5f.txt",
    "status": "pending",
    "submitted": "2020-01-01T08:00:00Z",
    "validated": "",
}
Answer = httpx.Response | Exception


def _ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"errors": [], "messages": [], "result": result, "success": True})


def _failure(status: int, code: int = 1000, **headers: str) -> httpx.Response:
    body = {
        "errors": [{"code": code, "message": f"failure {status}"}],
        "messages": [],
        "result": None,
        "success": False,
    }
    return httpx.Response(status, json=body, headers={name.replace("_", "-"): value for name, value in headers.items()})


def _script(*answers: Answer, sent: list[httpx.Request] | None = None) -> Handler:
    """A handler giving the answers in order (an exception is raised, as a lost connection), the last one forever."""
    queue = list(answers)
    requests = sent if sent is not None else []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


# -- what is tried again -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_a_retried_status_then_a_success_returns_the_success(driver: Driver, status: int) -> None:
    client = driver.client(handler=_script(_failure(status), _ok([RECORD])))

    assert [bucket.id for bucket in driver.call(client, "list_buckets", "acc")] == [RECORD["id"]]
    assert driver.statuses == [status, 200]
    assert len(driver.waits) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 413, 415, 422])
def test_a_client_error_is_raised_at_once_without_a_retry(driver: Driver, status: int) -> None:
    client = driver.client(handler=_script(_failure(status, 1001), _ok([RECORD])))

    with pytest.raises(PcapsApiError) as raised:
        driver.call(client, "list_buckets", "acc")

    assert (raised.value.status_code, raised.value.errors[0].code) == (status, 1001)
    assert driver.statuses == [status]
    assert driver.waits == []


def test_x_should_retry_false_stops_a_retry_and_true_asks_for_one(driver: Driver) -> None:
    refused = driver.client(handler=_script(_failure(503, x_should_retry="false"), _ok([])))
    with pytest.raises(PcapsApiError):
        driver.call(refused, "list_buckets", "acc")
    assert driver.statuses == [503]

    asked = driver.client(handler=_script(_failure(400, x_should_retry="true"), _ok([])))
    assert driver.call(asked, "list_buckets", "acc") == []
    assert driver.statuses == [503, 400, 200]


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut")]
)
def test_a_lost_connection_or_a_timeout_is_tried_again(driver: Driver, error: Exception) -> None:
    client = driver.client(handler=_script(error, _ok([])))

    assert driver.call(client, "list_buckets", "acc") == []
    assert driver.statuses == [200]
    assert len(driver.waits) == 1


def test_a_connection_that_keeps_failing_raises_the_last_error_after_max_retries(driver: Driver) -> None:
    sent: list[httpx.Request] = []
    client = driver.client(handler=_script(httpx.ConnectError("refused"), sent=sent))

    with pytest.raises(httpx.ConnectError):
        driver.call(client, "list_buckets", "acc")

    assert len(sent) == 3
    assert len(driver.waits) == 2


@pytest.mark.parametrize(
    ("answer", "raised"),
    [
        (lambda: httpx.Response(500, content=b" " * 2_000_000), ResponseTooLarge),
        (lambda: httpx.Response(200, content=b"<html>"), ContractViolation),
    ],
    ids=["a 500 over the size cap", "a success that is not JSON"],
)
def test_an_answer_that_breaks_the_clients_limits_is_not_tried_again(
    driver: Driver, answer: Callable[[], httpx.Response], raised: type[Exception]
) -> None:
    sent: list[httpx.Request] = []
    client = driver.client(handler=_script(answer(), _ok([]), sent=sent))

    with pytest.raises(raised):
        driver.call(client, "list_buckets", "acc")

    assert len(sent) == 1
    assert driver.waits == []


def test_adding_a_bucket_is_retried_with_the_same_request_as_the_official_sdk_does(driver: Driver) -> None:
    sent: list[httpx.Request] = []
    client = driver.client(handler=_script(_failure(502), _ok(RECORD), sent=sent))

    assert driver.call(client, "add_bucket", "acc", RECORD["destination_conf"]).id == RECORD["id"]
    assert [(request.method, request.url.path) for request in sent] == [
        ("POST", "/client/v4/accounts/acc/pcaps/ownership")
    ] * 2
    assert [json.loads(request.content) for request in sent] == [{"destination_conf": RECORD["destination_conf"]}] * 2


# -- how long it waits ---------------------------------------------------------------------------------------------


def test_without_retry_after_the_waits_double_from_half_a_second_to_8_s_less_a_quarter_of_jitter(
    driver: Driver,
) -> None:
    client = driver.client(handler=_script(_failure(503)), max_retries=6)

    with pytest.raises(PcapsApiError):
        driver.call(client, "list_buckets", "acc")

    assert len(driver.statuses) == 7
    for wait, ceiling in zip(driver.waits, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0], strict=True):
        assert 0.75 * ceiling <= wait <= ceiling


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "3"}, 3.0),
        ({"Retry-After": "1.5"}, 1.5),
        ({"Retry-After": "60"}, 60.0),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
    ],
    ids=["seconds", "decimal seconds", "the cap of 60 s", "retry-after-ms first"],
)
def test_retry_after_sets_the_wait(driver: Driver, headers: dict[str, str], wait: float) -> None:
    client = driver.client(handler=_script(_failure(429, 1010, **headers), _ok([])))

    assert driver.call(client, "list_buckets", "acc") == []
    assert driver.waits == [wait]


def test_retry_after_as_an_http_date_waits_until_then(driver: Driver) -> None:
    when = email.utils.formatdate(time.time() + 10, usegmt=True)
    client = driver.client(handler=_script(_failure(503, Retry_After=when), _ok([])))

    driver.call(client, "list_buckets", "acc")

    assert len(driver.waits) == 1
    assert 8.0 <= driver.waits[0] <= 10.0


@pytest.mark.parametrize("value", ["0", "soon", "-5"], ids=["zero", "words", "negative"])
def test_a_retry_after_of_zero_or_unreadable_falls_back_to_the_backoff(driver: Driver, value: str) -> None:
    client = driver.client(handler=_script(_failure(429, Retry_After=value), _ok([])))

    driver.call(client, "list_buckets", "acc")

    assert len(driver.waits) == 1
    assert 0.375 <= driver.waits[0] <= 0.5


def test_a_retry_after_over_60_s_is_raised_at_once_for_the_caller_to_decide(driver: Driver) -> None:
    client = driver.client(handler=_script(_failure(429, 1010, Retry_After="300"), _ok([])))

    with pytest.raises(PcapsApiError) as raised:
        driver.call(client, "list_buckets", "acc")

    assert (raised.value.status_code, raised.value.retry_after) == (429, 300.0)
    assert driver.waits == []


# -- giving up -----------------------------------------------------------------------------------------------------


def test_after_max_retries_the_last_failure_is_raised_with_its_retry_after(driver: Driver) -> None:
    client = driver.client(handler=_script(_failure(429, 1010, Retry_After="2")))

    with pytest.raises(PcapsApiError) as raised:
        driver.call(client, "list_buckets", "acc")

    assert (raised.value.status_code, raised.value.retry_after, raised.value.errors[0].code) == (429, 2.0, 1010)
    assert driver.statuses == [429, 429, 429]
    assert driver.waits == [2.0, 2.0]


@pytest.mark.parametrize("max_retries", [0, 1, 4])
def test_max_retries_is_the_number_of_tries_after_the_first(driver: Driver, max_retries: int) -> None:
    client = driver.client(handler=_script(_failure(500)), max_retries=max_retries)

    with pytest.raises(PcapsApiError):
        driver.call(client, "list_buckets", "acc")

    assert len(driver.statuses) == max_retries + 1
    assert len(driver.waits) == max_retries


@pytest.mark.parametrize("client_class", [PcapsClient, AsyncPcapsClient])
def test_both_clients_retry_twice_by_default_with_the_standard_sleeps(client_class: type[PcapsClient]) -> None:
    built = client_class(api_token="t")

    assert (built.max_retries, built.sleep, built.async_sleep) == (2, time.sleep, asyncio.sleep)


@pytest.mark.parametrize("value", [-1, 1.5, "2", True, None], ids=repr)
def test_max_retries_must_be_a_whole_number_of_zero_or_more(value: Any) -> None:
    with pytest.raises(PcapsClientError, match="max_retries must be a whole number, 0 or more"):
        PcapsClient(api_token="t", max_retries=value)


def test_the_stock_functions_retry_too_when_given_a_pcaps_client(driver: Driver) -> None:
    client = driver.client(handler=_script(_failure(500), _ok([RECORD])))

    detailed = list_buckets.asyncio_detailed if driver.is_async else list_buckets.sync_detailed
    answer = driver.run(detailed("acc", client=client))

    assert answer.status_code == 200
    assert driver.statuses == [500, 200]
