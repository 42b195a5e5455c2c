"""The documented responses a run saw (`report.responses`): each operation x documented status, seen or not."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract.judge.real_answers import NO_ROUTE, documented_statuses
from pcaps_contract.openapi.spec import Spec
from pcaps_contract.report.responses import Covered, coverage, documenting_key


def test_each_documented_response_is_a_row_seen_or_not_and_undocumented_statuses_follow() -> None:
    documented = {"add_bucket": ["200", "4XX"], "delete_bucket": ["204", "DEFAULT"]}
    answers = {"add_bucket": {"200": 3, "400": 2, "404": 1, "500": 4}, "delete_bucket": {"404": 2, NO_ROUTE: 5}}
    assert coverage(["add_bucket", "delete_bucket"], documented, answers) == [
        Covered("add_bucket", "200", 3),
        Covered("add_bucket", "4XX", 3),
        Covered("add_bucket", "500", 4, documented=False),
        Covered("delete_bucket", "204", 0),
        Covered("delete_bucket", "default", 2),  # a 404 outside the API's envelope answers no operation
    ]


def test_a_status_is_counted_under_its_exact_key_before_its_range_before_default() -> None:
    assert documenting_key("404", ["404", "4XX", "DEFAULT"]) == "404"
    assert documenting_key("403", ["404", "4XX", "DEFAULT"]) == "4XX"
    assert documenting_key("503", ["404", "4XX", "DEFAULT"]) == "DEFAULT"
    assert documenting_key("503", ["404", "4XX"]) is None
    assert documenting_key(NO_ROUTE, ["DEFAULT"]) is None


def test_the_bundled_spec_documents_a_success_and_a_failure_for_every_operation(spec: Spec) -> None:
    operations = [operation.operation_id or "" for operation in spec.operations()]
    rows = coverage(operations, documented_statuses(spec, operations), {})
    for operation in operations:
        responses = [row.response for row in rows if row.operation == operation]
        assert responses[0] in ("200", "204") and len(responses) >= 2, (operation, responses)
    assert all(row.seen == 0 and row.documented for row in rows)


statuses = st.integers(100, 599).map(str) | st.just(NO_ROUTE)


@settings(deadline=None)
@given(
    st.dictionaries(st.sampled_from(["200", "204", "404", "4XX", "DEFAULT"]), st.just(True)),
    st.dictionaries(statuses, st.integers(0, 50)),
)
def test_every_answer_with_a_status_lands_in_exactly_one_row(keys: dict[str, bool], answers: dict[str, int]) -> None:
    rows = coverage(["op"], {"op": list(keys)}, {"op": answers})
    assert sum(row.seen for row in rows) == sum(count for kind, count in answers.items() if kind != NO_ROUTE)
    assert len({row.response for row in rows}) == len(rows)
    assert sum(row.documented for row in rows) == len(keys)
