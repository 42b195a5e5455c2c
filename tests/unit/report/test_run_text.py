"""The text a run ends with (`RunReport.render`): the verdict is its last line whatever the run found, and the checks
never judged are one line unless `verbose` asks for each with its reason."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract.engine.ownerships import Leftover
from pcaps_contract.judge.ledger import Failure, Ledger, Step
from pcaps_contract.report.run_report import RunReport
from pcaps_contract.report.text import failure_text

OPERATIONS = ["list_buckets", "add_bucket", "delete_bucket", "validate_bucket"]
NAMES = st.from_regex(r"[a-z][a-z_]{2,30}", fullmatch=True)
REASONS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)


def report(never: dict[str, str], failures: int = 0, leftovers: int = 0, error: str | None = None) -> RunReport:
    ledger = Ledger(OPERATIONS, ["not_a_server_error", *never])
    ledger.passed("list_buckets", "not_a_server_error")
    for index in range(failures):
        ledger.failed(Failure(OPERATIONS[index % 4], "not_a_server_error", "a 2xx", "500"))
    left = [Leftover("a" * 32, f"id{index}", "the delete answered 500") for index in range(leftovers)]
    return RunReport(
        "http://127.0.0.1:1/client/v4",
        1,
        "quick",
        ledger,
        Credentials(token="t" * 40),
        never_judged=never,
        leftovers=left,
        error=error,
    )


def never_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("note:") and "never judged" in line]


def test_many_checks_never_judged_are_one_line_and_the_verdict_stays_last() -> None:
    never = {f"check_{index}": f"reason {index}" for index in range(31)}
    text = report(never).render()

    assert never_lines(text) == [
        "note: 31 checks were never judged this run; --verbose lists each with its reason, as the reports do"
    ]
    assert text.splitlines()[-1].endswith("the implementation keeps the contract")


def test_verbose_lists_each_check_never_judged_with_its_reason() -> None:
    never = {f"check_{index}": f"reason {index}" for index in range(31)}
    text = report(never).render(verbose=True)

    assert never_lines(text) == [f"note: never judged: check_{index}: reason {index}" for index in range(31)]
    assert text.splitlines()[-1].endswith("the implementation keeps the contract")


def test_a_single_check_never_judged_keeps_its_reason_on_its_one_line() -> None:
    text = report({"challenge_file_is_delivered": "give --bucket to judge it"}).render()

    assert never_lines(text) == ["note: never judged: challenge_file_is_delivered: give --bucket to judge it"]


@given(
    never=st.dictionaries(NAMES, REASONS, max_size=40),
    failures=st.integers(0, 5),
    leftovers=st.integers(0, 3),
    error=st.none() | REASONS,
    verbose=st.booleans(),
)
def test_whatever_the_run_found_its_verdict_is_the_last_line(
    never: dict[str, str], failures: int, leftovers: int, error: str | None, verbose: bool
) -> None:
    never = {check: reason for check, reason in never.items() if check != "not_a_server_error"}
    made = report(never, failures, leftovers, error)
    text = made.render(verbose)

    assert text.splitlines()[-1].endswith(made.shown().verdict)
    assert len(never_lines(text)) == (len(never) if verbose or len(never) <= 1 else 1)


@settings(deadline=None)  # a loaded machine's timing is no verdict
@given(echoed=st.text(min_size=0, max_size=40))
def test_a_failure_alone_reads_as_in_the_report_with_no_secret(echoed: str) -> None:
    """`failure_text` (the proxy's live lines) is the report's own failure text, without building a report."""
    token = "t" * 40
    credentials = Credentials(token=token)
    step = Step("POST", f"http://127.0.0.1:1/client/v4/x?k={token}", {"X-Echo": token + echoed}, f"{echoed}{token}")
    failure = Failure("add_bucket", "not_a_server_error", f"a 2xx {token}", f"500 {echoed}", (step,))
    text = failure_text(failure, credentials)
    assert text == report({}).render_failure(failure)
    assert token not in text and text.splitlines()[0] == "not_a_server_error on add_bucket"
