"""The mock's authentication: 401 when no credentials were sent, 403 for wrong ones or another account."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from pcaps_contract.mock._auth import authenticate, authorize_account
from pcaps_contract.mock._config import DEV_API_KEY, DEV_EMAIL, DEV_TOKEN, MockConfig
from pcaps_contract.mock._envelope import ApiError

CONFIG = MockConfig()
BEARER_FORM = "the Authorization header must be `Bearer <API token>`."
NOTHING_SENT = "Missing X-Auth-Key, X-Auth-Email or Authorization headers; send `Authorization: Bearer <API token>`."
WRONG_TOKEN = "Invalid API token; check the token you sent."
WRONG_PAIR = "Unknown X-Auth-Key or X-Auth-Email."


def refusal(headers: dict[str, str] | Headers, config: MockConfig = CONFIG) -> tuple[int, int, str]:
    """The status, error code and message that `authenticate` answers the headers with."""
    with pytest.raises(ApiError) as refused:
        authenticate(headers if isinstance(headers, Headers) else Headers(headers), config)
    [error] = refused.value.errors
    return refused.value.status, int(error.code), error.message


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {DEV_TOKEN}"},
        {"Authorization": f"bEARER {DEV_TOKEN}"},
        {"Authorization": f"  Bearer   {DEV_TOKEN}  "},
        {"X-Auth-Email": DEV_EMAIL, "X-Auth-Key": DEV_API_KEY},
        {"X-Auth-Email": f" {DEV_EMAIL} ", "X-Auth-Key": f" {DEV_API_KEY} "},
        # The token decides when both kinds are sent, as the real API does.
        {"Authorization": f"Bearer {DEV_TOKEN}", "X-Auth-Email": "wrong@example.com", "X-Auth-Key": "wrong"},
    ],
)
def test_the_accepted_token_or_key_pair_passes_in_any_case_of_bearer_and_around_spaces(
    headers: dict[str, str],
) -> None:
    authenticate(Headers(headers), CONFIG)


@pytest.mark.parametrize(
    ("headers", "answer"),
    [
        ({}, (401, 9106, NOTHING_SENT)),
        ({"Authorization": f"Basic {DEV_TOKEN}"}, (401, 9106, BEARER_FORM)),
        ({"Authorization": DEV_TOKEN}, (401, 9106, BEARER_FORM)),
        ({"Authorization": "Bearer    "}, (401, 9106, BEARER_FORM)),
        ({"Authorization": ""}, (401, 9106, BEARER_FORM)),
        ({"Authorization": "Bearer wrong"}, (403, 9109, WRONG_TOKEN)),
        ({"Authorization": f"Bearer {DEV_TOKEN}x"}, (403, 9109, WRONG_TOKEN)),
        ({"Authorization": f"Bearer {DEV_TOKEN[:-1]}"}, (403, 9109, WRONG_TOKEN)),
        ({"X-Auth-Email": DEV_EMAIL}, (401, 9106, "X-Auth-Email and X-Auth-Key go together; X-Auth-Key is missing.")),
        ({"X-Auth-Key": DEV_API_KEY}, (401, 9106, "X-Auth-Email and X-Auth-Key go together; X-Auth-Email is missing.")),
        ({"X-Auth-Email": DEV_EMAIL, "X-Auth-Key": "wrong"}, (403, 9103, WRONG_PAIR)),
        ({"X-Auth-Email": "wrong@example.com", "X-Auth-Key": DEV_API_KEY}, (403, 9103, WRONG_PAIR)),
        ({"X-Auth-Email": DEV_EMAIL, "X-Auth-Key": DEV_TOKEN}, (403, 9103, WRONG_PAIR)),
        ({"X-Auth-Email": DEV_API_KEY, "X-Auth-Key": DEV_EMAIL}, (403, 9103, WRONG_PAIR)),
    ],
)
def test_missing_credentials_are_401_and_wrong_ones_403_each_with_its_code_and_message(
    headers: dict[str, str], answer: tuple[int, int, str]
) -> None:
    assert refusal(headers) == answer


def test_an_empty_accepted_value_matches_nothing_not_even_an_empty_header() -> None:
    token_only = MockConfig(token="only-a-token", email="", api_key="")
    assert refusal({"X-Auth-Email": "", "X-Auth-Key": ""}, token_only) == (403, 9103, WRONG_PAIR)
    pair_only = MockConfig(token="", email="me@example.com", api_key="k")
    assert refusal({"Authorization": "Bearer x"}, pair_only) == (403, 9109, WRONG_TOKEN)


def test_a_non_ascii_token_is_compared_as_the_utf_8_bytes_a_client_sends() -> None:
    config = MockConfig(token="jeton-été")
    # Starlette reads header bytes as latin-1: the UTF-8 a client sends arrives as `Ã©`, and must still match.
    sent = Headers(raw=[(b"authorization", "Bearer jeton-été".encode())])
    authenticate(sent, config)
    latin_1 = Headers(raw=[(b"authorization", "Bearer jeton-été".encode("latin-1"))])
    assert refusal(latin_1, config) == (403, 9109, WRONG_TOKEN)


def test_an_account_outside_the_credentials_scope_is_403_and_no_scope_means_any_account() -> None:
    authorize_account("any", CONFIG)
    scoped = MockConfig(accounts=("a", "b"))
    authorize_account("b", scoped)
    with pytest.raises(ApiError) as refused:
        authorize_account("c", scoped)
    [error] = refused.value.errors
    assert (refused.value.status, int(error.code), error.message) == (
        403,
        10000,
        "Authentication error: the credentials are not allowed to use this account; check account_id.",
    )
