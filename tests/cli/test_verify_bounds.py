"""`verify` of hostile recordings, on files: nesting, times, URLs and sizes beyond the bounds are one sentence and
exit 2 naming the exchange; bodies beyond them are judged by their status alone; a long recording is streamed."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcaps_contract._errors import UsageError
from pcaps_contract.passive.traffic import read_traffic
from tests.cli.helpers import Run, cli_runner
from tests.cli.served import verify_text
from tests.gallery.broken import OWNER

URL = f"https://api.example.com/client/v4/accounts/{OWNER}/pcaps/ownership"
LISTED = json.dumps({"success": True, "errors": [], "messages": [], "result": []})


def entry(**changes: Any) -> dict[str, Any]:
    """A list answered as the contract says, with `changes` put over its fields (`request.url=...` reaches in)."""
    item: dict[str, Any] = {
        "startedDateTime": "2026-05-01T10:00:00.000Z",
        "time": 5,
        "request": {"method": "GET", "url": URL, "headers": [{"name": "Authorization", "value": "Bearer t-123"}]},
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"text": LISTED},
        },
    }
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        place = item
        for parent in parents:
            place = place[parent]
        place[last] = value
    return item


def har(*entries: dict[str, Any]) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": list(entries)}})


def ndjson_line(**changes: Any) -> str:
    record = {
        "kind": "pcaps-contract-exchange",
        "started": "2026-05-01T10:00:00.000000Z",
        "ended": "2026-05-01T10:00:00.005000Z",
        "request": {"method": "GET", "url": URL, "headers": [], "body": ""},
        "response": {"status": 200, "headers": [["Content-Type", "application/json"]], "body": LISTED},
    }
    record.update(changes)
    return json.dumps(record) + "\n"


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ('{"log": {"entries": [' + "[" * 200_000 + "]" * 200_000 + "]}}", "entry 1 is beyond a bound"),
        (har(entry(), entry(response={"x": json.loads("[" * 60 + "]" * 60)})), "entry 2 is beyond a bound"),
        (har(entry(time=float("nan"))), "entry 1 is not a HAR 1.2 entry"),
        (har(entry(time=float("inf"))), "entry 1 is not a HAR 1.2 entry"),
        (har(entry(time=1e308)), "entry 1 has a `time` of 1e+308 ms"),
        (har(entry(), entry(time="5")), "entry 2 has a `time` that is not a number"),
        (har(entry(startedDateTime="0001-01-01T00:00:00Z")), "entry 1 has a time outside 1970..2999"),
        (har(entry(startedDateTime="9999-12-31T23:59:59Z")), "entry 1 has a time outside 1970..2999"),
        (har(entry(startedDateTime="yesterday")), "entry 1 has a time that is not an ISO 8601"),
        (har(entry(**{"request.url": "http://[::1"})), "entry 1 has a URL that cannot be read"),
        (har(entry(**{"request.url": "http://h:99999999/x"})), "entry 1 has a URL that cannot be read"),
        (har(entry(**{"response.status": 10**30})), "entry 1 has the status"),
        ('{"log": {"entries": [{"request": {"url": "h', "is not valid JSON (the text ends before"),
        ("{" + '"kind": "pcaps-contract-exchange", "x": ' + "[" * 200_000, "line 1 is beyond a bound"),
        (ndjson_line() + ndjson_line(started="0001-01-01T00:00:00Z"), "line 2 has a time outside"),
        (ndjson_line(request={"method": "GET", "url": "http://[::1", "headers": []}), "line 1 has a URL"),
        (ndjson_line().replace('"ended"', '"x": NaN, "ended"'), "line 1 is not JSON"),
    ],
    ids=lambda value: value[:40] if isinstance(value, str) and len(value) < 60 else None,
)
def test_a_recording_beyond_a_bound_is_one_sentence_naming_the_exchange(
    run_cli: Run, tmp_path: Path, text: str, sentence: str
) -> None:
    assert sentence in verify_text(run_cli, tmp_path, text).stderr


@pytest.mark.parametrize("where", ["response.content.text", "request.postData"])
def test_bodies_nested_100_000_deep_are_judged_by_their_status_alone(run_cli: Run, tmp_path: Path, where: str) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    value: Any = deep if where.endswith("text") else {"mimeType": "application/json", "text": deep}
    path = tmp_path / "deep.har"
    path.write_text(har(entry(**{where: value})), encoding="utf-8")
    outcome = run_cli("verify", str(path))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert ("nesting JSON more than 64 levels deep" in outcome.stdout) is where.endswith("text")


def test_an_ndjson_body_nested_100_000_deep_is_judged_by_its_status_alone(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "exchanges.ndjson"
    path.write_text(ndjson_line(response={"status": 200, "headers": [], "body": "[" * 100_000}), encoding="utf-8")
    outcome = run_cli("verify", str(path))
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "nesting JSON more than 64 levels deep" in outcome.stdout


def test_a_long_har_is_read_an_entry_at_a_time(tmp_path: Path) -> None:
    body = json.dumps({"success": True, "errors": [], "messages": [], "result": [{"pad": "p" * 2000}]})
    path = tmp_path / "long.har"
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"log": {"version": "1.2", "entries": [')
        handle.write(",".join(json.dumps(entry(**{"response.content.text": body})) for _ in range(12_000)))
        handle.write("]}}")
    assert path.stat().st_size > 28 << 20
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_traffic(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 12_000
    assert peak < 8 << 20, peak  # the file is 28 MB; read whole it costs more than twice that


MOMENTS = st.one_of(
    st.datetimes().map(lambda moment: moment.isoformat() + "Z"),
    st.text(max_size=30),
    st.floats(),
    st.integers(),
    st.none(),
)
TIMES = st.one_of(st.floats(), st.integers(min_value=-(10**30), max_value=10**30), st.text(max_size=5), st.none())
URLS = st.one_of(st.text(max_size=40), st.text(max_size=20).map(lambda text: "http://" + text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=MOMENTS, took=TIMES, url=URLS)
def test_whatever_an_entry_s_times_and_url_it_reads_or_is_one_sentence(
    tmp_path: Path, moment: Any, took: Any, url: str
) -> None:
    path = tmp_path / "fuzzed.har"
    path.write_text(har(entry(startedDateTime=moment, time=took, **{"request.url": url})), encoding="utf-8")
    try:
        [recorded] = read_traffic(path)
    except UsageError as error:
        assert str(error).startswith(f"{path}: entry 1 ") or "not valid JSON" in str(error)
        assert "\n" not in str(error)
        return
    assert 0 <= recorded.started < 32_503_680_000 and 0 <= recorded.ended - recorded.started <= 86_400


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(depth=st.integers(min_value=0, max_value=150_000), place=st.sampled_from(["document", "body", "header"]))
def test_verify_of_any_nesting_anywhere_ends_in_a_verdict_or_one_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, depth: int, place: str
) -> None:
    deep = "[" * depth + "]" * depth
    if place == "document":
        text = '{"log": {"entries": [' + deep + "]}}"
    elif place == "body":
        text = har(entry(**{"response.content.text": deep}))
    else:
        text = har(entry(**{"request.headers": json.loads(deep or "[]")})) if depth < 60 else har(entry()) + deep
    path = tmp_path / "nested.har"
    path.write_text(text, encoding="utf-8")
    outcome = cli_runner(monkeypatch)("verify", str(path))
    shallow_body = place == "body" and depth <= 64  # JSON but not the envelope, or no body at all: a violation
    assert outcome.code in ((1,) if shallow_body else (0, 2)), outcome.stdout + outcome.stderr
    assert "Traceback" not in outcome.stderr and outcome.stderr.count("\n") <= 1
