"""Every half-right credential form against every operation, and every tenancy probe, judged in every run.

`check` against the independent peer over real sockets, at many seeds and worker counts and with each style of
credentials (and both at once): the report's `probes` hold every form x operation, each judged; and each peer
defect hidden in one form or one operation is named at every seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pcaps_contract._credentials import Credentials
from pcaps_contract.gate.probes import credential_forms
from tests.cli.helpers import FAST, Outcome, Run
from tests.peers.server import PEER_ACCOUNTS, serve_peer

ACCOUNTS = [arg for account in PEER_ACCOUNTS for arg in ("--account-id", account)]
TOKEN, EMAIL, KEY = "peer-token", "peer@example.com", "peer-api-key"
STYLES = {
    "token": ["--token", TOKEN],
    "key pair": ["--email", EMAIL, "--api-key", KEY],
    "both": ["--token", TOKEN, "--email", EMAIL, "--api-key", KEY],
}
OPERATIONS = {"list_buckets", "add_bucket", "delete_bucket", "validate_bucket"}
TENANCY = {
    (f"account {home}'s record from account {away}", operation)
    for home, away in ((1, 2), (2, 1))
    for operation in ("list_buckets", "validate_bucket", "delete_bucket")
}


def _credentials(style: str) -> Credentials:
    given = STYLES[style]
    values = dict(zip(given[::2], given[1::2], strict=True))
    return Credentials(token=values.get("--token"), email=values.get("--email"), api_key=values.get("--api-key"))


def _check(run_cli: Run, base_url: str, style: str, seed: int, *extra: str) -> Outcome:
    return run_cli("check", "--base-url", base_url, *STYLES[style], *ACCOUNTS, "--seed", str(seed), *FAST, *extra)


@pytest.mark.parametrize(("style", "seeds"), [("token", range(1, 4)), ("key pair", range(1, 4)), ("both", range(1, 4))])
def test_every_form_and_tenancy_probe_is_judged_on_every_operation_at_every_seed(
    run_cli: Run, tmp_path: Path, style: str, seeds: range
) -> None:
    forms = {form.name for form in credential_forms(_credentials(style), "0" * 16)}
    expected = {(form, operation) for form in forms for operation in OPERATIONS} | TENANCY
    for seed in seeds:
        report = tmp_path / f"{seed}.json"
        with serve_peer() as (base_url, _):
            outcome = _check(run_cli, base_url, style, seed, "--workers", str(1 + seed % 3), "--report", str(report))
        assert outcome.code == 0, outcome.stdout + outcome.stderr
        probes = json.loads(report.read_text())["probes"]
        judged = {(row["probe"], row["operation"]) for row in probes if row["status"] == "passed"}
        assert expected <= judged, (seed, sorted(expected - judged))
        assert KEY not in report.read_text() and TOKEN not in report.read_text()


# Each defect: the check and operation that must name it, and the styles of credentials that reach it (a wrong key
# with the right email needs that email; a server refusing key pairs is judged when the run holds both styles).
DEFECTS = {
    "email_alone_accepted_on_validate": ("half_credentials_are_refused", "validate_bucket", ("token", "key pair")),
    "wrong_key_accepted_on_delete": ("half_credentials_are_refused", "delete_bucket", ("key pair", "both")),
    "token_accepted_without_bearer": ("half_credentials_are_refused", "list_buckets", ("token", "both")),
    "api_key_alone_accepted": ("half_credentials_are_refused", "list_buckets", ("token", "key pair")),
    "second_account_lists_the_first": ("foreign_ownership_is_not_listed", "list_buckets", ("token", "key pair")),
    "key_pair_refused": ("given_credentials_are_accepted", "list_buckets", ("both",)),
}


CASES = [(defect, style) for defect, (_, _, styles) in DEFECTS.items() for style in styles]


@pytest.mark.parametrize(("defect", "style", "seed"), [(*case, 1 + index % 3) for index, case in enumerate(CASES)])
def test_a_defect_in_one_form_or_one_operation_is_named_whatever_the_seed(
    run_cli: Run, defect: str, style: str, seed: int
) -> None:
    """Each case at one seed, the seeds dealt round the cases: the probes are a table, so no seed can skip a row
    (the table's rows are judged at three seeds of each style above)."""
    check, operation, _ = DEFECTS[defect]
    with serve_peer(defects={defect}) as (base_url, _):
        outcome = _check(run_cli, base_url, style, seed)
    assert outcome.code == 1, outcome.stdout + outcome.stderr
    assert f"{check} on {operation}" in outcome.stdout, (seed, outcome.stdout)
