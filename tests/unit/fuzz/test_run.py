"""The fuzz loop's own rules, without sockets: per-operation seeds, the budget, what it registers for the cleanup."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcaps_contract._credentials import Credentials
from pcaps_contract.engine.ownerships import Created
from pcaps_contract.fuzz.plan import OPERATIONS, FuzzPlan
from pcaps_contract.fuzz.run import FuzzRun, _shown_cause, operation_seed
from pcaps_contract.openapi.spec import Spec
from pcaps_contract.report.eventlog import EventLog
from tests.clock import Clock

BASE_URL = "http://127.0.0.1:9/client/v4"  # never reached: nothing here sends
ACCOUNT, OTHER = "023e105f4ecef8ad9ca31a8372d0c353", "9a7806061c88ada191ed06f989cc3dac"
BUCKET = "s3://pcaps-fuzz?region=us-east-1"


class Events(EventLog):
    """An event log that keeps what was emitted (and writes nowhere)."""

    def __init__(self) -> None:
        super().__init__(None, str)
        self.emitted: list[tuple[str, dict[str, Any]]] = []

    def emit(self, event: str, **data: Any) -> None:
        self.emitted.append((event, data))


def fuzz_run(spec: Spec, clock: Clock | None = None, **plan: Any) -> FuzzRun:
    settings = {"duration": None, "max_examples": 5, "seed": 11, **plan}
    run = FuzzRun(
        FuzzPlan(BASE_URL, (ACCOUNT,), **settings), Credentials(token="fuzz-token"), spec, listener=Events(),
        clock=clock or Clock(),
    )  # fmt: skip
    return run


def record_cases(run: FuzzRun, each: Any = None) -> list[Any]:
    """Replace the sending of a case by keeping it (and calling `each`, if given)."""
    cases: list[Any] = []

    def keep(case: Any, operation_id: str, choices: Any) -> None:
        cases.append(case)
        if len(cases) > 100:  # a budget that never ends must fail the test, not hang it
            pytest.fail("more than 100 cases: the budget did not stop the operation", pytrace=False)
        if each is not None:
            each()

    run._fuzz_case = keep  # type: ignore[method-assign]
    return cases


def case(
    operation_id: str, body: Any = None, ownership_id: Any = None, positive: bool = True, account: str = ACCOUNT
) -> Any:
    mode = SimpleNamespace(is_positive=positive)
    parameters = {"account_id": account, **({"ownership_id": ownership_id} if ownership_id is not None else {})}
    return SimpleNamespace(
        operation=SimpleNamespace(definition=SimpleNamespace(raw={"operationId": operation_id})),
        body=body,
        path_parameters=parameters,
        meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)),
    )


def answer(method: str, path: str, status: int, content: bytes = b"") -> Any:
    return SimpleNamespace(
        request=SimpleNamespace(method=method, url=f"{BASE_URL}{path}"), status_code=status, content=content
    )


# --- seeds: the same cases on one machine or split across several ----------------------------------------


def test_each_operation_and_round_has_its_own_seed_derived_from_the_run_s() -> None:
    seeds = {operation_seed(7, operation, round_number) for operation in OPERATIONS for round_number in range(3)}
    assert len(seeds) == len(OPERATIONS) * 3 and all(0 <= seed < 2**32 for seed in seeds)
    assert operation_seed(7, "list_buckets") != operation_seed(8, "list_buckets")
    assert operation_seed(2**40, "add_bucket", 9) < 2**32


def test_an_operation_draws_the_same_cases_alone_or_in_a_run_of_every_operation(spec: Spec) -> None:
    strategy = st.integers(min_value=0, max_value=10**12)
    alone = fuzz_run(spec, operations=("list_buckets",))
    everything = fuzz_run(spec)
    drawn = [record_cases(alone), record_cases(everything)]
    alone._fuzz_operation(strategy, "list_buckets", None)
    everything._fuzz_operation(strategy, "list_buckets", None)
    assert drawn[0] == drawn[1] and len(drawn[0]) == 5
    other = fuzz_run(spec, seed=12)
    again = record_cases(other)
    other._fuzz_operation(strategy, "list_buckets", None)
    assert again != drawn[0]


# --- the budget ------------------------------------------------------------------------------------------


def test_a_case_budget_is_met_exactly_even_when_a_round_runs_out_of_new_cases(spec: Spec) -> None:
    run = fuzz_run(spec, max_examples=7)
    cases = record_cases(run)
    run._fuzz_operation(st.booleans(), "list_buckets", None)  # two distinct cases a round: the next seed goes on
    assert len(cases) == 7 and set(cases) == {True, False}


def test_a_time_budget_stops_the_operation_at_its_slice_of_the_time(spec: Spec) -> None:
    clock = Clock()
    run = fuzz_run(spec, clock, duration=100.0, max_examples=None)

    def tick() -> None:
        clock.now += 1.0

    cases = record_cases(run, tick)
    run._fuzz_operation(st.integers(), "list_buckets", 3.0)
    assert len(cases) == 3


def test_the_end_of_the_run_comes_before_an_operation_s_slice(spec: Spec) -> None:
    clock = Clock()
    run = fuzz_run(spec, clock, duration=2.0, max_examples=None)

    def tick() -> None:
        clock.now += 1.0

    cases = record_cases(run, tick)
    run._fuzz_operation(st.integers(), "list_buckets", 50.0)
    assert len(cases) == 2


def test_a_stop_ends_the_operation_at_the_next_case(spec: Spec) -> None:
    run = fuzz_run(spec, max_examples=50)
    cases: list[Any] = []

    def stop_at_three() -> None:
        if len(cases) == 3:
            run.stop.set()

    cases = record_cases(run, stop_at_three)
    run._fuzz_operation(st.integers(), "list_buckets", None)
    assert len(cases) == 3
    stopped = fuzz_run(spec)
    stopped.stop.set()
    none = record_cases(stopped)
    stopped._fuzz_operation(st.integers(), "list_buckets", None)
    assert none == []


# --- what the cleanup will delete --------------------------------------------------------------------------


def test_a_create_is_registered_under_the_account_of_the_url_sent_with_its_bucket(spec: Spec) -> None:
    run = fuzz_run(spec)
    content = b'{"success": true, "result": {"id": "abc123"}}'
    path = "/accounts/acc%20with%20space/pcaps/ownership"
    run._track_created(case("add_bucket", {"destination_conf": BUCKET}), answer("POST", path, 200, content))
    assert run.registry.held() == [Created("acc with space", "abc123", BUCKET)]
    assert ("created", {"account": "acc with space", "id": "abc123"}) in run.listener.emitted  # type: ignore[attr-defined]
    assert run.shared.errors == []


def test_a_create_answered_2xx_without_an_id_is_flagged_since_the_cleanup_cannot_delete_it(spec: Spec) -> None:
    run = fuzz_run(spec)
    path = f"/accounts/{ACCOUNT}/pcaps/ownership"
    run._track_created(case("add_bucket", {"destination_conf": BUCKET}), answer("POST", path, 201, b'{"result": {}}'))
    assert len(run.registry) == 0
    assert run.shared.errors == ["a create answered 2xx without a result id; the cleanup cannot delete it"]


@pytest.mark.parametrize(
    ("operation_id", "method", "status"),
    [("add_bucket", "POST", 400), ("validate_bucket", "POST", 200), ("list_buckets", "GET", 200)],
)
def test_answers_that_are_no_create_register_and_flag_nothing(
    spec: Spec, operation_id: str, method: str, status: int
) -> None:
    run = fuzz_run(spec)
    path = f"/accounts/{ACCOUNT}/pcaps/ownership" + ("/validate" if operation_id == "validate_bucket" else "")
    run._track_created(case(operation_id, {}), answer(method, path, status, b'{"result": {"id": "abc123"}}'))
    assert len(run.registry) == 0 and run.shared.errors == []


def test_a_fuzzed_delete_answered_204_takes_the_ownership_out_of_the_cleanup(spec: Spec) -> None:
    run = fuzz_run(spec)
    for ownership_id in ("kept", "gone%2Fid", "refused"):
        run.registry.track(ACCOUNT, ownership_id.replace("%2F", "/"))
    run._forget_deleted("delete_bucket", ACCOUNT, case("delete_bucket", ownership_id="gone%2Fid"), answer("D", "", 204))
    run._forget_deleted("delete_bucket", ACCOUNT, case("delete_bucket", ownership_id="refused"), answer("D", "", 404))
    run._forget_deleted("list_buckets", ACCOUNT, case("list_buckets", ownership_id="kept"), answer("G", "", 204))
    assert run.registry.ids(ACCOUNT) == ["kept", "refused"]


# --- aiming at what the run created ----------------------------------------------------------------------


class Choices(random.Random):
    """Random choices fixed in advance: `random()` answers `roll`, `choice` the first."""

    def __init__(self, roll: float) -> None:
        super().__init__(0)
        self.roll = roll

    def random(self) -> float:
        return self.roll

    def choice(self, seq: Any) -> Any:
        return seq[0]


def test_a_positive_delete_or_validation_may_aim_at_an_ownership_the_run_created_in_its_account(spec: Spec) -> None:
    run = fuzz_run(spec)
    run.registry.track(OTHER, "theirs", "s3://theirs?region=us-east-1")
    run.registry.track(ACCOUNT, "mine", BUCKET)
    delete = case("delete_bucket", ownership_id="drawn")
    run._use_created_ownerships(delete, "delete_bucket", ACCOUNT, Choices(0.9))
    validate = case("validate_bucket", {"destination_conf": "gs://drawn", "ownership_challenge": "c"})
    run._use_created_ownerships(validate, "validate_bucket", ACCOUNT, Choices(0.9))
    assert delete.path_parameters["ownership_id"] == "mine"
    assert validate.body == {"destination_conf": BUCKET, "ownership_challenge": "c"}


@pytest.mark.parametrize(
    ("ownership_id", "positive", "roll"),
    [("drawn", False, 0.9), ("drawn", True, 0.1), ("x" * 33, True, 0.9)],
    ids=["negative case", "the other half", "an id that breaks the spec"],
)
def test_other_deletes_keep_the_id_they_drew(spec: Spec, ownership_id: str, positive: bool, roll: float) -> None:
    run = fuzz_run(spec)
    run.registry.track(ACCOUNT, "mine", BUCKET)
    delete = case("delete_bucket", ownership_id=ownership_id, positive=positive)
    run._use_created_ownerships(delete, "delete_bucket", ACCOUNT, Choices(roll))
    assert delete.path_parameters["ownership_id"] == ownership_id


def test_a_schema_failure_is_shown_by_where_in_the_body_and_what_is_wrong_with_the_time_blanked() -> None:
    failure = SimpleNamespace(
        instance_path=["result", "submitted"],
        _raw_message="'2026-12-02 06:31:31Z' is not a 'date-time'",
        _unique_key="x-bundled/schema000005/format",
        title="Response violates schema",
    )
    assert _shown_cause(failure, str) == "`/result/submitted`: '<time>' is not a 'date-time'"


def test_a_failure_without_a_body_path_is_shown_by_its_key() -> None:
    failure = SimpleNamespace(_unique_key="status 500", title="Server error")
    assert _shown_cause(failure, str) == "status 500"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    counts=st.lists(
        st.tuples(st.integers(0, 30_000), st.sampled_from(["requests", "throttled", "retries"])),
        max_size=40,
    )
)
def test_each_request_and_429_lands_on_the_timeline_in_the_second_it_was_counted(
    spec: Spec, counts: list[tuple[int, str]]
) -> None:
    """A count timed when it happened, never when someone later sampled the totals (the cleanup's deletes too)."""
    clock = Clock()
    clock.now = 100.0  # the run's start; the timeline counts from there
    run = fuzz_run(spec, clock)
    expected: dict[str, list[int]] = {"requests": [], "throttled": []}
    for milliseconds, name in sorted(counts):
        clock.now = 100.0 + milliseconds / 1000
        run.stats.add(name)
        if name in expected:
            series, second = expected[name], milliseconds // 1000
            series.extend([0] * (second + 1 - len(series)))
            series[second] += 1
    clock.now = 1000.0  # the end of the run comes long after: nothing it does may move a count
    for name, series in expected.items():
        assert run.shared.timeline.series(name)[: len(series)] == series
        assert sum(run.shared.timeline.series(name)) == sum(series)
