"""Findings: deduplicated by (operation, check, cause), merged across runs, accepted through a baseline file."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pcaps_contract._errors import UsageError
from pcaps_contract.fuzz.baseline import baseline_document, load_baseline
from pcaps_contract.fuzz.findings import (
    Exemplar,
    Finding,
    FindingSet,
    finding_key,
    merge_findings,
    normalise_cause,
    readable_cause,
)


def finding(
    check: str = "not_a_server_error", cause: str = "ServerError 500", url: str = "/a", **extra: object
) -> Finding:
    exemplar = Exemplar("add_bucket", "POST", "http://127.0.0.1:1/client/v4" + url, status=500)
    return Finding("add_bucket", check, cause, "a status below 500", f"status 500 at {url}", exemplar, **extra)  # type: ignore[arg-type]


def test_the_same_operation_check_and_cause_is_one_finding_seen_several_times() -> None:
    findings = FindingSet()
    assert findings.add(finding(url="/long/path/of/the/first/case"))
    assert not findings.add(finding(url="/b"))
    assert not findings.add(finding(url="/ccc"))
    [only] = findings.all()
    assert only.count == 3
    assert only.exemplar.url.endswith("/b") and only.received == "status 500 at /b"  # the smallest example wins


def test_a_different_cause_or_check_is_a_different_finding() -> None:
    findings = FindingSet()
    findings.add(finding())
    findings.add(finding(cause="ServerError 503"))
    findings.add(finding(check="success_matches_status"))
    assert len(findings.all()) == 3


def test_causes_ignore_ids_timestamps_numbers_and_quoted_values() -> None:
    one = normalise_cause('`submitted: "2026-11-26 11:05:00"` for 9883874ecac311ec8475433579a6bf5f')
    two = normalise_cause('`submitted: "2020-01-01 08:00:00"` for 4a1f0e7b9c2d4e8fa3b5c6d7e8f90a1b')
    assert one == two == '`submitted: "…"` for <id>'
    assert normalise_cause("status 500") == normalise_cause("status 503")
    assert normalise_cause("") == ""


def test_the_key_of_a_finding_is_stable_across_runs() -> None:
    assert finding().key == finding(url="/other").key != finding(cause="other").key


def test_findings_of_several_runs_merge_by_key_adding_their_counts() -> None:
    first = [finding(count=2, first_seen=5.0), finding(check="success_matches_status")]
    second = [finding(count=3, first_seen=1.0, url="/x")]
    merged = merge_findings([first, second])
    assert [(f.check, f.count) for f in merged] == [("not_a_server_error", 5), ("success_matches_status", 1)]
    assert merged[0].first_seen == 1.0


def test_a_baseline_marks_its_findings_known_and_leaves_new_ones_new(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(baseline_document([finding()])))
    findings = FindingSet(load_baseline(path))
    findings.add(finding())
    findings.add(finding(check="failure_has_errors", cause="at least one entry"))
    assert [(f.check, f.known) for f in findings.all()] == [("not_a_server_error", True), ("failure_has_errors", False)]


def test_a_missing_baseline_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"baseline\.json"):
        load_baseline(tmp_path / "nope.json")


@pytest.mark.parametrize("text", ["not json", "[]", '{"findings": [{"operation": "add_bucket"}]}'])
def test_a_malformed_baseline_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text)
    with pytest.raises(UsageError, match="baseline"):
        load_baseline(path)


def test_a_finding_survives_a_round_trip_through_json() -> None:
    original = finding(count=4, known=True)
    assert Finding.from_json(json.loads(json.dumps(original.as_json()))) == original


def test_the_terminal_report_escapes_control_characters_a_server_sent() -> None:
    from pcaps_contract._credentials import Credentials
    from pcaps_contract._terminal import painted
    from pcaps_contract.fuzz.report import Reporter
    from pcaps_contract.fuzz.result import FuzzResult
    from pcaps_contract.report import TEXT_STYLES

    hostile = finding(url="/x\x1b[2J\x00")
    result = FuzzResult("http://127.0.0.1:1/client/v4", [], 1, ["add_bucket"], "1m", "1/s", 1, "", 1.0, "budget spent")
    result.findings = [hostile]
    # What the command prints: the text through the terminal's one writer (a pipe here, so no colour either).
    text = painted(Reporter(result, Credentials(token="t0ken")).render_text(), TEXT_STYLES, io.StringIO())
    assert "\x1b" not in text and "\x00" not in text and "\\x1b[2J\\x00" in text


def test_a_merged_report_reproduces_with_the_key_pair_variables_when_the_runs_used_them() -> None:
    from pcaps_contract.fuzz.report import Reporter, placeholder_credentials
    from pcaps_contract.fuzz.result import FuzzResult, merge_results

    result = FuzzResult("http://127.0.0.1:1/client/v4", [], 1, ["add_bucket"], "1m", "1/s", 1, "", 1.0, "budget spent")
    result.findings, result.key_pair = [finding()], True
    merged = merge_results([FuzzResult.from_json(json.loads(json.dumps(result.as_json())))])
    curl = Reporter(merged, placeholder_credentials(merged.key_pair)).curl(0)
    assert '-H "X-Auth-Email: $CLOUDFLARE_EMAIL" -H "X-Auth-Key: $CLOUDFLARE_API_KEY"' in curl


RFC3339_EXPECTED = "`submitted` as an RFC 3339 date-time (`2026-11-26T11:05:00Z`: a `T`, then `Z` or an offset)"


def test_the_cause_people_read_keeps_its_numbers_and_blanks_only_ids_times_and_counts() -> None:
    assert readable_cause(RFC3339_EXPECTED) == (
        "`submitted` as an RFC 3339 date-time (`<time>`: a `T`, then `Z` or an offset)"
    )
    assert readable_cause("`result: null` with status 404") == "`result: null` with status 404"
    assert readable_cause("`id` for 9883874ecac311ec8475433579a6bf5f, 120 bytes in 35 ms") == (
        "`id` for <id>, N bytes in N ms"
    )


def test_the_key_still_blanks_every_number_so_old_baselines_keep_matching() -> None:
    cause = normalise_cause(RFC3339_EXPECTED)
    assert cause == "`submitted` as an RFC N date-time (`<time>`: a `T`, then `Z` or an offset)"
    assert finding_key("add_bucket", "timestamps_are_rfc3339", cause) == "1d06d0e72a"  # the key runs have used
    for text in (RFC3339_EXPECTED, '`x: "12 bytes"` for 0123456789abcdef0 at 2026-01-01T00:00:00Z', "1.5.3 s"):
        assert normalise_cause(readable_cause(text)) == normalise_cause(text)


def test_a_finding_shows_its_readable_cause_and_one_from_an_older_result_its_signature() -> None:
    shown = finding(cause="RFC N", readable="RFC 3339")
    assert shown.shown_cause == "RFC 3339" and shown.key == finding(cause="RFC N").key
    old = {key: value for key, value in shown.as_json().items() if key != "readable"}
    assert Finding.from_json(old).shown_cause == "RFC N"
