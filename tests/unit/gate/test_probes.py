"""The enumerated probes: every half-right credential form for the credentials given, none of them whole."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract.engine.targets import MOCK_ACCOUNTS, bundled_mock
from pcaps_contract.gate.probes import credential_forms

_TEXT = st.text(string.ascii_letters + string.digits + "-._", min_size=8, max_size=40)
_MADE_UP = st.text("0123456789abcdef", min_size=16, max_size=16)


@st.composite
def credentials(draw: st.DrawFn) -> Credentials:
    """A token, a key pair, or both, of any text a header can carry."""
    kind = draw(st.sampled_from(["token", "pair", "both"]))
    token = draw(_TEXT) if kind != "pair" else None
    pair = kind != "token"
    email = f"{draw(_TEXT)}@example.com" if pair else None
    return Credentials(token=token, email=email, api_key=draw(_TEXT) if pair else None)


def _lowered(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@given(credentials(), _MADE_UP, _MADE_UP)
def test_the_forms_depend_on_the_styles_given_never_on_the_values_or_the_seed(
    given_credentials: Credentials, made_up: str, other: str
) -> None:
    forms = credential_forms(given_credentials, made_up)
    names = [form.name for form in forms]
    assert len(set(names)) == len(names) >= 7
    assert names == [form.name for form in credential_forms(given_credentials, other)]
    for form in forms:  # no form is a whole style of the run's own credentials, nor sends nothing but it
        for _, right in given_credentials.styles():
            assert _lowered(form.headers) != _lowered(right), form.name


@given(credentials(), _MADE_UP)
def test_each_style_given_has_its_own_forms(given_credentials: Credentials, made_up: str) -> None:
    names = {form.name for form in credential_forms(given_credentials, made_up)}
    pair_forms = {
        "the X-Auth-Key without X-Auth-Email",
        "the X-Auth-Email without X-Auth-Key",
        "the X-Auth-Email with a wrong X-Auth-Key",
        "the X-Auth-Key with a wrong X-Auth-Email",
        "the X-Auth-Email and X-Auth-Key swapped",
    }
    token_forms = {"the token without `Bearer `", "`Bearer` without the token"}
    assert {"no credentials", "a wrong bearer token"} <= names
    distinct = len({given_credentials.token, given_credentials.email, given_credentials.api_key}) == 3
    assert (pair_forms <= names) is given_credentials.has_key_pair or not distinct
    assert (token_forms <= names) is bool(given_credentials.token)


def test_with_a_key_pair_the_forms_send_the_right_email_and_key_apart() -> None:
    pair = Credentials(email="right@example.com", api_key="the-right-key")
    forms = {form.name: form.headers for form in credential_forms(pair, "a1b2c3d4e5f6a7b8")}
    assert forms["the X-Auth-Key without X-Auth-Email"] == {"X-Auth-Key": "the-right-key"}
    assert forms["the X-Auth-Email without X-Auth-Key"] == {"X-Auth-Email": "right@example.com"}
    assert forms["the X-Auth-Email and X-Auth-Key swapped"] == {
        "X-Auth-Email": "the-right-key",
        "X-Auth-Key": "right@example.com",
    }


def test_the_reference_mock_refuses_every_form_on_every_operation_and_takes_both_styles() -> None:
    both = Credentials(token="a-token-for-this-run", email="someone@example.com", api_key="a-key-for-this-run")
    target = bundled_mock(both, MOCK_ACCOUNTS)
    path = f"/accounts/{MOCK_ACCOUNTS[0]}/pcaps/ownership"
    requests = [("GET", path, None), ("POST", path, {"destination_conf": "s3://pcaps-b?region=us-east-1"})]
    requests += [
        ("DELETE", f"{path}/{'0' * 32}", None),
        ("POST", f"{path}/validate", {"destination_conf": "s3://b", "ownership_challenge": "x"}),
    ]
    for _, right in both.styles():
        with target.client(right) as client:
            assert client.get(path).status_code == 200
    for form in credential_forms(both, "a1b2c3d4e5f6a7b8"):
        with target.client(form.headers) as client:
            for method, url, body in requests:
                assert client.request(method, url, json=body).status_code in (401, 403), (form.name, method, url)
