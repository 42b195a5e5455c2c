"""Ids a server hands back that no request may carry: `check` and `fuzz` in a subprocess, over real sockets.

The independent peer (tests/peers/server.py) answers the first add and every third after it with an id holding a
lone surrogate; the run must delete every other ownership, list each of those as left behind (escaped), exit 3 and
never crash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_hostile import assert_survived, run_command
from tests.peers.server import PEER_ACCOUNTS, serve_peer

ACCOUNTS = [arg for account in PEER_ACCOUNTS for arg in ("--account-id", account)]
# A lone surrogate is valid JSON text (`"\ud800"`) but has no UTF-8 form: no URL can carry it.
ODD_ID = "bad\ud800"
BOUND = 120.0


def _escaped(ownership_id: str) -> str:
    return json.dumps(ownership_id)


@pytest.mark.parametrize("command", ["check", "fuzz"])
def test_an_id_no_request_can_carry_is_listed_as_left_behind_and_every_other_ownership_is_deleted(
    command: str, tmp_path: Path
) -> None:
    report_dir = tmp_path / "report"
    # Cases, not seconds: the number of adds must not depend on how busy the machine is.
    budget = ["--max-examples", "2"] if command == "check" else ["--operation", "add_bucket", "--max-examples", "25"]
    options = [*ACCOUNTS, "--seed", "1", "--timeout", "5", *budget, "--report-dir", str(report_dir)]
    with serve_peer(odd_id=ODD_ID) as (base_url, peer):
        ran = run_command([command, "--base-url", base_url, "--token", "peer-token", *options], tmp_path, BOUND)
        left = {(account, record["id"]) for account, records in peer.records().items() for record in records}
    assert_survived(ran, command, {3}, BOUND)
    assert peer.adds >= 2, f"too few adds for an odd id and a plain one: {ran.describe()}"
    # Only the odd ids stay on the target: every ownership with an id a request can carry was deleted.
    assert left and all(ownership_id.startswith(ODD_ID) for _, ownership_id in left), left
    listed = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    assert listed["exit_code"] == 3
    assert {(item["account"], item["ownership_id"]) for item in listed["leftovers"]} == {
        (account, _escaped(ownership_id)) for account, ownership_id in left
    }
    assert all("\\ud800" in item["reason"] for item in listed["leftovers"])
    for account, ownership_id in left:
        assert f"LEFT BEHIND: ownership {_escaped(ownership_id)} of account {account}" in ran.output
