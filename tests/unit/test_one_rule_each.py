"""Rules that two doors once wrote each in their own words, now written once: every place that applies one agrees
with it on the whole class of its inputs, so that the places cannot drift apart again."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import (
    API_KEY_ENV,
    CREDENTIAL_HEADERS,
    EMAIL_ENV,
    SECRET_HEADERS,
    TOKEN_ENV,
    Credentials,
    carries_credentials,
)
from pcaps_contract._errors import UsageError
from pcaps_contract._urls import Refusal
from pcaps_contract.engine.aim import NO_ACCOUNT, checked_accounts, checked_seconds, resolve_aim
from pcaps_contract.engine.data import as_the_server_reads, pinned_account
from pcaps_contract.engine.events import _step
from pcaps_contract.engine.ownerships import CleanupRegistry
from pcaps_contract.engine.routing import keep_writes_in
from pcaps_contract.engine.sender import AnyOf
from pcaps_contract.fuzz.run import _exemplar
from pcaps_contract.judge.ledger import Ledger
from pcaps_contract.openapi import is_identifier

# --- the secret headers, and "was this request authenticated" ---------------------------------------------------

_MARK = "s3cr3t-"  # every header value drawn starts with it, so that a value left in a reproduction is found
_NAMES = st.sampled_from(sorted(SECRET_HEADERS | {"content-type", "x-trace", "accept", "x-auth-emailx"}))


def _any_case(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda upper: "".join(char.upper() if up else char for char, up in zip(name, upper, strict=True))
    )


_HEADERS = st.lists(
    st.tuples(_NAMES.flatmap(_any_case), st.text(alphabet="abcdefghij0123456789", min_size=4, max_size=12)),
    max_size=6,
).map(lambda pairs: {name: f"{_MARK}{name.lower()}:{value}" for name, value in pairs})  # each value its own


def _engine_step(headers: dict[str, str]) -> Any:
    """The step `check` records for a request schemathesis sent with these headers (lists, as it keeps them)."""
    request = SimpleNamespace(
        method="POST", uri="http://h/x", body=None, headers={name: [value] for name, value in headers.items()}
    )
    return _step(request)


def _fuzz_exemplar(headers: dict[str, str]) -> Any:
    """The exemplar `fuzz` records for a request sent with these headers."""
    case = SimpleNamespace(path_parameters={}, query={}, method="POST", formatted_path="/x")
    request = SimpleNamespace(method="POST", url="http://h/x", body=None, headers=headers)
    return _exemplar(case, "add_bucket", None, request)


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(_HEADERS)
def test_check_and_fuzz_agree_on_whether_a_request_was_authenticated(headers: dict[str, str]) -> None:
    expected = any(name.lower() in CREDENTIAL_HEADERS for name in headers)
    assert _engine_step(headers).authenticated is expected
    assert _fuzz_exemplar(headers).authenticated is expected
    assert carries_credentials(headers) is expected


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(_HEADERS)
def test_no_reproduction_of_either_door_carries_a_secret_header(headers: dict[str, str]) -> None:
    secrets = {value for name, value in headers.items() if name.lower() in SECRET_HEADERS}
    exemplar = _fuzz_exemplar(headers)
    assert not {name.lower() for name in exemplar.headers} & SECRET_HEADERS
    credentials = Credentials(token="run-token-1234567890")
    for curl in (_engine_step(headers).curl(credentials), exemplar.step.curl(credentials)):
        assert not any(secret in curl for secret in secrets), curl
        assert (f"${TOKEN_ENV}" in curl) is carries_credentials(headers)


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(st.sampled_from(["token", "pair", "both"]))
def test_every_header_a_credential_style_sends_is_a_credential_header(kind: str) -> None:
    token = "t" * 20 if kind != "pair" else None
    email, api_key = ("e@example.com", "k" * 20) if kind != "token" else (None, None)
    credentials = Credentials(token=token, email=email, api_key=api_key)
    for _, headers in credentials.styles():
        assert {name.lower() for name in headers} <= CREDENTIAL_HEADERS
        assert carries_credentials(headers)
    assert CREDENTIAL_HEADERS < SECRET_HEADERS


@pytest.mark.parametrize("name", ["X-Auth-Email", "x-auth-key", "AUTHORIZATION"])
def test_half_of_the_key_pair_is_a_request_with_credentials_in_both_doors(name: str) -> None:
    headers = {name: _MARK + "half", "Accept": "*/*"}
    assert _engine_step(headers).authenticated and _fuzz_exemplar(headers).authenticated
    curl = _engine_step(headers).curl(Credentials(email="e@example.com", api_key="k" * 20))
    assert f"${EMAIL_ENV}" in curl and f"${API_KEY_ENV}" in curl and _MARK not in curl


def test_a_cookie_alone_is_an_anonymous_request_whose_reproduction_stays_anonymous() -> None:
    headers = {"Cookie": _MARK + "session"}
    assert not _engine_step(headers).authenticated and not _fuzz_exemplar(headers).authenticated
    credentials = Credentials(token="t" * 20)
    for curl in (_engine_step(headers).curl(credentials), _fuzz_exemplar(headers).step.curl(credentials)):
        assert "Authorization" not in curl and "Cookie" not in curl and _MARK not in curl


# --- account pinning ----------------------------------------------------------------------------------------------

_ACCOUNT = st.text(alphabet="0123456789abcdef", min_size=1, max_size=32)
_DRAWN = st.one_of(
    _ACCOUNT,
    st.text(max_size=40),
    st.text(max_size=12).map(lambda text: quote(text, safe="")),
    st.none(),
    st.integers(),
)


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(_DRAWN, st.lists(_ACCOUNT, min_size=1, max_size=3, unique=True).map(tuple))
def test_a_pinned_account_is_one_the_run_may_use_unless_it_breaks_the_spec(
    drawn: Any, accounts: tuple[str, ...]
) -> None:
    pinned = pinned_account(drawn, accounts)
    if is_identifier(as_the_server_reads(drawn)):
        assert as_the_server_reads(pinned) in accounts
        assert pinned == quote(as_the_server_reads(pinned), safe="")  # in wire form, encoded once
        if as_the_server_reads(drawn) in accounts:
            assert as_the_server_reads(pinned) == as_the_server_reads(drawn)  # a usable account is kept
    else:
        assert pinned is drawn  # a negative case goes as drawn


def _schema_pin(accounts: tuple[str, ...]) -> Any:
    """The `map_case` hook the schema of a run pinned to `accounts` applies to every case."""
    from pcaps_contract._urls import parse_target
    from pcaps_contract.engine.profiles import get_profile
    from pcaps_contract.engine.schema import build_schema
    from pcaps_contract.engine.targets import TargetName
    from pcaps_contract.fuzz.run import FuzzAim
    from pcaps_contract.openapi import load_spec

    aim = FuzzAim(
        TargetName(parse_target("http://127.0.0.1:9/client/v4", allow_production=False)),
        Credentials(token="t" * 20),
        accounts,
        5.0,
    )
    schema = build_schema(load_spec(), aim, get_profile(None), seed=1)
    (hook,) = schema.hooks.get_all_by_name("map_case")
    return hook


_ACCOUNT_SETS = (("a" * 32,), ("a" * 32, "b" * 32))


@pytest.fixture(scope="module")
def schema_pins() -> dict[tuple[str, ...], Any]:
    return {accounts: _schema_pin(accounts) for accounts in _ACCOUNT_SETS}


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(drawn=st.one_of(st.sampled_from(_ACCOUNT_SETS[-1]), _DRAWN), accounts=st.sampled_from(_ACCOUNT_SETS))
def test_the_schema_and_the_transport_pin_a_write_to_the_same_account(
    schema_pins: dict[tuple[str, ...], Any], drawn: Any, accounts: tuple[str, ...]
) -> None:
    pin = schema_pins[accounts]
    mapped = SimpleNamespace(path_parameters={"account_id": drawn}, body=None, meta=None, operation=None)
    pin(None, mapped)
    routed = SimpleNamespace(method="POST", path_parameters={"account_id": drawn})
    keep_writes_in(routed, accounts)
    assert mapped.path_parameters["account_id"] == routed.path_parameters["account_id"]


# --- accounts and seconds, refused the same way by both doors -----------------------------------------------------


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(st.lists(st.text(max_size=40), max_size=4))
def test_an_account_list_is_refused_by_one_rule(accounts: list[str]) -> None:
    try:
        kept = checked_accounts(accounts)
    except Refusal as refusal:
        assert not accounts and str(refusal) == NO_ACCOUNT
    except UsageError as error:
        assert any(not is_identifier(account) for account in accounts) and "is not an account id" in str(error)
    else:
        assert kept == tuple(dict.fromkeys(accounts)) and all(map(is_identifier, kept))


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(st.floats(allow_nan=True, allow_infinity=True), st.booleans())
def test_seconds_are_refused_by_one_rule(value: float, may_be_zero: bool) -> None:
    good = math.isfinite(value) and (value > 0 or (value == 0 and may_be_zero))
    try:
        assert checked_seconds("--timeout", value, may_be_zero=may_be_zero) == value and good
    except UsageError as error:
        assert not good and str(error).startswith("--timeout must be a finite number of seconds")


def test_fuzz_and_check_refuse_a_missing_account_in_the_same_sentence() -> None:
    from pcaps_contract.gate.options import GateOptions, check_options

    environ = {TOKEN_ENV: "t" * 20}
    with pytest.raises(Refusal) as fuzzed:
        resolve_aim(base_url="http://127.0.0.1:9/client/v4", environ=environ, bundled=False)
    aim = resolve_aim(environ=environ)  # the bundled mock: its own accounts
    with pytest.raises(Refusal) as checked:
        check_options(GateOptions(target=aim.target, credentials=aim.credentials, accounts=()))
    assert str(fuzzed.value) == str(checked.value) == NO_ACCOUNT


# --- tracking created ownerships --------------------------------------------------------------------------------

_CREATE_URLS = st.sampled_from(
    [
        "http://h/client/v4/accounts/a/pcaps/ownership",
        "http://h/client/v4/accounts/a%C3%91/pcaps/ownership/",
        "http://h/client/v4/accounts/a/pcaps/ownership/validate",
        "http://h/client/v4/accounts/a/pcaps/ownership/x1",
    ]
)
_IDS = st.one_of(st.text(max_size=8), st.integers(), st.none(), st.just("a/b"), st.just("x1"))
_BODIES = st.one_of(
    _IDS.map(lambda ownership_id: json.dumps({"result": {"id": ownership_id}}).encode()),
    st.just(b'{"result": {}}'),
    st.just(b"[" * 1000),
    st.binary(max_size=20),
)


def _checks_tracker() -> tuple[Any, Any]:
    """What `check`'s engine hands the transport to see each answer first, and the registry it fills."""
    from pcaps_contract.engine import events, phases
    from pcaps_contract.engine.routing import routed as real_routed

    seen: list[Any] = []

    @contextmanager
    def routed(schema: Any, adapter: Any, on_response: Any, accounts: Any) -> Iterator[None]:
        seen.append(on_response)
        yield

    run = events.RunState(Ledger(["add_bucket"], ["not_a_server_error"]))
    import pcaps_contract.engine.routing as routing

    routing.routed = routed  # type: ignore[assignment]
    original_engine = phases.schema_engine
    phases.schema_engine = lambda schema: iter(())
    try:
        phases.engine_task(None, run, AnyOf(), adapter=object(), accounts=("a",))()  # type: ignore[arg-type]
    finally:
        routing.routed = real_routed
        phases.schema_engine = original_engine
    (on_response,) = seen
    return on_response, run.registry


@settings(deadline=None)  # a loaded machine: no wall-clock bound per example
@given(st.sampled_from(["POST", "GET", "DELETE"]), _CREATE_URLS, st.sampled_from([200, 201, 204, 400, 500]), _BODIES)
def test_check_and_fuzz_hold_the_same_ownerships_after_the_same_answer(
    method: str, url: str, status: int, content: bytes
) -> None:
    from pcaps_contract.fuzz.run import FuzzRun, _Shared

    request = SimpleNamespace(method=method, url=url)
    response = SimpleNamespace(request=request, status_code=status, content=content)
    operation = SimpleNamespace(definition=SimpleNamespace(raw={"operationId": "add_bucket"}))
    case = SimpleNamespace(body={"destination_conf": "s3://pcaps-b?region=us-east-1"}, operation=operation)
    on_response, checked = _checks_tracker()
    on_response(case, response)
    fuzzed = SimpleNamespace(registry=CleanupRegistry(), shared=_Shared(), note=lambda *a, **k: None)
    FuzzRun._track_created(fuzzed, case, response)  # type: ignore[arg-type]
    assert checked.held() == fuzzed.registry.held() and checked.refused() == fuzzed.registry.refused()
    assert checked.created == fuzzed.registry.created == len(checked.held()) + len(checked.refused())


# --- the target URL, read once ----------------------------------------------------------------------------------


def test_a_fuzz_run_reads_its_target_url_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from pcaps_contract import _urls
    from pcaps_contract._cli import build_parser
    from pcaps_contract.fuzz.command import build_plan
    from pcaps_contract.fuzz.run import FuzzRun
    from pcaps_contract.openapi import load_spec
    from pcaps_contract.report.eventlog import EventLog

    reads: list[str] = []
    parse = _urls._parse

    def counted(text: str, *, flag: str, allow_path_extras: bool) -> Any:
        if not allow_path_extras:  # a target, not a request's URL judged against it
            reads.append(text)
        return parse(text, flag=flag, allow_path_extras=allow_path_extras)

    monkeypatch.setattr(_urls, "_parse", counted)
    words = ["fuzz", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "a" * 32, "--max-examples", "1"]
    plan, credentials = build_plan(build_parser().parse_args(words), environ={TOKEN_ENV: "t" * 20})
    run = FuzzRun(plan, credentials, load_spec(), listener=EventLog(None, str))
    run._adapter(AnyOf(), run.halt.for_cleanup(), None)  # the cleanup's own sender
    assert reads == ["http://127.0.0.1:9/client/v4"]
    assert run.aim.target.url is plan.url is run.adapter.origin
