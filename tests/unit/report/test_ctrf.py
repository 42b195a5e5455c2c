"""ctrf.json (`report.ctrf`): valid by the format's published schema, one test per operation x check, redacted."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract.engine.ownerships import Leftover
from pcaps_contract.judge.ledger import Failure, Ledger, Step
from pcaps_contract.report.ctrf import ctrf_document, write_ctrf
from pcaps_contract.report.run_report import RunReport

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "ctrf.schema.json"
SCHEMA_SHA256 = "742dee4cffda469902a9c30c4a87b0b7000d59d2ee502dcccb12ec471cea96a2"  # npm `ctrf` 0.3.0's
SECRET = "ctrf-secret-token-4b1d9e"
CHECKS = ["not_a_server_error", "success_has_result", "created_ownership_is_listed", "destination_conf_is_echoed"]


@functools.cache
def validator() -> jsonschema.Draft7Validator:
    text = SCHEMA_FILE.read_bytes()
    assert hashlib.sha256(text).hexdigest() == SCHEMA_SHA256  # the schema as published, unedited
    return jsonschema.Draft7Validator(json.loads(text), format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def valid(document: dict[str, Any]) -> None:
    errors = sorted(validator().iter_errors(document), key=str)
    assert not errors, [error.message for error in errors]


def report_of(**fields: Any) -> RunReport:
    ledger = Ledger(["list_buckets", "add_bucket"], CHECKS)
    ledger.passed("list_buckets", "not_a_server_error", 0.25)
    ledger.passed("list_buckets", "created_ownership_is_listed")
    step = Step("POST", f"http://127.0.0.1:1/x?t={SECRET}", {"Authorization": f"Bearer {SECRET}"}, body="{}")
    ledger.failed(Failure("add_bucket", "success_has_result", "a `result`", f"leaked {SECRET}", (step,)), 0.5)
    fields = {"started_at": "2026-12-06T15:10:39Z", "seconds": 2.5, **fields}
    return RunReport("http://127.0.0.1:1/client/v4", 7, "quick", ledger, Credentials(token=SECRET), **fields)


def test_one_test_per_cell_a_report_shows_each_with_its_status_and_the_summary_adds_up() -> None:
    document = ctrf_document(report_of())
    valid(document)
    tests = {test["name"]: test for test in document["results"]["tests"]}
    # 2 operations x 4 checks, less the two never judged there by design
    assert len(tests) == 6 and "created_ownership_is_listed on add_bucket" not in tests
    assert "destination_conf_is_echoed on list_buckets" not in tests
    assert tests["not_a_server_error on list_buckets"] == {
        "name": "not_a_server_error on list_buckets",
        "status": "passed",
        "duration": 250,
        "suite": ["list_buckets"],
        "extra": {"operation": "list_buckets", "check": "not_a_server_error", "passed": 1},
    }
    failed = tests["success_has_result on add_bucket"]
    assert failed["status"] == "failed" and failed["message"].startswith("Expected: a `result`\nReceived: leaked")
    assert "curl -X POST" in failed["trace"] and "$CLOUDFLARE_API_TOKEN" in failed["trace"]
    assert tests["destination_conf_is_echoed on add_bucket"]["status"] == "skipped"
    assert tests["destination_conf_is_echoed on add_bucket"]["message"].startswith("never applied: ")
    summary = document["results"]["summary"]
    assert (summary["tests"], summary["passed"], summary["failed"], summary["skipped"], summary["other"]) == (
        6,
        2,
        1,
        3,
        0,
    )
    assert summary["stop"] - summary["start"] == 2500 and summary["start"] == 1796569839000
    assert document["results"]["tool"]["name"] == "pcaps-contract" and document["reportFormat"] == "CTRF"
    assert SECRET not in json.dumps(document)


def test_a_run_that_could_not_judge_and_each_leftover_are_tests_of_status_other() -> None:
    left = Leftover("acc", "own-1", "the delete answered 500")
    document = ctrf_document(report_of(error=f"could not judge: {SECRET} refused", leftovers=[left]))
    valid(document)
    others = [test for test in document["results"]["tests"] if test["status"] == "other"]
    assert [test["name"] for test in others] == ["the run judges the target", f"{left.what} is deleted"]
    assert document["results"]["summary"]["other"] == 2 and SECRET not in json.dumps(document)
    assert document["results"]["extra"]["exit_code"] == 3


def test_a_report_of_nothing_is_still_a_valid_document(tmp_path: Path) -> None:
    empty = RunReport("t", 0, "check", Ledger([], []), Credentials(token=SECRET), error="refused", started_at="")
    write_ctrf(empty, tmp_path / "ctrf.json")
    document = json.loads((tmp_path / "ctrf.json").read_text(encoding="utf-8"))
    valid(document)
    assert document["results"]["summary"]["tests"] == 1


def test_the_schema_refuses_what_breaks_the_format() -> None:
    """The validation can fail: a status the format does not know, a missing summary count."""
    document = ctrf_document(report_of())
    document["results"]["tests"][0]["status"] = "never applied"
    with pytest.raises(AssertionError):
        valid(document)
    document = ctrf_document(report_of())
    del document["results"]["summary"]["pending"]
    with pytest.raises(AssertionError):
        valid(document)


@settings(deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_any_text_a_server_sent_stays_valid_and_redacted(expected: str, received: str) -> None:
    ledger = Ledger(["add_bucket"], ["not_a_server_error"])
    ledger.failed(Failure("add_bucket", "not_a_server_error", expected, received + SECRET))
    document = ctrf_document(RunReport("t", 1, "quick", ledger, Credentials(token=SECRET)))
    valid(document)
    assert SECRET not in json.dumps(document)
