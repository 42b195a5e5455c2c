"""Response times in a fixed histogram: percentiles within one 5 % bucket and never below the truth, merged exactly."""

from __future__ import annotations

import math
import random

import pytest

from pcaps_contract.fuzz.latency import RATIO, Latency, bucket_of, upper_bound


def exact_percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(len(ordered) * percent / 100) - 1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_are_at_or_above_the_exact_ones_and_within_one_bucket(seed: int) -> None:
    draw = random.Random(seed)
    seconds = [draw.lognormvariate(-4, 1.2) for _ in range(2000)]
    latency = Latency()
    for value in seconds:
        latency.record(value)
    for percent in (50, 90, 99):
        exact = exact_percentile([value * 1000 for value in seconds], percent)
        shown = latency.percentile(percent)
        assert shown is not None and exact <= shown <= max(exact * RATIO, 1.0) + 1e-9
    assert latency.summary()["max"] == round(max(seconds) * 1000, 1) and latency.count == 2000


def test_the_histogram_keeps_a_bounded_number_of_buckets_however_many_answers() -> None:
    latency = Latency()
    for index in range(100_000):
        latency.record(index / 1000)  # 0 to 100 s
    assert len(latency.buckets) < 300 and latency.count == 100_000


def test_each_time_falls_in_the_bucket_whose_bound_is_the_first_at_or_above_it() -> None:
    for milliseconds in (0.2, 1.0, 1.01, 7.5, 250.0, 59_000.0):
        bucket = bucket_of(milliseconds)
        assert upper_bound(bucket) >= milliseconds - 1e-9
        assert bucket == 0 or upper_bound(bucket - 1) < milliseconds
    assert bucket_of(10**9) == bucket_of(10**10)  # beyond ten minutes: the last bucket


def test_histograms_of_two_runs_merge_into_the_histogram_of_both() -> None:
    one, two, both = Latency(), Latency(), Latency()
    for index, value in enumerate([0.003, 0.2, 0.05, 1.5, 0.011, 0.4]):
        (one if index % 2 else two).record(value)
        both.record(value)
    one.add(two)
    assert one == both


def test_no_answers_have_no_percentiles_and_old_results_read_as_empty() -> None:
    assert Latency().summary() == {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    assert Latency.from_json(None) == Latency()


def test_a_histogram_survives_its_json() -> None:
    latency = Latency()
    for value in (0.001, 0.02, 0.3):
        latency.record(value)
    data = latency.as_json()
    assert data["p50"] == round(upper_bound(bucket_of(20.0)), 1) and data["max"] == 300.0
    assert Latency.from_json(data) == latency
