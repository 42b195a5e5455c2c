"""The fuzz page from a result alone: links only to files the folder holds, an older result without a timeline."""

from __future__ import annotations

import json
from pathlib import Path

from pcaps_contract.fuzz.report import Reporter, placeholder_credentials
from pcaps_contract.fuzz.result import FuzzResult
from tests.unit.fuzz.test_result import result


def page(fuzz: FuzzResult, folder: Path) -> str:
    reporter = Reporter(fuzz, placeholder_credentials(key_pair=False))
    reporter.write(folder)
    return (folder / "report.html").read_text(encoding="utf-8")


def test_a_merged_folder_without_an_event_log_links_only_the_files_it_holds(tmp_path: Path) -> None:
    html = page(result(), tmp_path)
    assert 'href="result.json"' in html and 'href="junit.xml"' in html and 'href="baseline.json"' in html
    assert 'href="events.ndjson"' not in html  # --merge writes none
    assert 'href="replay/test_' in html and str(tmp_path) not in html
    assert 'id="timeline"' in html and "Cause: <code>RFC 3339</code>" in html


def test_an_older_result_renders_without_a_timeline_or_times_and_says_so(tmp_path: Path) -> None:
    data = result().as_json()
    del data["timeline"], data["tool"]
    for stats in data["per_operation"].values():
        del stats["codes"], stats["latency_ms"]
    html = page(FuzzResult.from_json(json.loads(json.dumps(data))), tmp_path)
    assert 'id="timeline"' not in html and "No timeline: this result was written before" in html
    assert "unknown (a result written before versions were recorded)" in html
    assert 'data-latency="p50">-<' in html


def test_a_hostile_cause_is_escaped_on_the_page(tmp_path: Path) -> None:
    fuzz = result()
    fuzz.findings = [
        finding.__class__(**{**finding.__dict__, "readable": "<script>alert(1)</script>"}) for finding in fuzz.findings
    ]
    html = page(fuzz, tmp_path)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
