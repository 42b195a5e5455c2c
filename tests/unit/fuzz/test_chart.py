"""The timeline chart: plain SVG with axes, a legend and a line a series, scaled to the data, nothing external."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from pcaps_contract.fuzz.chart import clock_label, nice_step, time_step, timeline_svg
from pcaps_contract.fuzz.timeline import Timeline

SVG = "{http://www.w3.org/2000/svg}"


def chart(timeline: Timeline, first_seen: list[tuple[float, str]] | None = None) -> ElementTree.Element:
    return ElementTree.fromstring(timeline_svg(timeline, first_seen or []))


def texts(root: ElementTree.Element, cls: str | None = None) -> list[str]:
    return [el.text or "" for el in root.iter(SVG + "text") if cls is None or el.get("class") == cls]


def test_the_chart_has_a_line_a_series_axis_labels_and_a_legend() -> None:
    timeline = Timeline(requests=[10, 20, 15], throttled=[0, 3, 1], findings=[0, 5, 2])
    root = chart(timeline, [(1.2, 'timestamps_are_rfc3339 on add_bucket <"x">')])
    series = {line.get("data-series"): line for line in root.iter(SVG + "polyline")}
    assert set(series) == {"requests", "throttled", "findings"}
    assert len(series["requests"].get("points", "").split()) == 2 * 3  # a step a bucket
    assert texts(root, "legend") == ["requests/s", "429 answers/s", "failed checks/s", "a new finding, first seen"]
    assert "time since the run started" in texts(root) and "per second" in texts(root)
    assert texts(root, "x-tick")[:2] == ["0s", "1s"] and "20" in texts(root)  # the top of the y axis
    assert len([line for line in root.iter(SVG + "line") if line.get("class") == "first-seen"]) == 1


def test_the_highest_rate_reaches_the_top_of_the_plot_and_nothing_leaves_it() -> None:
    root = chart(Timeline(width=2.0, requests=[40, 10]))  # 20/s at most
    [line] = [line for line in root.iter(SVG + "polyline") if line.get("data-series") == "requests"]
    ys = [float(point.split(",")[1]) for point in (line.get("points") or "").split()]
    assert min(ys) == 44.0  # the plot's top edge: the axis ends at 20
    assert "20" in texts(root) and "25" not in texts(root)


def test_the_chart_is_self_contained_and_escapes_what_it_is_given() -> None:
    svg = timeline_svg(Timeline(requests=[1]), [(0.5, '<script>alert("x")</script>')])
    assert "<script" not in svg and "&lt;script&gt;" in svg
    assert not re.search(r"(href|src)=", svg)


def test_round_steps_and_clock_labels() -> None:
    assert [nice_step(top) for top in (4, 9, 23, 180, 0)] == [1, 2, 5, 50, 1]
    assert [time_step(seconds) for seconds in (6, 40, 600, 3 * 3600)] == [1, 5, 120, 1800]
    assert [clock_label(s) for s in (0, 45, 120, 150, 3900)] == ["0s", "45s", "2m", "2m30s", "1h05m"]
