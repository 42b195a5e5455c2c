"""`verify` judges each field of a recorded add against the add's own time window, where the recording has one:
a HAR of one add, as a browser or a proxy would write it, broken in one field or kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import Run
from tests.gallery.broken import OWNER

STARTED = datetime(2026, 5, 1, 10, 0, 0, 250_000, tzinfo=UTC)
CONF = "s3://pcaps-bucket?region=us-east-1"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def har_of_one_add(path: Path, took: Any = 40, **changes: Any) -> Path:
    """A HAR of one add started at STARTED, taking `took` ms (None: the entry says nothing), answered `changes`
    (a field changed to None is left out)."""
    ownership = {
        "id": "9883874ecac311ec8475433579a6bf5f",
        "destination_conf": CONF,
        "filename": "ownership-challenge-9883874ecac311ec8475433579a6bf5f.txt",
        "status": "pending",
        "submitted": stamp(STARTED),
        "validated": "",
        **changes,
    }
    ownership = {name: value for name, value in ownership.items() if value is not None}
    entry: dict[str, Any] = {
        "startedDateTime": STARTED.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "request": {
            "method": "POST",
            "url": f"https://api.example.com/client/v4/accounts/{OWNER}/pcaps/ownership",
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "postData": {"mimeType": "application/json", "text": json.dumps({"destination_conf": CONF})},
        },
        "response": {
            "status": 200,
            "headers": [{"name": "Content-Type", "value": "application/json"}],
            "content": {"text": json.dumps({"success": True, "errors": [], "messages": [], "result": ownership})},
        },
    }
    if took is not None:
        entry["time"] = took
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"status": "success"}, "added_ownership_is_pending"),
        ({"validated": stamp(STARTED)}, "added_ownership_is_not_validated"),
        ({"submitted": stamp(STARTED - timedelta(hours=1))}, "submitted_is_not_before_add"),
        ({"submitted": stamp(STARTED + timedelta(hours=1))}, "submitted_is_not_in_future"),
    ],
    ids=["success straight away", "validated on add", "an hour behind", "an hour ahead"],
)
def test_verify_names_an_add_whose_record_is_not_new(
    run_cli: Run, tmp_path: Path, changes: dict[str, Any], check: str
) -> None:
    outcome = run_cli("verify", str(har_of_one_add(tmp_path / "add.har", **changes)))
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert check in outcome.failed_checks(), outcome.stdout


@pytest.mark.parametrize("took", [40, None, -1], ids=["timed", "no time", "time unknown"])
def test_verify_passes_an_add_stamped_in_whole_seconds_within_its_window(
    run_cli: Run, tmp_path: Path, took: Any
) -> None:
    # Started at 10:00:00.250 and stamped 10:00:00 (cut to the second); `validated` empty or absent (a null is
    # not one of the spec's forms: other checks name it).
    for validated in ("", None):
        har = har_of_one_add(tmp_path / "add.har", took, validated=validated)
        outcome = run_cli("verify", str(har), "--report", str(tmp_path / "result.json"))
        assert outcome.code == 0, outcome.stdout + outcome.stderr
        assert not outcome.failed_checks(), outcome.stdout
        judged = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
        assert "submitted_is_not_before_add" not in judged["never_judged"], judged["never_judged"]


def test_verify_judges_the_read_side_only_where_the_recording_says_when_the_answer_ended(
    run_cli: Run, tmp_path: Path
) -> None:
    later = {"submitted": stamp(STARTED + timedelta(minutes=10))}  # an add that took 10 min, recorded without `time`
    unknown = run_cli("verify", str(har_of_one_add(tmp_path / "unknown.har", None, **later)))
    assert unknown.code == 0, unknown.stdout + unknown.stderr
    timed = run_cli("verify", str(har_of_one_add(tmp_path / "timed.har", 40, **later)))
    assert timed.code == 1, timed.stdout + timed.stderr
    assert "submitted_is_not_in_future" in timed.failed_checks(), timed.stdout
