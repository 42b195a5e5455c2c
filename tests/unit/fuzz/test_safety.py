"""The fuzz run's refusals and budget parsing, each failing on bad input and passing on good."""

from __future__ import annotations

import pytest

from pcaps_contract._errors import UsageError
from pcaps_contract._urls import Refusal, is_loopback, parse_target
from pcaps_contract.engine.aim import checked_accounts as require_accounts
from pcaps_contract.fuzz.safety import MAX_DURATION, MAX_RATE, parse_duration, parse_rate


def check_target(base_url: str | None, *, allow_production: bool) -> str:
    """The canonical base URL a fuzz run aims at (read once, by `_urls.parse_target`)."""
    return parse_target(base_url, allow_production=allow_production).base_url


@pytest.mark.parametrize(
    "url",
    [
        "https://api.cloudflare.com/client/v4",
        "https://API.Cloudflare.com/client/v4",
        "https://api.cloudflare.com:443/client/v4",
    ],
)
def test_the_production_host_is_refused_without_allow_production(url: str) -> None:
    with pytest.raises(Refusal, match="production API"):
        check_target(url, allow_production=False)


def test_the_production_host_is_allowed_with_allow_production() -> None:
    url = "https://api.cloudflare.com/client/v4"
    assert check_target(url + "/", allow_production=True) == url


@pytest.mark.parametrize("url", ["http://staging.example.com/client/v4", "http://10.0.0.5:8787/client/v4"])
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(Refusal, match="plain http"):
        check_target(url, allow_production=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787/client/v4",
        "http://127.8.9.10/client/v4",
        "http://[::1]:8787/client/v4",
        "http://localhost:8787/client/v4",
        "https://staging.example.com/client/v4",
    ],
)
def test_https_anywhere_and_plain_http_to_loopback_are_accepted(url: str) -> None:
    assert check_target(url, allow_production=False) == url


@pytest.mark.parametrize("url", [None, "", "ftp://example.com", "staging.example.com/client/v4"])
def test_a_missing_or_non_http_target_is_a_usage_error(url: str | None) -> None:
    with pytest.raises(UsageError):
        check_target(url, allow_production=False)


@pytest.mark.parametrize("url", ["https:///client/v4", "http://:8787/client/v4", "https://", "https://:443/client/v4"])
def test_a_target_without_a_host_is_refused(url: str) -> None:
    with pytest.raises(Refusal, match="has no host"):
        check_target(url, allow_production=False)


def test_loopback_detection_does_not_trust_look_alike_names() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("[::1]")
    assert not is_loopback("127.0.0.1.example.com") and not is_loopback("localhost.example.com")
    assert not is_loopback("api.localhost") and not is_loopback("127.1") and not is_loopback("0.0.0.0")


def test_a_run_without_an_account_is_refused() -> None:
    with pytest.raises(Refusal, match=r"^no account: pass --account-id \(or set CLOUDFLARE_ACCOUNT_ID\); a run never"):
        require_accounts([])


def test_accounts_are_kept_in_order_without_duplicates() -> None:
    assert require_accounts(["a" * 32, "b", "a" * 32]) == ("a" * 32, "b")


def test_an_account_id_longer_than_32_characters_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not an account id"):
        require_accounts(["a" * 33])


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("10m", 600), ("1h30m", 5400), ("45", 45), ("1.5s", 1.5), ("0.5s", 0.5)]
)
def test_durations_are_read_in_seconds_minutes_and_hours(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "0s", "-5m", "8d", "10m30x"])
def test_a_malformed_or_empty_duration_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--duration"):
        parse_duration(text)


@pytest.mark.parametrize(("text", "per_second"), [("20/s", 20), ("300/min", 5), ("3600/h", 1), ("0.5/s", 0.5)])
def test_rates_are_read_per_second_minute_and_hour(text: str, per_second: float) -> None:
    assert parse_rate(text).per_second == pytest.approx(per_second)


@pytest.mark.parametrize("text", ["20", "fast", "0/s", "5000/s", "20/day"])
def test_a_malformed_or_unsafe_rate_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--rate-limit"):
        parse_rate(text)


def test_a_duration_may_be_anything_above_0_up_to_exactly_7_days() -> None:
    assert MAX_DURATION == 7 * 24 * 3600
    assert parse_duration("168h") == parse_duration("604800") == MAX_DURATION
    assert parse_duration("0.001s") == 0.001
    for text in ("168h1s", "604800.5", "0", "0h0m0s"):
        with pytest.raises(UsageError, match="must be more than 0 and at most 7 days"):
            parse_duration(text)


def test_a_rate_may_be_anything_above_0_up_to_exactly_1000_per_second() -> None:
    assert MAX_RATE == 1000
    assert parse_rate("1000/s").per_second == parse_rate("3600000/h").per_second == MAX_RATE
    assert parse_rate("1/hour").per_second == pytest.approx(1 / 3600)
    for text in ("1000.5/s", "60001/min", "0/min"):
        with pytest.raises(UsageError, match="must be more than 0 and at most 1000 requests per second"):
            parse_rate(text)


def test_a_rate_keeps_the_text_it_was_read_from_without_surrounding_spaces() -> None:
    rate = parse_rate("  300 / MIN ")
    assert (rate.count, rate.per, rate.text) == (300, 60, "300 / MIN")
