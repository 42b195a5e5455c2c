"""`compare` end to end over real sockets: the served mock against itself, against the independent peer's faithful
variants, and against its seeded defects; refusals in one sentence; no secret of either side in any output.

One seed per case in CI (its budget); `PCAPS_COMPARE_SEEDS=10` runs the no-divergence proofs at ten seeds, measured
outside CI (BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from pcaps_contract.mock import DEV_TOKEN
from tests.cli.helpers import Outcome, Run, cli_runner
from tests.cli.served import served_mock
from tests.peers.server import DIVERGENCES, PEER_ACCOUNTS, VARIANTS, serve_peer

pytestmark = pytest.mark.sockets  # compare served or in a process, over 127.0.0.1

OWNER = PEER_ACCOUNTS[0]
PEER_SECRET = "peer-secret-token-0123456789abcdef"
# Seeded defects of the peer, each with the operation and the field where it must diverge from the mock.
DEFECT_DIVERGES_AT = {
    "delete_remembers_tombstones": ("delete_bucket", "status"),
    "add_result_under_data": ("add_bucket", "result"),
    "destination_conf_query_dropped": ("add_bucket", "result.destination_conf"),
    **DIVERGENCES,
}
SEEDS = range(1, int(os.environ.get("PCAPS_COMPARE_SEEDS", "1")) + 1)
DIVERGENCE_LINE = re.compile(r"^\d+\. (\w+), case \d+ \([^)]*\): (\S+) \(", re.MULTILINE)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Run:
    """The command line in-process; side A is the served mock (its development token), side B the peer."""
    run = cli_runner(monkeypatch)
    for name in ("CLOUDFLARE_API_TOKEN_B", "CLOUDFLARE_ACCOUNT_ID_B", "CLOUDFLARE_EMAIL_B", "CLOUDFLARE_API_KEY_B"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", DEV_TOKEN)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", OWNER)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN_B", PEER_SECRET)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID_B", OWNER)
    return run


def diverged_at(outcome: Outcome) -> set[tuple[str, str]]:
    return set(DIVERGENCE_LINE.findall(outcome.stdout))


def compare(run_cli: Run, a: str, b: str | None, *extra: str, seed: int = 1) -> Outcome:
    return run_cli("compare", "--base-url", a, *(["--base-url", b] if b else []), "--seed", str(seed), *extra)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_served_mock_against_another_served_mock_shows_no_divergence(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seed: int
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN_B", DEV_TOKEN)
    with served_mock() as a, served_mock() as b:
        outcome = compare(run_cli, a, b, "--report-dir", str(tmp_path), seed=seed)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert outcome.stdout.startswith("compare: no divergence between A and B over ")
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 0 and result["divergences"] == [] and result["cases"] >= 25
    # Every case reached both sides; the sender counts the preflight's list and the cleanup's requests too.
    assert all(result["cases"] < side["requests"] <= result["cases"] + 4 for side in result["sides"]), result["sides"]
    assert not (tmp_path / "ctrf.json").exists()
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "No divergence." in html


def test_one_base_url_is_compared_with_the_bundled_mock_in_process(run_cli: Run) -> None:
    with served_mock() as a:
        outcome = compare(run_cli, a, None)
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "side B: the bundled mock (in-process)" in outcome.stdout


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("variant", [None, *VARIANTS])
def test_the_mock_and_each_faithful_variant_of_the_peer_do_not_diverge(
    run_cli: Run, variant: str | None, seed: int
) -> None:
    with served_mock() as a, serve_peer(token=PEER_SECRET, variant=variant) as (b, peer):
        outcome = compare(run_cli, a, b, seed=seed)
        left = [ownership for records in peer.store.values() for ownership in records]
    assert outcome.code == 0, outcome.stdout + outcome.stderr
    assert "difference(s) allowed" in outcome.stdout  # error codes and texts differ, as the contract allows
    assert PEER_SECRET not in outcome.stdout + outcome.stderr
    assert left == []


def test_strict_reports_what_the_contract_allows_as_divergences(run_cli: Run) -> None:
    with served_mock() as a, serve_peer(token=PEER_SECRET) as (b, _):
        outcome = compare(run_cli, a, b, "--strict")
    assert outcome.code == 1, outcome.stdout
    assert ("delete_bucket", "errors") in diverged_at(outcome)


@pytest.mark.parametrize("defect", sorted(DEFECT_DIVERGES_AT))
def test_a_seeded_defect_diverges_at_its_operation_and_field(run_cli: Run, tmp_path: Path, defect: str) -> None:
    with served_mock() as a, serve_peer(token=PEER_SECRET, defects={defect}) as (b, peer):
        outcome = compare(run_cli, a, b, "--report-dir", str(tmp_path))
        held = {account: dict(records) for account, records in peer.store.items() if records}
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert DEFECT_DIVERGES_AT[defect] in diverged_at(outcome), outcome.stdout
    assert held == {}  # every record the run made on the peer was deleted
    shown = outcome.stdout + "".join(path.read_text(encoding="utf-8") for path in tmp_path.iterdir())
    assert PEER_SECRET not in shown and "$CLOUDFLARE_API_TOKEN_B" in shown  # both requests as curl, as variables


def test_ignore_order_accepts_a_list_in_another_order(run_cli: Run) -> None:
    with served_mock() as a, serve_peer(token=PEER_SECRET, defects={"lists_newest_first"}) as (b, _):
        outcome = compare(run_cli, a, b, "--ignore-order")
    assert outcome.code == 0, outcome.stdout


def test_a_field_where_side_a_and_its_known_good_twin_differ_is_noise(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Side A lists newest first, its twin oldest first: the list's order is noise, not a divergence from B."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", PEER_SECRET)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN_NOISE", PEER_SECRET)
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID_NOISE", OWNER)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN_B", DEV_TOKEN)
    with (
        serve_peer(token=PEER_SECRET, defects={"lists_newest_first"}) as (a, side_a),
        serve_peer(token=PEER_SECRET) as (twin, side_twin),
        served_mock() as b,
    ):
        plain = compare(run_cli, a, b)
        learned = compare(run_cli, a, b, "--noise-from", twin)
        left = [ownership for peer in (side_a, side_twin) for records in peer.store.values() for ownership in records]
    assert left == []  # side A and the noise twin cleaned up too
    assert plain.code == 1 and ("list_buckets", "result") in diverged_at(plain), plain.stdout
    assert learned.code == 0, learned.stdout
    assert "difference(s) noise" in learned.stdout


@pytest.mark.parametrize(
    ("arguments", "sentence"),
    [
        ((), "give --base-url URL (side A)"),
        (("--base-url", "http://127.0.0.1:1/client/v4") * 3, "at most twice"),
        (("--base-url", "https://api.cloudflare.com/client/v4"), "api.cloudflare.com"),
        (("--base-url", "http://127.0.0.1:1/client/v4", "--allow-writes"), "--allow-writes applies to --replay"),
        (("--base-url", "http://127.0.0.1:1/client/v4", "--ignore-field", "result..id"), "not a field path"),
        (("--base-url", "http://127.0.0.1:1/client/v4"), "cannot reach"),
        (("--base-url", "http://127.0.0.1:1/client/v4", "--max-examples", "1001"), "1000 or fewer"),
    ],
)
def test_what_cannot_be_compared_is_said_in_one_sentence(
    run_cli: Run, arguments: tuple[str, ...], sentence: str
) -> None:
    outcome = run_cli("compare", *arguments, "--timeout", "2")
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    said = outcome.stdout + outcome.stderr
    assert sentence in said and "Traceback" not in said


@pytest.mark.parametrize(
    ("removed", "sentence"),
    [
        (("CLOUDFLARE_API_TOKEN_B",), "side B has no credentials: set CLOUDFLARE_API_TOKEN_B"),
        (("CLOUDFLARE_API_TOKEN",), "side A has no credentials: set CLOUDFLARE_API_TOKEN (or"),
    ],
)
def test_a_side_without_credentials_is_refused_naming_its_own_variables(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, removed: tuple[str, ...], sentence: str
) -> None:
    for name in removed:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CLOUDFLARE_EMAIL_NOISE", "someone@example.com")  # another side's: never side A's or B's
    outcome = compare(run_cli, "http://127.0.0.1:9/client/v4", "http://127.0.0.1:8/client/v4")
    assert outcome.code == 2 and sentence in outcome.stderr, outcome.stderr


def test_a_side_without_an_account_is_refused_naming_its_variable(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDFLARE_ACCOUNT_ID_B")
    with served_mock() as a, serve_peer(token=PEER_SECRET) as (b, _):
        outcome = compare(run_cli, a, b)
    assert outcome.code == 2
    assert "side B has no account" in outcome.stderr and "CLOUDFLARE_ACCOUNT_ID_B" in outcome.stderr


@pytest.mark.parametrize(
    ("mode", "said"),
    [("hang-after-first", "stopped answering"), ("throttle-forever", "429"), ("unauthorized", "refused")],
)
def test_a_side_that_stops_answering_or_refuses_ends_the_comparison_in_one_sentence(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, mode: str, said: str
) -> None:
    from tests.hostile.server import serve_hostile

    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", PEER_SECRET)
    with serve_hostile(mode) as url:
        outcome = compare(run_cli, url, None, "--timeout", "2", "--max-time", "30")
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    verdict = outcome.stdout.splitlines()[0] if outcome.stdout else outcome.stderr
    assert said in verdict and "Traceback" not in outcome.stdout + outcome.stderr
    assert PEER_SECRET not in outcome.stdout + outcome.stderr


def test_a_budget_spent_before_the_last_case_cannot_say_there_is_no_divergence(run_cli: Run) -> None:
    with served_mock() as a, serve_peer(token=PEER_SECRET) as (b, peer):
        outcome = compare(run_cli, a, b, "--max-requests", "5")
        left = [ownership for records in peer.store.values() for ownership in records]
    assert outcome.code == 2, outcome.stdout
    assert "could not judge every case: --max-requests 5 was reached after 5 case(s)" in outcome.stdout
    assert left == []  # what the five cases created was cleaned up


def test_a_divergence_found_before_the_budget_is_spent_is_the_verdict(run_cli: Run) -> None:
    with served_mock() as a, serve_peer(token=PEER_SECRET, defects={"add_result_under_data"}) as (b, _):
        outcome = compare(run_cli, a, b, "--max-requests", "3")
    assert outcome.code == 1, outcome.stdout
    assert ("add_bucket", "result") in diverged_at(outcome)
    assert "note: the run stopped early: --max-requests 3 was reached" in outcome.stdout


def test_an_in_process_app_is_side_b_with_app(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """A gallery variant of the mock that leaves a deleted record listed, loaded in-process with --app."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN_B", DEV_TOKEN)
    with served_mock() as a:
        outcome = compare(run_cli, a, None, "--app", "tests.gallery.broken:deleted_still_listed")
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert "side B: tests.gallery.broken:deleted_still_listed (in-process)" in outcome.stdout
    assert ("list_buckets", "result") in diverged_at(outcome)
    assert "side B breaks the contract here" in outcome.stdout
    assert (
        "note: side B ran in-process: its curl requests assume it is served at http://127.0.0.1:8787" in outcome.stdout
    )


def test_side_b_may_use_the_key_pair_and_each_side_reads_only_its_own_variables(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN_B")
    monkeypatch.setenv("CLOUDFLARE_EMAIL_B", "peer@example.com")
    monkeypatch.setenv("CLOUDFLARE_API_KEY_B", PEER_SECRET)
    with served_mock() as a, serve_peer(api_key=PEER_SECRET, defects={"delete_remembers_tombstones"}) as (b, _):
        outcome = compare(run_cli, a, b)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert '-H "X-Auth-Key: $CLOUDFLARE_API_KEY_B"' in outcome.stdout and PEER_SECRET not in outcome.stdout
    assert '-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN"' in outcome.stdout  # side A's, by its own name


def test_a_side_s_environment_holds_its_own_variables_only() -> None:
    from pcaps_contract.compare.sides import side_environ

    environ = {"CLOUDFLARE_API_TOKEN": "a", "CLOUDFLARE_API_TOKEN_B": "b", "CLOUDFLARE_ACCOUNT_ID_B": "x"}
    assert side_environ(environ, "_B") == {"CLOUDFLARE_API_TOKEN": "b", "CLOUDFLARE_ACCOUNT_ID": "x"}
    assert side_environ(environ, "") == {"CLOUDFLARE_API_TOKEN": "a"}
    assert side_environ(environ, "_NOISE") == {}


def test_the_html_report_shows_the_verdict_first_and_each_divergence_side_by_side(run_cli: Run, tmp_path: Path) -> None:
    from html.parser import HTMLParser

    from tests.browser import dump_dom

    with served_mock() as a, serve_peer(token=PEER_SECRET, defects={"delete_remembers_tombstones"}) as (b, _):
        outcome = compare(run_cli, a, b, "--report-dir", str(tmp_path))
    assert outcome.code == 1
    dom = dump_dom(tmp_path / "report.html")

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: list[str] = []
            self.headers: list[str] = []
            self.scripts = 0
            self._in_th = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.ids += [value or "" for name, value in attrs if name == "id"]
            self.scripts += tag == "script"
            self._in_th = tag == "th"

        def handle_data(self, data: str) -> None:
            if self._in_th and data.strip():
                self.headers.append(data.strip())
                self._in_th = False

    page = Cells()
    page.feed(dom)
    assert page.ids[0] == "verdict" and "divergence-1" in page.ids and page.scripts == 0
    assert page.headers[:2] == ["A", "B"]  # the first divergence's two columns
    assert "$CLOUDFLARE_API_TOKEN_B" in dom and PEER_SECRET not in dom


def test_a_refused_side_leaves_a_report_folder_that_says_why(run_cli: Run, tmp_path: Path) -> None:
    outcome = run_cli(
        "compare", "--base-url", "http://127.0.0.1:1/client/v4", "--account-id", "x" * 33, "--report-dir", str(tmp_path)
    )
    assert outcome.code == 2, outcome.stdout + outcome.stderr
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert result["exit_code"] == 2 and "is not an account id" in result["error"]
    assert "could not judge" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert PEER_SECRET not in "".join(path.read_text(encoding="utf-8") for path in tmp_path.iterdir())


def test_strict_reports_an_absent_validated_and_ignore_field_drops_it(run_cli: Run) -> None:
    with served_mock() as a, serve_peer(token=PEER_SECRET, variant="validated_absent") as (b, _):
        strict = compare(run_cli, a, b, "--strict")
        ignored = compare(run_cli, a, b, "--strict", "--ignore-field", "result.validated")
    assert strict.code == 1 and ("add_bucket", "result.validated") in diverged_at(strict), strict.stdout
    assert ("list_buckets", "result[r1].validated") in diverged_at(strict)
    assert not {field for _, field in diverged_at(ignored) if field.endswith(".validated")}, ignored.stdout


TENANCY_DIVERGES_AT = {
    None: None,
    "delete_searches_every_account": ("delete_bucket", "status"),
    "list_merges_accounts": ("list_buckets", "result"),
    "validate_searches_every_account": ("validate_bucket", "status"),
}


@pytest.mark.parametrize("defect", list(TENANCY_DIVERGES_AT), ids=str)
def test_with_two_accounts_each_side_s_tenancy_is_compared(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, defect: str | None
) -> None:
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID", ",".join(PEER_ACCOUNTS))
    monkeypatch.setenv("CLOUDFLARE_ACCOUNT_ID_B", ",".join(PEER_ACCOUNTS))
    with served_mock() as a, serve_peer(token=PEER_SECRET, defects={defect} if defect else set()) as (b, peer):
        outcome = compare(run_cli, a, b)
        left = [ownership for records in peer.store.values() for ownership in records]
    assert left == []
    assert "give each side two accounts" not in outcome.stdout
    if defect is None:
        assert outcome.code == 0, outcome.stdout
    else:
        assert outcome.code == 1 and TENANCY_DIVERGES_AT[defect] in diverged_at(outcome), outcome.stdout


def test_ctrl_c_ends_a_comparison_with_both_sides_cleaned_up(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    from tests.cli.helpers import ROOT

    env = {key: value for key, value in os.environ.items() if not key.startswith("CLOUDFLARE_")}
    env |= {"CLOUDFLARE_API_TOKEN": PEER_SECRET, "CLOUDFLARE_API_TOKEN_B": PEER_SECRET}
    env |= {"CLOUDFLARE_ACCOUNT_ID": OWNER, "CLOUDFLARE_ACCOUNT_ID_B": OWNER}
    with serve_peer(token=PEER_SECRET) as (a, side_a), serve_peer(token=PEER_SECRET) as (b, side_b):
        command = [sys.executable, "-m", "pcaps_contract", "compare", "--base-url", a, "--base-url", b]
        command += ["--max-examples", "1000", "--rate-limit", "50/s", "--report-dir", str(tmp_path)]
        with subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as run:
            deadline = time.monotonic() + 60
            while side_b.requests < 20 and time.monotonic() < deadline:  # well into the adds
                time.sleep(0.1)
            run.send_signal(signal.SIGINT)
            stdout, stderr = run.communicate(timeout=120)
        left = [ownership for peer in (side_a, side_b) for records in peer.store.values() for ownership in records]
    assert run.returncode == 2, stdout + stderr
    assert "could not judge: interrupted (Ctrl-C or SIGTERM)" in stdout and "Traceback" not in stdout + stderr
    assert left == [] and PEER_SECRET not in stdout + stderr
    assert json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))["exit_code"] == 2
