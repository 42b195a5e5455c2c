"""Rehearsal faults: off by default; when switched on, seeded 429s with Retry-After, 500s and added latency."""

from __future__ import annotations

import time

import cloudflare
import httpx
import pytest

from pcaps_contract.mock import DEV_TOKEN, MockConfig, create_app
from pcaps_contract.mock._server import serve_in_thread
from pcaps_contract.openapi.spec import Spec

AUTH = {"Authorization": f"Bearer {DEV_TOKEN}"}
LIST = "/client/v4/accounts/023e105f4ecef8ad9ca31a8372d0c353/pcaps/ownership"


def _statuses(config: MockConfig, count: int) -> list[int]:
    with serve_in_thread(create_app(config)) as url, httpx.Client(base_url=url, headers=AUTH) as client:
        return [client.get(LIST).status_code for _ in range(count)]


def test_no_fault_happens_by_default(mock_url: str) -> None:
    with httpx.Client(base_url=mock_url.removesuffix("/client/v4"), headers=AUTH) as client:
        statuses = {client.get(LIST).status_code for _ in range(50)}

    assert MockConfig().faults_enabled is False
    assert statuses == {200}


def test_rate_limiting_answers_429_with_retry_after_in_the_envelope(spec: Spec) -> None:
    config = MockConfig(rate_limit_rate=1.0, retry_after=7)

    with serve_in_thread(create_app(config)) as url:
        response = httpx.get(url + LIST, headers=AUTH)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert spec.errors("/components/schemas/FailureResponse", response.json()) == []
    assert response.json()["errors"][0]["code"] == 1010


def test_server_errors_answer_500_in_the_envelope(spec: Spec) -> None:
    with serve_in_thread(create_app(MockConfig(server_error_rate=1.0))) as url:
        response = httpx.get(url + LIST, headers=AUTH)

    assert response.status_code == 500
    assert spec.errors("/components/schemas/FailureResponse", response.json()) == []


def test_fault_rates_are_roughly_honoured_and_repeat_with_the_seed() -> None:
    config = MockConfig(rate_limit_rate=0.2, server_error_rate=0.1, seed=42)

    first, second = _statuses(config, 200), _statuses(config, 200)
    other_seed = _statuses(MockConfig(rate_limit_rate=0.2, server_error_rate=0.1, seed=43), 200)

    assert first == second
    assert first != other_seed
    assert 20 <= first.count(429) <= 60
    assert 5 <= first.count(500) <= 35
    assert first.count(200) == 200 - first.count(429) - first.count(500)


def test_latency_delays_every_api_answer() -> None:
    with serve_in_thread(create_app(MockConfig(latency=0.2))) as url:
        start = time.perf_counter()
        httpx.get(url + LIST, headers=AUTH)
        elapsed = time.perf_counter() - start

    assert elapsed >= 0.2


def test_the_sdk_retries_a_rate_limited_request_after_retry_after() -> None:
    # At seed 1 the first draw (0.13) is a 429 and the second (0.85) is not.
    config = MockConfig(rate_limit_rate=0.5, retry_after=1, seed=1)
    with (
        serve_in_thread(create_app(config)) as url,
        cloudflare.Cloudflare(base_url=url + "/client/v4", api_token=DEV_TOKEN, max_retries=2) as client,
    ):
        start = time.perf_counter()
        result = client.magic_transit.pcaps.ownership.get(account_id="a")
        elapsed = time.perf_counter() - start

    assert list(result) == []
    assert elapsed >= 1.0


def test_without_retries_the_sdk_raises_rate_limit_error() -> None:
    with (
        serve_in_thread(create_app(MockConfig(rate_limit_rate=1.0))) as url,
        cloudflare.Cloudflare(base_url=url + "/client/v4", api_token=DEV_TOKEN, max_retries=0) as client,
        pytest.raises(cloudflare.RateLimitError) as raised,
    ):
        client.magic_transit.pcaps.ownership.get(account_id="a")

    assert raised.value.errors[0].code == 1010


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"rate_limit_rate": 1.5}, "rate-limit-rate must be a share between 0 and 1"),
        ({"server_error_rate": -0.1}, "server-error-rate must be a share between 0 and 1"),
        ({"rate_limit_rate": 0.6, "server_error_rate": 0.6}, "together must not exceed 1"),
        ({"latency": -1.0}, "latency must be between 0 and 60 seconds"),
        ({"latency": float("nan")}, "latency must be between 0 and 60 seconds"),
        ({"retry_after": -1}, "retry-after must be 0 seconds or more"),
    ],
)
def test_fault_settings_that_cannot_work_are_refused(settings: dict[str, float], message: str) -> None:
    from pcaps_contract._errors import UsageError

    with pytest.raises(UsageError, match=message):
        MockConfig(**settings)  # type: ignore[arg-type]
