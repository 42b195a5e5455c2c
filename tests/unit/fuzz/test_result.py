"""FuzzResult as result.json: what a run recorded survives the file, older files still load, split runs merge."""

from __future__ import annotations

import json
from collections import Counter

from pcaps_contract.fuzz.findings import Exemplar, Finding
from pcaps_contract.fuzz.latency import Latency
from pcaps_contract.fuzz.result import FuzzResult, OperationStats, merge_results
from pcaps_contract.fuzz.timeline import Timeline


def result(started_at: str = "2026-11-26T13:00:00+00:00", **extra: object) -> FuzzResult:
    latency = Latency()
    for seconds in (0.004, 0.012, 0.2):
        latency.record(seconds)
    stats = OperationStats(
        cases=4, statuses=Counter({"2xx": 2, "4xx": 2}), codes=Counter({"200": 2, "404": 1, "400": 1}), latency=latency
    )
    timeline = Timeline()
    timeline.add(0.5, requests=3, throttled=1)
    timeline.add(1.5, requests=1, findings=1)
    exemplar = Exemplar("add_bucket", "POST", "http://127.0.0.1:1/client/v4/x", status=200)
    finding = Finding("add_bucket", "timestamps_are_rfc3339", "RFC N", "RFC 3339", "x", exemplar, readable="RFC 3339")
    fields: dict[str, object] = {
        "target": "http://127.0.0.1:1/client/v4",
        "accounts": ["a"],
        "seed": 1,
        "operations": ["add_bucket"],
        "budget": "0m05s",
        "rate": "50/s",
        "workers": 1,
        "started_at": started_at,
        "seconds": 2.0,
        "stop_reason": "budget spent",
        "per_operation": {"add_bucket": stats},
        "findings": [finding],
        "tool": "pcaps-contract 0.1.0",
        "spec_sha256": "ab" * 32,
        "timeline": timeline,
        **extra,
    }
    return FuzzResult(**fields)  # type: ignore[arg-type]


def test_result_json_leads_with_the_tool_and_spec_and_holds_exact_statuses_times_and_the_timeline() -> None:
    data = json.loads(json.dumps(result().as_json()))
    assert list(data)[:3] == ["tool", "spec_sha256", "target"]
    stats = data["per_operation"]["add_bucket"]
    assert stats["codes"] == {"200": 2, "400": 1, "404": 1}
    assert stats["latency_ms"]["count"] == 3 and stats["latency_ms"]["max"] == 200.0
    assert data["timeline"] == {"bucket_seconds": 1.0, "requests": [3, 1], "throttled": [1], "findings": [0, 1]}
    assert data["findings"][0]["readable"] == "RFC 3339"
    assert FuzzResult.from_json(data) == result()


def test_a_result_json_written_before_these_fields_still_loads() -> None:
    data = result().as_json()
    for name in ("tool", "spec_sha256", "timeline"):
        del data[name]
    for stats in data["per_operation"].values():
        del stats["codes"], stats["latency_ms"]
    del data["findings"][0]["readable"]
    old = FuzzResult.from_json(data)
    assert old.tool == "" and old.timeline.buckets == 0 and old.per_operation["add_bucket"].latency.count == 0
    assert old.per_operation["add_bucket"].statuses == Counter({"2xx": 2, "4xx": 2})
    assert old.findings[0].shown_cause == "RFC N"
    merged = merge_results([old, result()])  # --merge reads earlier runs next to new ones
    assert merged.per_operation["add_bucket"].codes == Counter({"200": 2, "404": 1, "400": 1})


def test_merged_runs_add_statuses_and_times_and_line_their_timelines_up_by_start() -> None:
    merged = merge_results([result(), result(started_at="2026-11-26T13:00:01+00:00")])
    stats = merged.per_operation["add_bucket"]
    assert stats.codes == Counter({"200": 4, "404": 2, "400": 2}) and stats.latency.count == 6
    assert merged.timeline.requests == [3, 4, 1] and merged.timeline.throttled == [1, 1]
    assert merged.tool == "pcaps-contract 0.1.0" and merged.spec_sha256 == "ab" * 32


def test_merging_runs_of_different_versions_names_both() -> None:
    merged = merge_results([result(), result(tool="pcaps-contract 0.2.0", spec_sha256="cd" * 32)])
    assert merged.tool == "pcaps-contract 0.1.0, pcaps-contract 0.2.0" and merged.spec_sha256.count(",") == 1
