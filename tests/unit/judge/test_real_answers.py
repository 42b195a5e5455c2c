"""The rule behind "exit 0 means judged": which operations got no real answer of the API."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from pcaps_contract.judge.real_answers import (
    NO_ROUTE,
    answer_kind,
    could_not_judge,
    documented_statuses,
    is_a_verdict,
    is_real,
    without_real_answers,
)
from pcaps_contract.openapi import api
from pcaps_contract.openapi.spec import load_spec

OPERATIONS = (api.LIST, api.ADD, api.DELETE, api.VALIDATE)
DOCUMENTED = documented_statuses(load_spec(), OPERATIONS)
ENVELOPE_404 = json.dumps({"success": False, "errors": [{"code": 1003, "message": "not found"}], "result": None})

# Answers of every kind: 2xx, refusals, server errors, throttles, no-route 404s, and statuses nobody documents.
kinds = st.one_of(st.integers(100, 599).map(str), st.just(NO_ROUTE))
counts = st.dictionaries(kinds, st.integers(0, 50), max_size=6)
answer_maps = st.dictionaries(st.sampled_from(OPERATIONS), counts, max_size=4)


def test_the_bundled_spec_documents_2xx_4xx_and_default_for_each_operation() -> None:
    assert DOCUMENTED[api.DELETE] == {"204", "4XX", "DEFAULT"}
    assert all("4XX" in DOCUMENTED[operation] for operation in OPERATIONS)


def test_a_404_counts_as_an_answer_in_the_envelope_on_delete_and_validate_and_never_on_a_list() -> None:
    envelope = ENVELOPE_404.encode()
    assert answer_kind(api.DELETE, 404, envelope) == "404" and answer_kind(api.VALIDATE, 404, envelope) == "404"
    assert answer_kind(api.LIST, 404, envelope) == NO_ROUTE
    assert answer_kind(api.DELETE, 404, b"<html><h1>404 Not Found</h1></html>") == NO_ROUTE
    assert answer_kind(api.DELETE, 404, b"") == NO_ROUTE
    assert answer_kind(api.DELETE, 400, b"<html>bad</html>") == "400"  # its content is the checks' to judge


def test_the_real_apis_documented_refusals_and_retried_throttles_are_real_answers() -> None:
    for status in ("200", "204", "400", "401", "403", "404", "409", "429"):
        assert is_real(status, DOCUMENTED[api.DELETE]), status
    assert not is_real(NO_ROUTE, DOCUMENTED[api.DELETE])


def test_a_server_error_is_no_real_answer_but_its_violation_is_a_verdict_whatever_the_route() -> None:
    from pcaps_contract.fuzz.findings import TRANSPORT_CHECK

    assert not is_real("500", DOCUMENTED[api.DELETE]) and not is_real("503", {"DEFAULT", "5XX", "503"})
    assert without_real_answers({api.DELETE: {"500": 9}}, DOCUMENTED, [api.DELETE]) == {api.DELETE: {"500": 9}}
    unjudged = {api.DELETE}
    assert is_a_verdict(api.DELETE, "not_a_server_error", unjudged) and is_a_verdict(
        api.DELETE, TRANSPORT_CHECK, unjudged
    )
    assert not is_a_verdict(api.DELETE, "content_type_conformance", unjudged)
    assert is_a_verdict(api.LIST, "content_type_conformance", unjudged)


def test_without_default_only_2xx_and_the_documented_statuses_are_real() -> None:
    documented = {"204", "4XX"}
    assert is_real("204", documented) and is_real("200", documented) and is_real("418", documented)
    assert not is_real("302", documented) and not is_real("503", documented) and not is_real("x", documented)


@given(answer_maps, st.lists(st.sampled_from(OPERATIONS), unique=True))
def test_an_operation_is_named_exactly_when_none_of_its_answers_is_real(
    answers: dict[str, dict[str, int]], covered: list[str]
) -> None:
    unjudged = without_real_answers(answers, DOCUMENTED, covered)
    assert set(unjudged) <= set(covered)  # what the plan excluded is never "never judged"
    for operation in covered:
        real = sum(count for kind, count in answers.get(operation, {}).items() if kind != NO_ROUTE and kind < "500")
        assert (operation in unjudged) == (real == 0), (operation, answers.get(operation))
        if operation in unjudged:
            assert unjudged[operation] == {k: c for k, c in answers.get(operation, {}).items() if c > 0}


@given(answer_maps.filter(bool), st.sampled_from(OPERATIONS))
def test_one_documented_answer_among_any_others_makes_an_operation_judged(
    answers: dict[str, dict[str, int]], operation: str
) -> None:
    documented = {"204", "4XX"}  # narrower than the spec's, so undocumented statuses are drawn too
    answers = {**answers, operation: {**answers.get(operation, {}), "404": 1}}
    assert operation not in without_real_answers(answers, {operation: documented}, [operation])


@given(st.dictionaries(st.sampled_from(("302", "503", NO_ROUTE)), st.integers(1, 50), min_size=1))
def test_an_operation_with_only_undocumented_answers_is_named_with_what_it_got(got: dict[str, int]) -> None:
    unjudged = without_real_answers({api.DELETE: got}, {api.DELETE: {"204", "4XX"}}, [api.DELETE, api.LIST])
    sentence = could_not_judge(unjudged)
    assert list(unjudged) == [api.DELETE, api.LIST] and sentence.startswith("could not judge delete_bucket: ")
    assert f"its {sum(got.values())} answer(s) were" in sentence and "list_buckets: it got no answer" in sentence


def test_the_sentence_for_no_route_answers_and_for_none() -> None:
    sentence = could_not_judge({api.DELETE: {NO_ROUTE: 12}, api.VALIDATE: {}}, "every case was throttled")
    assert sentence == (
        "could not judge delete_bucket: its 12 answer(s) were all 404 without the API's envelope; "
        "validate_bucket: it got no answer to judge (every case was throttled)"
    )
