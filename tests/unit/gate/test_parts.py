"""The gate's parts one at a time: test data, credentials, reproductions, the ledger, the refusal rule."""

from __future__ import annotations

import json
import shlex
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials, resolve_credentials
from pcaps_contract._errors import UsageError
from pcaps_contract.engine.data import destination_confs, ownership_challenges
from pcaps_contract.engine.events import RunState, split_message
from pcaps_contract.engine.first_list import preflight
from pcaps_contract.engine.ownerships import CleanupRegistry, created_by
from pcaps_contract.engine.profiles import PROFILES, get_profile
from pcaps_contract.engine.targets import Target, TargetError
from pcaps_contract.gate.run import refused_everywhere, unjudged
from pcaps_contract.judge.ledger import FAILED, PASSED, SKIPPED, Failure, Ledger, Step
from pcaps_contract.judge.real_answers import NO_ROUTE
from pcaps_contract.openapi.api import is_identifier
from pcaps_contract.openapi.spec import Spec
from pcaps_contract.report.junit import xml_safe
from pcaps_contract.report.run_report import RunReport

CONF_SCHEMA = "/components/schemas/DestinationConf"


@settings(max_examples=60, deadline=None)
@given(conf=destination_confs())
def test_every_generated_destination_conf_is_valid_by_the_spec(spec: Spec, conf: str) -> None:
    assert spec.errors(CONF_SCHEMA, conf) == []


def test_the_three_bucket_forms_are_all_reachable() -> None:
    seen: set[str] = set()

    @settings(max_examples=100, deadline=None, database=None)
    @given(conf=destination_confs())
    def collect(conf: str) -> None:
        seen.add(conf.split("://")[0])

    collect()
    assert seen == {"s3", "gs", "r2"}


@settings(max_examples=20, deadline=None)
@given(challenge=ownership_challenges())
def test_generated_challenges_are_strings(challenge: str) -> None:
    assert isinstance(challenge, str)


@pytest.mark.parametrize(
    ("value", "valid"), [("a" * 32, True), ("a", True), ("a" * 33, False), ("", False), (3, False)]
)
def test_identifiers_are_one_to_32_characters(value: object, valid: bool) -> None:
    assert is_identifier(value) is valid


def test_options_win_over_the_environment() -> None:
    credentials = resolve_credentials("opt", None, None, {"CLOUDFLARE_API_TOKEN": "env"})
    assert credentials.headers() == {"Authorization": "Bearer opt"}


def test_the_key_pair_comes_from_the_environment() -> None:
    environ = {"CLOUDFLARE_EMAIL": "e@x", "CLOUDFLARE_API_KEY": "k"}
    assert resolve_credentials(None, None, None, environ).headers() == {"X-Auth-Email": "e@x", "X-Auth-Key": "k"}


@pytest.mark.parametrize(
    "environ", [{"CLOUDFLARE_EMAIL": "e@x"}, {"CLOUDFLARE_API_KEY": "k"}], ids=["email only", "key only"]
)
def test_half_a_key_pair_is_a_usage_error(environ: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        resolve_credentials(None, None, None, environ)


def test_a_token_and_a_key_pair_come_together_from_options_or_from_the_environment() -> None:
    both = Credentials(token="t", email="e", api_key="k")
    assert resolve_credentials("t", "e", "k", {"CLOUDFLARE_API_TOKEN": "env"}) == both
    environ = {"CLOUDFLARE_API_TOKEN": "t", "CLOUDFLARE_EMAIL": "e", "CLOUDFLARE_API_KEY": "k"}
    assert resolve_credentials(None, None, None, environ) == both
    # An option given leaves every variable out: a secret the command line did not name is never sent.
    assert resolve_credentials(None, "e2", "k2", environ) == Credentials(email="e2", api_key="k2")


def test_credentials_never_show_a_secret_in_repr() -> None:
    assert "s3cr3t" not in repr(Credentials(token="s3cr3t"))
    assert "s3cr3t" not in repr(Credentials(email="me@x", api_key="s3cr3t"))


def test_a_reproduction_is_runnable_shell_with_secrets_as_variables() -> None:
    step = Step(
        "post",
        "http://h/accounts/a/pcaps/ownership",
        {"Authorization": "Bearer s3cr3t", "Content-Type": "application/json"},
        '{"destination_conf": "s3://b?x=1&y=\'2\'"}',
    )
    curl = step.curl(Credentials(token="s3cr3t"))
    assert "s3cr3t" not in curl
    words = shlex.split(curl)
    assert words[:4] == ["curl", "-X", "POST", "http://h/accounts/a/pcaps/ownership"]
    assert "Authorization: Bearer $CLOUDFLARE_API_TOKEN" in words
    assert words[-1] == '{"destination_conf": "s3://b?x=1&y=\'2\'"}'


def test_a_request_sent_without_credentials_is_reproduced_without_them() -> None:
    curl = Step("GET", "http://h/x", authenticated=False).curl(Credentials(token="t"))
    assert "Authorization" not in curl


def test_the_report_replaces_every_secret_by_its_variable() -> None:
    report = RunReport("t", 1, "quick", Ledger([], []), Credentials(email="me@example.com", api_key="k3y-value"))
    assert report.redact("me@example.com used k3y-value") == "$CLOUDFLARE_EMAIL used $CLOUDFLARE_API_KEY"


def test_a_cell_is_failed_passed_or_skipped_and_keeps_the_shortest_failure() -> None:
    ledger = Ledger(["add_bucket"], ["success_matches_status", "failure_has_errors"])
    ledger.passed("add_bucket", "success_matches_status")
    long = Failure("add_bucket", "success_matches_status", "e", "r", (Step("POST", "u", body="x" * 50),))
    short = Failure("add_bucket", "success_matches_status", "e", "r", (Step("POST", "u", body="x"),))
    ledger.failed(long)
    ledger.failed(short)
    assert ledger.status("add_bucket", "success_matches_status") == FAILED
    assert ledger.failures() == [short]
    ledger.passed("add_bucket", "failure_has_errors")
    assert ledger.status("add_bucket", "failure_has_errors") == PASSED
    assert ledger.status("list_buckets", "failure_has_errors") == SKIPPED


def test_a_builtin_failure_message_splits_into_expected_and_received() -> None:
    message = "Valid data should have been accepted\nExpected: 2xx, 401, 403, 404"
    assert split_message("positive_data_acceptance", "Rejected", message, 400) == (
        "2xx, 401, 403, 404",
        "status 400; Rejected: Valid data should have been accepted",
    )
    assert split_message("not_a_server_error", "Server error", "", 500) == (
        "a status below 500",
        "status 500; Server error:",
    )


def test_an_in_process_reproduction_aims_at_the_served_address() -> None:
    step = Step("GET", "http://testserver/client/v4/accounts/a/pcaps/ownership?x=1")
    curl = step.curl(Credentials(token="t"), "http://127.0.0.1:8787")
    assert curl.startswith("curl -X GET 'http://127.0.0.1:8787/client/v4/accounts/a/pcaps/ownership?x=1'")


@pytest.mark.parametrize(
    ("statuses", "refused"),
    [
        ({401: 10, 403: 5}, True),
        ({403: 6, 400: 4}, True),
        ({500: 20}, False),  # a broken server is a violation to report, not a misconfiguration
        ({403: 10, 200: 1}, False),
        ({}, False),
    ],
)
def test_a_run_is_refused_everywhere_only_without_2xx_and_mostly_401_403(
    statuses: dict[int, int], refused: bool
) -> None:
    assert refused_everywhere(statuses) is refused


def test_profiles_are_quick_ci_and_thorough_and_ci_repeats_itself() -> None:
    assert list(PROFILES) == ["quick", "ci", "thorough"]
    assert get_profile(None).name == "quick"
    assert get_profile("ci").derandomize and get_profile("ci").lifecycle_settings().derandomize
    with pytest.raises(UsageError):
        get_profile("slow")


def test_junit_stays_well_formed_when_a_fuzzed_body_carries_control_characters(tmp_path: Path) -> None:
    from xml.etree import ElementTree

    ledger = Ledger(["add_bucket"], ["success_matches_status"])
    body = '{"destination_conf": "s3://b\x00\x1b[31m\ufffe"}'
    ledger.failed(
        Failure("add_bucket", "success_matches_status", "success true", "a\x00b", (Step("POST", "u", body=body),))
    )
    RunReport("t", 1, "quick", ledger, Credentials(token="t0ken")).write_junit(tmp_path / "junit.xml")
    failure = ElementTree.parse(tmp_path / "junit.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert "Received: a\\x00b" in failure.get("message", "")
    assert "s3://b\\x00\\x1b[31m\\ufffe" in (failure.text or "")


def test_xml_safe_keeps_every_character_xml_can_carry() -> None:
    text = "tab\tnewline\nreturn\r ünïcode 🪣 \ud7ff\ue000"
    assert xml_safe(text) == text
    assert xml_safe("\x00\x08\x0b\x1f\ufffe\uffff") == "\\x00\\x08\\x0b\\x1f\\ufffe\\uffff"


@pytest.mark.parametrize(
    ("method", "url", "status", "content", "created"),
    [
        ("POST", "http://h/client/v4/accounts/a%C3%91/pcaps/ownership", 200, b'{"result": {"id": "x1"}}', ("aÑ", "x1")),
        ("POST", "http://h/client/v4/accounts/a/pcaps/ownership/", 200, b'{"result": {"id": "x1"}}', ("a", "x1")),
        ("POST", "http://h/client/v4/accounts/a/pcaps/ownership/validate", 200, b'{"result": {"id": "x"}}', None),
        ("POST", "http://h/client/v4/accounts/a/pcaps/ownership", 400, b'{"result": {"id": "x1"}}', None),
        ("GET", "http://h/client/v4/accounts/a/pcaps/ownership", 200, b'{"result": {"id": "x1"}}', None),
        ("POST", "http://h/client/v4/accounts/a/pcaps/ownership", 200, b"[" * 100_000, None),
        ("POST", "http://h/client/v4/accounts/a/pcaps/ownership", 200, b'{"result": {}}', None),
        # Any id the answer names is handed on as it is: the registry judges it, and lists one it cannot send.
        ("POST", "http://h/client/v4/accounts/a/pcaps/ownership", 200, b'{"result": {"id": ""}}', ("a", "")),
        ("POST", "http://h/client/v4/accounts/a/pcaps/ownership", 200, b'{"result": {"id": 7}}', ("a", 7)),
        (
            "POST",
            "http://h/client/v4/accounts/a/pcaps/ownership",
            200,
            b'{"result":{"id":"b\\ud800"}}',
            ("a", "b\ud800"),
        ),
    ],
)
def test_a_create_is_recognised_from_the_url_sent_with_its_account_decoded(
    method: str, url: str, status: int, content: bytes, created: tuple[str, object] | None
) -> None:
    assert created_by(method, url, status, content) == created


def run_with(statuses: dict[int, int], *, judged: bool = True, errors: tuple[str, ...] = ()) -> RunState:
    run = RunState(Ledger(["add_bucket", "list_buckets"], ["not_a_server_error"]))
    run.statuses.update(statuses)
    run.errors.extend(errors)
    if judged:
        answered(run, "add_bucket")
        answered(run, "list_buckets")
    return run


def answered(run: RunState, operation: str, kind: str = "200") -> None:
    """An answer of this kind to the operation, judged by a check that passed."""
    run.answers.setdefault(operation, Counter())[kind] += 1
    run.ledger.passed(operation, "not_a_server_error")


def test_a_bucket_whose_files_could_never_be_read_leaves_the_onboarding_flow_unjudged() -> None:
    run = run_with({200: 40})
    run.source_problem = "reading ownership-challenge-x.txt from pcaps failed (AccessDenied)"
    reason = unjudged(run)
    assert reason is not None and "(reading ownership-challenge-x.txt from pcaps failed (AccessDenied))" in reason
    assert reason.endswith("can the keys read its files (s3:GetObject)?")
    run.ledger.passed("add_bucket", "challenge_file_is_delivered")  # one file was read: the flow was judged
    assert unjudged(run) is None


def test_a_lifecycle_whose_adds_never_created_anything_leaves_the_run_unjudged() -> None:
    run = run_with({200: 30, 404: 30})
    reason = unjudged(run, lifecycle=True)
    assert reason is not None and reason.startswith("no add of the run answered 200 with an ownership")
    assert unjudged(run) is None  # no lifecycle ran (`pytest contract_tests` without it): nothing expected of it
    run.ledger.passed("add_bucket", "ownership_id_is_new")
    assert unjudged(run, lifecycle=True) is None


def test_a_run_that_judged_every_operation_gives_a_verdict() -> None:
    assert unjudged(run_with({200: 40, 404: 10})) is None


def test_a_run_where_everything_answered_404_asks_about_the_base_path() -> None:
    reason = unjudged(run_with({404: 300}))
    assert reason is not None and "does --base-url end in /client/v4?" in reason


def test_a_run_refused_everywhere_says_to_check_the_credentials() -> None:
    reason = unjudged(run_with({401: 30, 400: 2}))
    assert reason is not None and "check the credentials" in reason


def test_a_run_without_any_answer_cannot_judge() -> None:
    assert unjudged(run_with({}, errors=("add_bucket: Network Error",))) is not None
    assert unjudged(run_with({}, judged=False)) is not None


def test_an_operation_never_judged_means_no_verdict_unless_something_failed() -> None:
    run = run_with({200: 10}, judged=False)
    answered(run, "add_bucket")
    reason = unjudged(run)
    assert reason == (
        "could not judge list_buckets: it got no answer to judge (every request was throttled, lost or never sent)."
    )
    run.ledger.failed(Failure("add_bucket", "not_a_server_error", "below 500", "500"))
    assert unjudged(run) is None


def test_an_operation_whose_every_answer_was_a_404_page_is_named_whatever_its_checks_said() -> None:
    run = run_with({200: 10, 404: 3})
    run.answers["delete_bucket"] = Counter({NO_ROUTE: 3})
    run.ledger.passed("delete_bucket", "status_code_conformance")  # a 404 is a status the spec allows
    run.ledger.failed(Failure("delete_bucket", "content_type_conformance", "application/json", "text/html"))
    documented = {"delete_bucket": {"204", "4XX", "DEFAULT"}}
    reason = unjudged(run, documented=documented)
    assert reason == "could not judge delete_bucket: its 3 answer(s) were all 404 without the API's envelope.", reason
    run.answers["delete_bucket"]["404"] += 1  # one 404 in the API's envelope: delete was judged
    assert unjudged(run, documented=documented) is None
    run.answers["delete_bucket"] = Counter({NO_ROUTE: 3})
    run.ledger.failed(Failure("add_bucket", "not_a_server_error", "below 500", "500"))
    assert unjudged(run, documented=documented) is None  # a violation on a real answer is the verdict


class _Case:
    def __init__(self, method: str, account: str) -> None:
        self.method = method
        self.path_parameters = {"account_id": account}


@pytest.mark.parametrize(
    ("method", "drawn", "sent"),
    [
        ("POST", "F%C3%99p%C2%B12%C3%91%F3%80%A6%8E", "given"),  # 7 characters as the server reads it: a foreign id
        ("DELETE", "someone-else", "given"),
        ("POST", "given", "given"),
        ("POST", "0" * 33, "0" * 33),  # breaks the spec: a negative case, kept
        ("POST", "", ""),
        ("GET", "someone-else", "someone-else"),  # reads may go anywhere
    ],
)
def test_every_write_goes_to_a_given_account(method: str, drawn: str, sent: str) -> None:
    from pcaps_contract.engine.routing import keep_writes_in

    case = _Case(method, drawn)
    keep_writes_in(case, ("given",))
    assert case.path_parameters["account_id"] == sent


def test_the_keys_of_an_r2_bucket_uri_are_redacted_like_the_credentials() -> None:
    from pcaps_contract.gate import resolve_options

    secret, key_id = "f" * 31 + "SECRETr2", "a" * 24 + "KEYIDr2"
    uri = f"r2://pcaps-b?account-id={'0' * 32}&access-key-id={key_id}&secret-access-key={secret}"
    options = resolve_options(token="t" * 20, accounts=["a" * 32], environ={}, bucket=uri)
    shown = options.credentials.redact(f'{{"destination_conf": "{uri}"}}')
    assert secret not in shown and key_id not in shown
    assert "secret-access-key=$R2_SECRET_ACCESS_KEY" in shown and "access-key-id=$R2_ACCESS_KEY_ID" in shown
    plain = resolve_options(token="t" * 20, accounts=["a" * 32], environ={}, bucket="s3://pcaps-b?region=us-east-1")
    assert plain.credentials.others == ()


def test_a_scenario_that_broke_down_leaves_no_verdict_of_conforms() -> None:
    error = "GET /accounts/{account_id}/pcaps/ownership: SystemError: AST constructor recursion depth mismatch"
    run = run_with({200: 40}, errors=(error,))
    reason = unjudged(run)
    assert reason is not None and "1 error(s)" in reason and "SystemError" in reason
    run.ledger.failed(Failure("add_bucket", "not_a_server_error", "below 500", "500"))
    assert unjudged(run) is None  # the violation is the verdict; the error becomes a note


# --- the preflight: a list answered 404 is no route of the API, whatever its body ----------------------------


class _Answer:
    def __init__(self, status_code: int, content: bytes, headers: dict[str, str] | None = None) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers or {}


class _Lister:
    """A client whose every GET gets the same answer; it remembers the URLs it was asked."""

    def __init__(self, answer: _Answer) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def get(self, url: str) -> _Answer:
        self.asked.append(url)
        return self.answer


_BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"<html><body>404 Not Found</body></html>", b"404 page not found", b"", b"null", b"[]"]),
    st.builds(
        lambda success, message: json.dumps(
            {"success": success, "errors": [{"code": 7003, "message": message}], "messages": [], "result": None}
        ).encode(),
        st.booleans(),
        st.text(max_size=80),
    ),
)


@given(content=_BODIES)
def test_a_list_answered_404_with_any_body_stops_the_preflight_in_one_sentence(content: bytes) -> None:
    target = Target("http://127.0.0.1:9/v4", "http://127.0.0.1:9/v4")
    lister = _Lister(_Answer(404, content))
    with pytest.raises(TargetError) as stopped:
        preflight(target, ["a" * 32, "b" * 32], lister, ())
    message = str(stopped.value)
    assert message.endswith("does --base-url end in /client/v4?") and "\n" not in message
    assert message.count("?") == 1 and len(lister.asked) == 1  # stopped at the first account


def test_a_list_answered_200_passes_the_preflight_and_records_what_existed() -> None:
    target = Target("http://127.0.0.1:9/client/v4", "http://127.0.0.1:9/client/v4")
    listed = {"success": True, "errors": [], "messages": [], "result": [{"id": "c" * 32}]}
    lister = _Lister(_Answer(200, json.dumps(listed).encode()))
    registry = CleanupRegistry()
    preflight(target, ["a" * 32, "b" * 32], lister, (), registry)
    assert len(lister.asked) == 2 and registry.pre_existing("a" * 32) == {"c" * 32}


def test_an_engine_error_that_is_no_lost_throttled_or_cancelled_request_is_internal() -> None:
    import requests

    from pcaps_contract.engine.events import _record_error
    from pcaps_contract.engine.sender import Cancelled, Throttled

    run = run_with({200: 3})
    _record_error(requests.ConnectionError("refused"), "add_bucket: Network Error", run)
    _record_error(Throttled("429"), "add_bucket: throttled", run)
    _record_error(Cancelled("time is up"), "add_bucket: cancelled", run)
    assert (run.internal, run.throttled) == (None, 1)  # a lost request is the sender's halt to judge
    _record_error(
        SystemError("AST constructor recursion depth mismatch\n(before=45, after=233)"), "x: SystemError", run
    )
    _record_error(ValueError("a later one"), "x: ValueError", run)
    assert run.internal == "SystemError: AST constructor recursion depth mismatch"  # the first, on one line
    assert run.throttled == 1  # an internal error says nothing of the target
