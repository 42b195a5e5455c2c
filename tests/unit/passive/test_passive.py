"""The passive judge: each rule fails on traffic that breaks it, passes on traffic that keeps it, and stays silent
when the traffic does not show enough to tell."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._json import too_deep
from pcaps_contract.judge.ledger import SKIPPED
from pcaps_contract.openapi.spec import Spec
from pcaps_contract.passive.judging import PassiveJudge, Router
from pcaps_contract.passive.traffic import Recorded

A, B = "023e105f4ecef8ad9ca31a8372d0c353", "9a7806061c88ada191ed06f989cc3dac"
BASE = "https://api.example.com/client/v4"
TOKEN = (("Authorization", "Bearer secret-token-123456"),)
JSON = (("Content-Type", "application/json"),)
TEXT = (("Content-Type", "text/plain"),)
S3 = "s3://pcaps-bucket?region=us-east-1"
GS = "gs://other-bucket"


def ownership_id(number: int) -> str:
    return f"{number:032x}"


def _stamp(seconds: float) -> str:
    """A `submitted` as servers write it: whole seconds of UTC."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Traffic:
    """Sequential traffic built by hand: each exchange starts one second after the previous one ended."""

    items: list[Recorded] = field(default_factory=list)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    clock: float = 1_780_000_000.0

    def send(
        self,
        method: str,
        path: str,
        status: int,
        body: Any = None,
        request: Any = None,
        headers: tuple[tuple[str, str], ...] = TOKEN,
        response_headers: tuple[tuple[str, str], ...] = JSON,
        query: str = "",
    ) -> Recorded:
        self.clock += 1
        content = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = b"" if request is None else json.dumps(request).encode()
        request_headers = headers + ((("Content-Type", "application/json"),) if sent else ())
        recorded = Recorded(
            method,
            f"{BASE}{path}{'?' + query if query else ''}",
            request_headers,
            sent,
            status,
            response_headers if body is not None else (),
            content,
            self.clock,
            self.clock + 0.01,
        )
        self.items.append(recorded)
        return recorded

    def record(self, number: int, conf: str = S3, **changes: Any) -> dict[str, Any]:
        key = ownership_id(number)
        base = self.records.setdefault(
            key,
            {
                "id": key,
                "destination_conf": conf,
                "filename": f"ownership-challenge-{key}.txt",
                "status": "pending",
                "submitted": _stamp(self.clock + 1),  # the next exchange's start: the add that creates it
                "validated": "",
            },
        )
        base.update(changes)
        return dict(base)

    def add(self, account: str, number: int, conf: str = S3, **changes: Any) -> Recorded:
        record = self.record(number, conf, **changes)
        return self.send("POST", f"/accounts/{account}/pcaps/ownership", 200, ok(record), {"destination_conf": conf})

    def list(self, account: str, *numbers: int, result_info: Any = None, query: str = "", **changes: Any) -> Recorded:
        body = ok([self.record(number, **changes) for number in numbers])
        if result_info is not None:
            body["result_info"] = result_info
        return self.send("GET", f"/accounts/{account}/pcaps/ownership", 200, body, query=query)

    def delete(self, account: str, number: int, status: int = 204) -> Recorded:
        body = None if status == 204 else failure(status)
        return self.send("DELETE", f"/accounts/{account}/pcaps/ownership/{ownership_id(number)}", status, body)

    def validate(self, account: str, conf: str, number: int | None, http: int = 200, **changes: Any) -> Recorded:
        body = failure(http) if number is None else ok(self.record(number, conf, **changes))
        request = {"destination_conf": conf, "ownership_challenge": "made-up"}
        return self.send("POST", f"/accounts/{account}/pcaps/ownership/validate", http, body, request)

    def judge(self, spec: Spec) -> PassiveJudge:
        judge = PassiveJudge(spec)
        judge.judge_all(self.items)
        return judge


def ok(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def failure(status: int) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": 1000 + status, "message": "no"}], "messages": [], "result": None}


def failed(judge: PassiveJudge) -> set[str]:
    return {failure.check for failure in judge.ledger.failures()}


def passed(judge: PassiveJudge, check: str) -> bool:
    return any(
        judge.ledger.cells[key].passed for key in judge.ledger.cells if key[1] == check and judge.ledger.cells[key]
    )


def judged(judge: PassiveJudge, check: str) -> bool:
    return any(judge.ledger.status(operation, check) != SKIPPED for operation in judge.ledger.operations)


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


# --- created_ownership_is_listed ---------------------------------------------------------------------------------


def test_an_added_id_missing_from_a_later_list_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.list(A)
    assert "created_ownership_is_listed" in failed(traffic.judge(spec))


def test_an_added_id_in_a_later_list_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.list(A, 1)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "created_ownership_is_listed")


def test_a_first_page_saying_there_are_more_waits_for_the_others(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.list(A, 2, result_info={"page": 1, "per_page": 1, "total_pages": 2, "count": 1, "total_count": 2})
    assert not failed(traffic.judge(spec))


def pages(total: int, page: int, per_page: int = 1, total_pages: int | None = None) -> dict[str, int]:
    pages = total_pages if total_pages is not None else -(-total // per_page)
    return {"page": page, "per_page": per_page, "count": 1, "total_count": total, "total_pages": pages}


def test_the_pages_of_one_listing_are_judged_together(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.add(A, 2)
    traffic.list(A, 2, result_info=pages(2, 1))
    traffic.list(A, 1, result_info=pages(2, 2), query="page=2&per_page=1")
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "pages_deliver_what_they_claim") and passed(judge, "created_ownership_is_listed")


@pytest.mark.parametrize(
    ("second", "claimed"),
    [((2,), 2), ((), 2), ((3,), 2)],
    ids=["repeats the first", "empty", "total contradicted"],
)
def test_pages_that_do_not_deliver_what_they_claim_are_named(
    spec: Spec, traffic: Traffic, second: tuple[int, ...], claimed: int
) -> None:
    traffic.add(A, 1)
    traffic.add(A, 2)
    total = 3 if second == (3,) else 2
    traffic.list(A, 2, result_info=pages(total, 1, total_pages=claimed))
    traffic.list(A, *second, result_info=pages(total, 2, total_pages=claimed), query="page=2&per_page=1")
    judge = traffic.judge(spec)
    assert "pages_deliver_what_they_claim" in failed(judge)
    [named] = [f for f in judge.ledger.failures() if f.check == "pages_deliver_what_they_claim"]
    assert [step.url.endswith("page=2&per_page=1") for step in named.steps] == [False, True]


def test_a_cut_list_counting_only_what_it_shows_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.add(A, 2)
    traffic.list(A, 2, result_info=pages(1, 1, per_page=25))
    assert "created_ownership_is_listed" in failed(traffic.judge(spec))


def test_pages_with_a_write_between_them_are_not_judged_together(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.add(A, 2)
    traffic.list(A, 2, result_info=pages(2, 1))
    traffic.delete(A, 2)  # the records shifted: page 2 may now show anything
    traffic.list(A, 2, result_info=pages(1, 2), query="page=2&per_page=1")
    judge = traffic.judge(spec)
    assert "pages_deliver_what_they_claim" not in failed(judge)
    assert not passed(judge, "pages_deliver_what_they_claim")


def test_pages_out_of_order_are_not_judged_together(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.add(A, 2)
    traffic.list(A, 2, result_info=pages(3, 1))
    traffic.list(A, 2, result_info=pages(3, 3), query="page=3&per_page=1")
    assert not failed(traffic.judge(spec))


def test_a_later_page_is_not_expected_to_show_every_id(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.list(A, 2, query="page=2")
    assert not failed(traffic.judge(spec))


def test_a_list_that_started_before_the_add_answered_is_not_judged_on_it(spec: Spec, traffic: Traffic) -> None:
    added = traffic.add(A, 1)
    listing = traffic.list(A)
    traffic.items = [added, replace(listing, started=added.started + 0.001)]  # the list overlapped the add
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert not judged(judge, "created_ownership_is_listed")


def test_a_delete_of_the_added_id_orders_the_add_before_it_whatever_the_recorded_times(
    spec: Spec, traffic: Traffic
) -> None:
    # A HAR's `time` can run past the next request's start (seen from schemathesis under load): the delete of the
    # id could only be sent once the add's answer was read, so the id is gone, not missing, from the list after.
    added = traffic.add(A, 1)
    deleted = traffic.delete(A, 1)
    listing = traffic.list(A)
    late = replace(added, ended=deleted.started + 0.002)
    traffic.items = [late, replace(deleted, ended=deleted.started + 0.001), listing]
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "created_ownership_can_be_deleted")


def test_an_id_missing_after_an_add_is_still_named_when_its_delete_came_long_after(
    spec: Spec, traffic: Traffic
) -> None:
    traffic.add(A, 1)
    traffic.list(A)
    traffic.delete(A, 1)  # the list came first: the add's answer is not moved past it
    assert "created_ownership_is_listed" in failed(traffic.judge(spec))


def test_records_from_before_the_traffic_may_leave_a_list_unseen(spec: Spec, traffic: Traffic) -> None:
    traffic.list(A, 1)
    traffic.list(A)  # deleted out of sight, or by someone else: nothing the traffic showed
    assert not failed(traffic.judge(spec))


# --- deleted_ownership_is_not_listed, second_delete_is_not_found, created_ownership_can_be_deleted -------------


def test_a_deleted_id_still_listed_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(A, 1)
    traffic.list(A, 1)
    assert "deleted_ownership_is_not_listed" in failed(traffic.judge(spec))


def test_a_deleted_id_gone_from_the_list_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(A, 1)
    traffic.list(A)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "deleted_ownership_is_not_listed")


def test_a_delete_in_flight_excuses_an_id_missing_from_a_list(spec: Spec, traffic: Traffic) -> None:
    added = traffic.add(A, 1)
    deletion = traffic.delete(A, 1)
    listing = traffic.list(A)
    # The delete started before the list and answered after it.
    traffic.items = [added, replace(deletion, ended=listing.ended + 1), listing]
    assert not failed(traffic.judge(spec))


def test_a_second_delete_answered_204_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(A, 1)
    traffic.delete(A, 1)
    assert "second_delete_is_not_found" in failed(traffic.judge(spec))


def test_a_second_delete_answered_404_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(A, 1)
    traffic.delete(A, 1, status=404)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "second_delete_is_not_found")


def test_a_second_delete_of_a_record_from_before_the_traffic_is_judged_too(spec: Spec, traffic: Traffic) -> None:
    traffic.delete(A, 7)
    traffic.delete(A, 7)
    assert "second_delete_is_not_found" in failed(traffic.judge(spec))


def test_deleting_an_added_id_answered_404_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(A, 1, status=404)
    assert "created_ownership_can_be_deleted" in failed(traffic.judge(spec))


def test_deleting_an_added_id_refused_for_the_credentials_is_not_judged(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(A, 1, status=403)  # another client, with a token that may only read
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert not judged(judge, "created_ownership_can_be_deleted")


# --- validate_returns_same_id ---------------------------------------------------------------------------------


def test_validate_answering_the_id_of_another_bucket_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.add(A, 2, GS)
    traffic.validate(A, S3, 2, destination_conf=S3)
    assert "validate_returns_same_id" in failed(traffic.judge(spec))


def test_validate_answering_the_bucket_s_id_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.validate(A, S3, 1, status="failed")
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "validate_returns_same_id")


def test_validate_of_an_added_bucket_answered_404_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.validate(A, S3, None, http=404)
    assert "validate_returns_same_id" in failed(traffic.judge(spec))


def test_validate_of_a_bucket_the_traffic_never_showed_is_not_judged(spec: Spec, traffic: Traffic) -> None:
    traffic.validate(A, S3, 9)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert not judged(judge, "validate_returns_same_id")


def test_validate_may_answer_a_record_of_the_bucket_from_before_the_traffic(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.validate(A, S3, 5)  # the account may have held this bucket before: nothing showed otherwise
    assert not failed(traffic.judge(spec))


def test_validate_answering_an_unlisted_id_after_a_complete_list_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.list(A)
    traffic.add(A, 1)
    traffic.validate(A, S3, 5)
    assert "validate_returns_same_id" in failed(traffic.judge(spec))


# --- tenancy ----------------------------------------------------------------------------------------------------


def test_another_account_s_id_in_a_list_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.add(B, 2, GS)
    traffic.list(B, 1, 2)
    assert "foreign_ownership_is_not_listed" in failed(traffic.judge(spec))


def test_each_account_listing_its_own_ids_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.add(B, 2, GS)
    traffic.list(B, 2)
    traffic.list(A, 1)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "foreign_ownership_is_not_listed")


def test_validate_answering_another_account_s_record_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.validate(B, S3, 1)
    assert "foreign_ownership_is_not_validated" in failed(traffic.judge(spec))


def test_validate_of_another_account_s_bucket_answered_404_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.validate(B, S3, None, http=404)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "foreign_ownership_is_not_validated")


def test_deleting_another_account_s_ownership_with_204_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(B, 1)
    assert "foreign_ownership_is_not_deleted" in failed(traffic.judge(spec))


def test_deleting_another_account_s_ownership_refused_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.delete(B, 1, status=404)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "foreign_ownership_is_not_deleted")


# --- record_is_stable, ownership_id_is_new, listed_ids_are_unique -----------------------------------------------


def test_a_filename_that_changes_between_answers_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.list(A, 1, filename="ownership-challenge-other.txt")
    assert "record_is_stable" in failed(traffic.judge(spec))


def test_a_status_that_changes_without_a_validation_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.list(A, 1, status="failed")
    assert "record_is_stable" in failed(traffic.judge(spec))


def test_a_status_that_changes_after_a_validation_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.validate(A, S3, 1, status="failed")
    traffic.list(A, 1)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "record_is_stable")


def test_a_record_from_before_the_traffic_may_change_status_but_not_its_fields(spec: Spec, traffic: Traffic) -> None:
    traffic.list(A, 1, submitted="2026-05-01T10:00:00Z")
    traffic.list(A, 1, status="success", validated="2026-05-01T11:00:00Z")  # validated out of sight
    assert not failed(traffic.judge(spec))
    traffic.list(A, 1, submitted="2026-05-02T10:00:00Z")
    assert "record_is_stable" in failed(traffic.judge(spec))


def test_an_add_answering_an_id_shown_before_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.list(A, 1)
    traffic.add(A, 1)
    assert "ownership_id_is_new" in failed(traffic.judge(spec))


def test_an_add_answering_a_fresh_id_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.list(A, 1)
    traffic.add(A, 2)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "ownership_id_is_new")


def test_a_list_showing_an_id_twice_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.list(A, 1, 1)
    assert "listed_ids_are_unique" in failed(traffic.judge(spec))


# --- credentials, single answers, the spec ----------------------------------------------------------------------


def test_an_api_key_alone_that_is_served_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.send("GET", f"/accounts/{A}/pcaps/ownership", 200, ok([]), headers=(("X-Auth-Key", "k" * 40),))
    assert "half_credentials_are_refused" in failed(traffic.judge(spec))


def test_an_api_key_alone_that_is_refused_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.send("GET", f"/accounts/{A}/pcaps/ownership", 401, failure(401), headers=(("X-Auth-Key", "k" * 40),))
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "half_credentials_are_refused")


def test_a_status_outside_the_enum_breaks_the_response_schema(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1, status="verified")
    assert "response_schema_conformance" in failed(traffic.judge(spec))


def test_a_list_served_as_text_plain_breaks_the_content_type(spec: Spec, traffic: Traffic) -> None:
    traffic.send("GET", f"/accounts/{A}/pcaps/ownership", 200, ok([]), response_headers=TEXT)
    assert "content_type_conformance" in failed(traffic.judge(spec))


def test_a_server_error_is_named_and_nothing_else_is_judged_of_it(spec: Spec, traffic: Traffic) -> None:
    traffic.send("GET", f"/accounts/{A}/pcaps/ownership", 500, b"oops", response_headers=TEXT)
    judge = traffic.judge(spec)
    assert failed(judge) == {"not_a_server_error"}


def test_a_429_is_never_judged_even_without_an_envelope(spec: Spec, traffic: Traffic) -> None:
    body = {"code": 10100, "message": "More than 1200 requests per 300 seconds reached."}
    traffic.send("GET", f"/accounts/{A}/pcaps/ownership", 429, body)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert judge.tally.throttled == 1


def test_a_submitted_with_a_space_breaks_the_timestamps(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1, submitted="2026-05-01 10:00:00Z")
    assert {"timestamps_are_rfc3339", "response_schema_conformance"} <= failed(traffic.judge(spec))


def test_submitted_is_judged_against_the_time_of_the_exchange(spec: Spec, traffic: Traffic) -> None:
    traffic.clock = 1_700_000_000.0  # 2023-11-14: the recording is old, its `submitted` is in its own future
    traffic.add(A, 1, submitted="2026-05-01T10:00:00Z")
    assert "submitted_is_not_in_future" in failed(traffic.judge(spec))


def test_an_answer_over_the_body_cap_is_judged_by_its_status_only(spec: Spec, traffic: Traffic) -> None:
    traffic.items.append(replace(traffic.add(A, 1, status="verified"), truncated=True))
    traffic.items.pop(0)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert judge.tally.truncated == 1


def test_a_violation_reproduces_with_the_request_sent_and_credentials_as_variables(
    spec: Spec, traffic: Traffic
) -> None:
    traffic.add(A, 1)
    traffic.list(A)
    report = traffic.judge(spec).report("traffic", "verify")
    text = report.render()
    assert "secret-token-123456" not in text
    assert "Authorization: Bearer $CLOUDFLARE_API_TOKEN" in text
    assert f"curl -X POST {BASE}/accounts/{A}/pcaps/ownership" in text
    assert report.exit_code == 1


# --- which requests are the API's -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "operation"),
    [
        ("GET", f"http://127.0.0.1:1/accounts/{A}/pcaps/ownership", "list_buckets"),
        ("POST", f"{BASE}/accounts/{A}/pcaps/ownership/validate", "validate_bucket"),
        ("DELETE", f"{BASE}/accounts/{A}/pcaps/ownership/{ownership_id(1)}", "delete_bucket"),
        ("DELETE", f"{BASE}/accounts/{A}/pcaps/ownership/validate", None),  # the concrete path wins: a 405
        ("GET", f"{BASE}/zones", None),
    ],
)
def test_an_operation_is_found_by_the_end_of_its_path_and_its_method(
    spec: Spec, method: str, url: str, operation: str | None
) -> None:
    matched = Router(spec).match(method, url)
    assert (matched[1].operation_id if matched else None) == operation


def test_traffic_without_an_exchange_of_the_api_cannot_be_judged(spec: Spec, traffic: Traffic) -> None:
    traffic.send("GET", "/zones", 200, ok([]))
    report = traffic.judge(spec).report("traffic", "verify")
    assert report.exit_code == 2


@pytest.mark.parametrize("shape", ["html", "envelope"])
def test_traffic_whose_every_answer_was_404_with_a_list_among_them_cannot_be_judged(
    spec: Spec, traffic: Traffic, shape: str
) -> None:
    html = (b"<html><body>404 Not Found</body></html>", (("Content-Type", "text/html"),))
    body, headers = html if shape == "html" else (failure(404), JSON)
    traffic.send("GET", f"/accounts/{A}/pcaps/ownership", 404, body, response_headers=headers)
    traffic.send(
        "POST", f"/accounts/{A}/pcaps/ownership", 404, body, {"destination_conf": S3}, response_headers=headers
    )
    report = traffic.judge(spec).report("traffic", "verify")
    assert report.exit_code == 2 and report.error is not None
    assert report.error.startswith("every answer was 404 (2 exchange(s), ")
    assert report.error.endswith("did the clients' base URL end in /client/v4?")


def test_refusals_of_unknown_records_in_the_api_s_envelope_are_judged_answers(spec: Spec, traffic: Traffic) -> None:
    traffic.delete(A, 1, status=404)
    traffic.validate(A, S3, None, http=404)
    report = traffic.judge(spec).report("traffic", "verify")
    assert report.error is None and report.exit_code == 0


def test_one_answer_that_is_not_404_is_enough_to_judge_the_traffic(spec: Spec, traffic: Traffic) -> None:
    traffic.send("GET", f"/accounts/{A}/pcaps/ownership", 404, failure(404))
    traffic.list(A)
    assert traffic.judge(spec).report("traffic", "verify").error is None


def test_each_cell_counts_the_time_of_the_answers_it_judged(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)  # each answer of the hand-built traffic takes 10 ms
    traffic.list(A, 1)
    traffic.list(A, 1)
    cells = traffic.judge(spec).ledger.cells
    assert cells[("list_buckets", "created_ownership_is_listed")].seconds == pytest.approx(0.02)
    assert cells[("add_bucket", "success_matches_status")].seconds == pytest.approx(0.01)


# --- bounded work: any answer, any length of traffic -------------------------------------------------------------


@pytest.mark.parametrize(("window", "window_bytes", "most"), [(50, 1 << 30, 102), (1 << 20, 20_000, 42)])
def test_recorded_traffic_is_judged_as_it_is_read_never_all_held(
    spec: Spec, window: int, window_bytes: int, most: int
) -> None:
    judge, pulled = PassiveJudge(spec), [0]
    most_ahead = 0

    def exchanges() -> Iterator[Recorded]:
        nonlocal most_ahead
        for number in range(5_000):
            pulled[0] += 1
            most_ahead = max(most_ahead, pulled[0] - judge.tally.exchanges)
            # Out of order by a little and long in flight: both held, neither beyond the window.
            start = 1_780_000_000.0 + number + (3 if number % 7 == 0 else 0)
            body = b"x" * 1000
            yield Recorded("GET", f"https://other.example/{number}", (), b"", 200, (), body, start, start + 90)

    judge.judge_all(exchanges(), window=window, window_bytes=window_bytes)
    assert judge.tally.exchanges == 5_000
    assert most_ahead <= most  # held to be begun, and in flight: each bounded by count and by bytes


def test_an_add_in_flight_ends_where_a_request_naming_its_id_starts_even_read_late(
    spec: Spec, traffic: Traffic
) -> None:
    added, deleted, listing = traffic.add(A, 1), traffic.delete(A, 1), traffic.list(A)
    late = replace(added, ended=deleted.started + 0.002)
    traffic.items = [listing, replace(deleted, ended=deleted.started + 0.001), late]  # read in another order
    judge = traffic.judge(spec)
    assert "created_ownership_is_listed" not in failed(judge) and passed(judge, "created_ownership_can_be_deleted")


BODIES = st.one_of(
    st.binary(max_size=64),
    st.integers(min_value=0, max_value=120_000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=0, max_value=120_000).map(lambda depth: b'{"result": ' * depth + b"1" + b"}" * depth),
    st.sampled_from([b'{"result": NaN}', b'{"success": 1e999}', b'{"result": {"id": "\\ud800"}}', b"\xff\xfe"]),
)


@settings(max_examples=120, deadline=None)
@given(
    body=BODIES,
    request=BODIES,
    status=st.sampled_from([200, 204, 400, 404, 429, 500]),
    path=st.sampled_from(["", "/validate", f"/{'a' * 32}"]),
    method=st.sampled_from(["GET", "POST", "DELETE"]),
)
def test_any_answer_is_judged_or_counted_never_a_crash(
    spec: Spec, body: bytes, request: bytes, status: int, path: str, method: str
) -> None:
    judge = PassiveJudge(spec)
    url = f"{BASE}/accounts/{A}/pcaps/ownership{path}"
    judge.judge_all([Recorded(method, url, TOKEN, request, status, JSON, body, 1_780_000_000.0, 1_780_000_000.1)])
    assert judge.tally.exchanges == 1
    assert judge.tally.judged + judge.tally.unjudged + judge.tally.other + judge.tally.throttled == 1
    if judge.tally.judged and too_deep(body, 64):  # judged by its status alone
        assert judge.tally.too_deep == 1 and failed(judge) <= {"not_a_server_error", "status_code_conformance"}


def test_a_failure_of_the_judge_itself_is_counted_the_model_forgotten_and_the_rest_judged(
    spec: Spec, traffic: Traffic, monkeypatch: pytest.MonkeyPatch
) -> None:
    traffic.add(A, 1)
    broken, later = traffic.list(A, 1), traffic.list(A)
    original = PassiveJudge._listed

    def fails_once(self: PassiveJudge, scope: Any, seen: Any) -> None:
        if seen.recorded is broken:
            raise RecursionError("maximum recursion depth exceeded")
        original(self, scope, seen)

    monkeypatch.setattr(PassiveJudge, "_listed", fails_once)
    judge = traffic.judge(spec)
    assert judge.tally.unjudged == 1 and judge.tally.judged == 2 and judge.tally.exchanges == 3
    assert "created_ownership_is_listed" not in failed(judge)  # what the model held was forgotten, not misjudged
    assert later in traffic.items
    assert any("could not be judged" in note for note in judge.report("t", "verify").notes)


def test_a_judge_that_judged_nothing_because_it_failed_says_so(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PassiveJudge, "_half_credentials", lambda *_: 1 / 0)
    traffic = Traffic()
    traffic.list(A)
    judge = traffic.judge(spec)
    assert judge.report("t", "verify").error == "the judge could not judge any of the 1 exchange(s) it was given"


def test_the_model_forgets_the_ids_shown_least_recently_and_stays_silent_on_them(
    spec: Spec, traffic: Traffic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pcaps_contract.passive.judging.MAX_TRACKED_IDS", 5)
    for number in range(1, 40):
        traffic.add(A, number)
        traffic.list(A, number)
        traffic.delete(A, number)
    traffic.validate(A, S3, 1)  # the bucket of a forgotten id: nothing known to compare the answer with
    traffic.add(A, 100)
    traffic.list(A)  # a recent id missing: still named
    judge = traffic.judge(spec)
    sizes = [len(getattr(judge.scopes[f"{BASE}"], name)) for name in ("tracked", "gone", "seen", "owner", "conf")]
    assert max(sizes) <= 5, sizes
    assert failed(judge) == {"created_ownership_is_listed"}


def test_accounts_and_apis_beyond_the_bounds_are_forgotten_too(spec: Spec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pcaps_contract.passive.judging.MAX_TRACKED_IDS", 5)
    monkeypatch.setattr("pcaps_contract.passive.judging.MAX_TRACKED_SCOPES", 3)
    traffic = Traffic()
    for number in range(40):
        traffic.list(f"{number:032x}")  # each account known whole, once
    for host in range(10):
        listing = traffic.list(A)
        traffic.items[-1] = replace(listing, url=listing.url.replace("api.example.com", f"api{host}.example.com"))
    traffic.add(A, 1)
    traffic.list(A)  # the latest API's model still names a missing id
    judge = traffic.judge(spec)
    assert len(judge.scopes) <= 3
    assert all(len(scope.present) <= 5 and len(scope.accounts) <= 2 for scope in judge.scopes.values())
    assert failed(judge) == {"created_ownership_is_listed"}


def test_a_validated_time_before_the_validation_was_sent_is_named(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.clock += 3600  # validated an hour after the add; the server stamps the add's hour
    traffic.validate(A, S3, 1, status="success", validated=_stamp(traffic.clock - 3000))
    assert "validated_is_not_before_validation" in failed(traffic.judge(spec))


def test_a_validated_time_after_the_validation_was_sent_passes(spec: Spec, traffic: Traffic) -> None:
    traffic.add(A, 1)
    traffic.clock += 3600
    traffic.validate(A, S3, 1, status="success", validated=_stamp(traffic.clock + 1))
    traffic.list(A, 1)
    judge = traffic.judge(spec)
    assert not failed(judge)
    assert passed(judge, "validated_is_not_before_validation")
