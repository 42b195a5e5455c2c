"""The run's per-second series: bounded however long the run, counts kept when buckets merge, runs merged."""

from __future__ import annotations

from pcaps_contract.fuzz.timeline import MAX_BUCKETS, Timeline


def test_counts_land_in_the_second_they_happened() -> None:
    timeline = Timeline()
    timeline.add(0.2, requests=3)
    timeline.add(2.9, requests=1, throttled=1)
    timeline.add(2.1, findings=4)
    assert timeline.requests == [3, 0, 1] and timeline.throttled == [0, 0, 1] and timeline.findings == [0, 0, 4]
    assert timeline.width == 1.0 and timeline.seconds == 3.0


def test_a_long_run_merges_neighbours_and_keeps_every_count() -> None:
    timeline = Timeline()
    for second in range(3 * 3600):  # three hours, a request a second
        timeline.add(second + 0.5, requests=1, throttled=second % 2)
    assert timeline.buckets <= MAX_BUCKETS and timeline.width == 32.0
    assert sum(timeline.requests) == 3 * 3600 and sum(timeline.throttled) == 3 * 3600 // 2
    assert timeline.requests[0] == 32


def test_runs_side_by_side_add_up_at_the_same_moment() -> None:
    one, two = Timeline(), Timeline()
    one.add(0.5, requests=2)
    one.add(1.5, requests=2)
    two.add(0.5, requests=5, findings=1)
    merged = Timeline()
    merged.merge(one)
    merged.merge(two, offset=1.0)  # started a second later
    assert merged.requests == [2, 7] and merged.findings == [0, 1]


def test_merging_a_coarser_series_makes_the_whole_timeline_that_coarse() -> None:
    fine, coarse = Timeline(), Timeline(width=4.0, requests=[8, 4])
    fine.add(0.5, requests=1)
    fine.merge(coarse)
    assert fine.width == 4.0 and fine.requests == [9, 4]


def test_a_timeline_survives_its_json_and_an_old_result_without_one_reads_as_empty() -> None:
    timeline = Timeline()
    timeline.add(1.2, requests=2, throttled=1, findings=3)
    assert Timeline.from_json(timeline.as_json()) == timeline
    assert Timeline.from_json(None) == Timeline() and Timeline().buckets == 0
