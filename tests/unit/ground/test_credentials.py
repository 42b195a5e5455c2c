"""Credentials: one kind at a time, read from options before the environment, and redacted whole or in part."""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract._credentials import FRAGMENT_MIN, Credentials, r2_secrets, resolve_credentials
from pcaps_contract._errors import UsageError

TOKEN = "tok-0123456789abcdefghij"
EMAIL = "ops@example.com"
KEY = "key-9876543210zyxwvu"
TOKEN_ONLY = Credentials(token=TOKEN)
KEY_PAIR = Credentials(email=EMAIL, api_key=KEY)


@pytest.fixture(autouse=True)
def _fresh_redactors() -> None:
    """Each test builds the redaction it uses: one cached by an earlier test would hide the builder (and, under
    mutmut, the mutant: its worker forks from a process whose credentials built theirs already)."""
    for credentials in (TOKEN_ONLY, KEY_PAIR):
        credentials.__dict__.pop("redactor", None)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"token": TOKEN, "email": EMAIL}, "--api-key is missing: the email and the API key go together."),
        ({"token": TOKEN, "api_key": KEY}, "--email is missing: the email and the API key go together."),
        ({"email": EMAIL}, "--api-key is missing: the email and the API key go together."),
        ({"api_key": KEY}, "--email is missing: the email and the API key go together."),
        ({}, "--email is missing: the email and the API key go together."),
    ],
)
def test_credentials_are_a_token_or_an_email_and_key_and_say_which_part_is_missing(
    given: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError) as refused:
        Credentials(**given)
    assert str(refused.value) == message


def test_repr_and_headers_show_which_kind_and_never_a_secret_in_repr() -> None:
    assert repr(TOKEN_ONLY) == "Credentials(token=***)" and TOKEN not in repr(TOKEN_ONLY)
    assert repr(KEY_PAIR) == "Credentials(email=***, api_key=***)"
    assert TOKEN_ONLY.headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert KEY_PAIR.headers() == {"X-Auth-Email": EMAIL, "X-Auth-Key": KEY}
    assert TOKEN_ONLY.curl_headers() == ['-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN"']
    assert KEY_PAIR.curl_headers() == ['-H "X-Auth-Email: $CLOUDFLARE_EMAIL"', '-H "X-Auth-Key: $CLOUDFLARE_API_KEY"']
    assert not TOKEN_ONLY.is_key_pair and KEY_PAIR.is_key_pair


def test_a_token_and_a_key_pair_together_hold_both_styles_the_token_first() -> None:
    both = Credentials(token=TOKEN, email=EMAIL, api_key=KEY)
    assert repr(both) == "Credentials(token=***, email=***, api_key=***)"
    assert both.styles() == [
        ("the API token", {"Authorization": f"Bearer {TOKEN}"}),
        ("the X-Auth-Email + X-Auth-Key pair", {"X-Auth-Email": EMAIL, "X-Auth-Key": KEY}),
    ]
    assert both.headers() == TOKEN_ONLY.headers() and not both.is_key_pair and both.has_key_pair
    assert [name for name, _ in TOKEN_ONLY.styles()] == ["the API token"] and not TOKEN_ONLY.has_key_pair
    assert [headers for _, headers in KEY_PAIR.styles()] == [KEY_PAIR.headers()]


ENV_TOKEN = {"CLOUDFLARE_API_TOKEN": "env-token"}
ENV_PAIR = {"CLOUDFLARE_EMAIL": "env@example.com", "CLOUDFLARE_API_KEY": "env-key"}


def test_options_come_before_the_environment_and_are_taken_as_given() -> None:
    env = {**ENV_TOKEN, **ENV_PAIR}
    assert resolve_credentials(TOKEN, None, None, env).headers() == TOKEN_ONLY.headers()
    assert resolve_credentials(None, EMAIL, KEY, env).headers() == KEY_PAIR.headers()
    # A half pair from the options is an error naming the missing option, not a silent fall back to the environment.
    with pytest.raises(UsageError, match="--api-key is missing"):
        resolve_credentials(None, EMAIL, None, env)
    with pytest.raises(UsageError, match="--email is missing"):
        resolve_credentials(None, None, KEY, env)
    with pytest.raises(UsageError, match="--email is missing"):
        resolve_credentials(TOKEN, None, KEY, env)
    assert resolve_credentials(TOKEN, EMAIL, KEY, env) == Credentials(token=TOKEN, email=EMAIL, api_key=KEY)


def test_the_environment_gives_a_token_and_a_key_pair_together_and_both_halves_of_a_pair() -> None:
    both = resolve_credentials(None, None, None, {**ENV_TOKEN, **ENV_PAIR})
    assert both.headers() == {"Authorization": "Bearer env-token"}
    assert both.styles()[1][1] == {"X-Auth-Email": "env@example.com", "X-Auth-Key": "env-key"}
    # A token with half a pair: the token alone, as before both styles could come together.
    assert resolve_credentials(None, None, None, {**ENV_TOKEN, "CLOUDFLARE_EMAIL": "e"}) == Credentials(
        token="env-token"
    )
    assert resolve_credentials(None, None, None, ENV_PAIR).headers() == {
        "X-Auth-Email": "env@example.com",
        "X-Auth-Key": "env-key",
    }
    for half in ({"CLOUDFLARE_EMAIL": "env@example.com"}, {"CLOUDFLARE_API_KEY": "env-key"}):
        with pytest.raises(UsageError) as refused:
            resolve_credentials(None, None, None, {**half, "CLOUDFLARE_API_TOKEN": ""}, default=TOKEN_ONLY)
        assert str(refused.value) == "set both CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY, or CLOUDFLARE_API_TOKEN."


def test_without_options_or_environment_the_default_is_used_or_the_fix_is_named() -> None:
    assert resolve_credentials(None, None, None, {"CLOUDFLARE_API_TOKEN": ""}, default=KEY_PAIR) is KEY_PAIR
    with pytest.raises(UsageError) as refused:
        resolve_credentials("", "", "", {})
    assert str(refused.value) == (
        "no credentials: pass --token (or --email and --api-key), or set CLOUDFLARE_API_TOKEN."
    )


def test_redact_replaces_each_secret_whole_by_its_variable() -> None:
    text = f"Bearer {TOKEN}; again {TOKEN}"
    assert TOKEN_ONLY.redact(text) == "Bearer $CLOUDFLARE_API_TOKEN; again $CLOUDFLARE_API_TOKEN"
    assert KEY_PAIR.redact(f"{EMAIL}:{KEY}") == "$CLOUDFLARE_EMAIL:$CLOUDFLARE_API_KEY"
    others = Credentials(token=TOKEN, others=(("r2-secret-access-key-42", "$R2_SECRET"),))
    assert others.redact(f"r2://b?secret=r2-secret-access-key-42 {TOKEN}") == (
        "r2://b?secret=$R2_SECRET $CLOUDFLARE_API_TOKEN"
    )


def test_a_variable_name_goes_into_the_text_literally() -> None:
    # re.sub would read `\1` or `\g<0>` in a replacement as a group: the name must be taken as it is.
    for name in (r"\1", r"\g<0>", "a\\b"):
        assert Credentials(token=TOKEN, others=(("other-secret-value", name),)).redact("x other-secret-value y") == (
            f"x {name} y"
        )


def test_redact_replaces_a_secret_as_json_url_and_html_escape_it() -> None:
    secret = 'k"e y&<v>/+é-0123456789'
    credentials = Credentials(token=secret)
    forms = {
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    for form in forms:
        assert credentials.redact(f"<{form}>") == "<$CLOUDFLARE_API_TOKEN>", form


def test_an_escaped_form_that_starts_with_another_form_is_redacted_whole() -> None:
    # `…0123&` is the start of its HTML form `…0123&amp;`: the longer form must win, or `amp;` is left behind.
    credentials = Credentials(token="tok-0123456789&")
    assert credentials.redact("<tok-0123456789&amp;>") == "<$CLOUDFLARE_API_TOKEN>"
    assert credentials.redact("<tok-0123456789%26>") == "<$CLOUDFLARE_API_TOKEN>"


@pytest.mark.parametrize("cut", ["…", "..."])
def test_a_piece_of_a_secret_next_to_a_cut_is_redacted_from_the_shortest_allowed_piece(cut: str) -> None:
    start, end = TOKEN[:FRAGMENT_MIN], TOKEN[-FRAGMENT_MIN:]
    assert TOKEN_ONLY.redact(f"a {start}{cut} b") == f"a $CLOUDFLARE_API_TOKEN{cut} b"
    assert TOKEN_ONLY.redact(f"a {cut}{end} b") == f"a {cut}$CLOUDFLARE_API_TOKEN b"
    assert TOKEN_ONLY.redact(f"a {TOKEN[:-1]}{cut}") == f"a $CLOUDFLARE_API_TOKEN{cut}"
    assert TOKEN_ONLY.redact(f"{cut}{TOKEN[1:]} b") == f"{cut}$CLOUDFLARE_API_TOKEN b"
    # One character less than the shortest piece is too common to mean the secret: it stays.
    assert TOKEN_ONLY.redact(f"a {start[:-1]}{cut} {cut}{end[1:]} b") == f"a {start[:-1]}{cut} {cut}{end[1:]} b"


def test_a_piece_of_a_secret_at_either_end_of_a_clipped_value_is_redacted() -> None:
    assert TOKEN_ONLY.redact(f"Bearer {TOKEN[:12]}") == "Bearer $CLOUDFLARE_API_TOKEN"
    assert TOKEN_ONLY.redact(f"{TOKEN[-12:]} was the token") == "$CLOUDFLARE_API_TOKEN was the token"
    # Inside a value and away from any cut, a piece is some other text that happens to share characters.
    assert TOKEN_ONLY.redact(f"a {TOKEN[:12]} b") == f"a {TOKEN[:12]} b"


def test_a_secret_no_longer_than_the_shortest_piece_is_redacted_only_whole() -> None:
    short = "s" * (FRAGMENT_MIN - 1) + "t"
    assert len(short) == FRAGMENT_MIN
    assert Credentials(token=short).redact(f"{short} {short[:-1]}…") == f"$CLOUDFLARE_API_TOKEN {short[:-1]}…"


@given(st.text(max_size=200))
def test_the_r2_keys_of_any_text_are_found_or_none_never_an_error(tail: str) -> None:
    """A body's `r2://` text comes from outside (`r2://[` is no URL a parser takes): keys are found or there are
    none, and each one found is text that stands in the URI."""
    uri = "r2://" + tail
    for value, name in r2_secrets(uri):
        assert value and name.startswith("$")
        assert value in uri or quote(value, safe="") in uri or quote_plus(value) in uri or "%" in uri or "+" in uri


def test_the_r2_keys_of_a_uri_no_url_parser_takes_are_still_found() -> None:
    found = r2_secrets("r2://[bucket?account-id=a&access-key-id=key-id-1&secret-access-key=secret-key-1")
    assert {value for value, _ in found} == {"key-id-1", "secret-key-1"}
