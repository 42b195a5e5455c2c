"""The run's timeline as an inline SVG chart: requests/s, 429s/s and failed checks/s, plus each new finding.

Plain SVG (no script, nothing fetched), so the report reads the same offline, in a CI artifact or a screenshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from pcaps_contract.fuzz.timeline import Timeline

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 44, 44  # margins around the plot
# (series, legend label, colour, dash): colour-blind safe (Okabe-Ito), each also told apart by its dash.
LINES = (
    ("requests", "requests/s", "#0072b2", ""),
    ("throttled", "429 answers/s", "#e69f00", "6 3"),
    ("findings", "failed checks/s", "#d55e00", "2 2"),
)
FIRST_SEEN = "#7a1f6b"


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) that divides 0..top into at most about `ticks` parts."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def time_step(seconds: float) -> float:
    """A step for the time axis in seconds a person counts in: 1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min..."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400):
        if seconds / step <= 8:
            return float(step)
    return 86400.0 * math.ceil(seconds / 86400 / 8)


def clock_label(seconds: float) -> str:
    """0s, 45s, 2m, 2m30s, 1h05m: short enough to sit under a tick."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def _number(value: float) -> str:
    return f"{value:g}"


def timeline_svg(timeline: Timeline, first_seen: Sequence[tuple[float, str]] = ()) -> str:
    """The chart; `first_seen` marks when each distinct finding was first seen (seconds, a label for its tooltip)."""
    span = max(timeline.seconds, max((at for at, _ in first_seen), default=0.0), 1.0)
    rates = {name: [count / timeline.width for count in timeline.series(name)] for name, *_ in LINES}
    top = max((max(values, default=0.0) for values in rates.values()), default=0.0)
    y_step = nice_step(top or 1.0)
    y_top = y_step * max(1, math.ceil((top or 1.0) / y_step))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(seconds: float) -> float:
        return round(LEFT + plot_w * min(seconds, span) / span, 1)

    def y(rate: float) -> float:
        return round(TOP + plot_h * (1 - rate / y_top), 1)

    title = (
        f"Requests, 429 answers and failed checks per second over {clock_label(span)} "
        f"({timeline.width:g} s buckets); {len(first_seen)} new finding(s) marked when first seen"
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="timeline" class="timeline" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="timeline-title" font-family="system-ui, sans-serif" '
        f'font-size="12">',
        f'<title id="timeline-title">{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fbfcfd" stroke="#d8dce3"/>',
    ]
    y_tick = 0.0
    while y_tick <= y_top + 1e-9:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(y_tick)}" y2="{y(y_tick)}" stroke="#e6e9ee"/>'
            f'<text x="{LEFT - 6}" y="{y(y_tick) + 4}" text-anchor="end" fill="#5b6472">{_number(y_tick)}</text>'
        )
        y_tick += y_step
    x_step = time_step(span)
    x_tick = 0.0
    while x_tick <= span + 1e-9:
        parts.append(
            f'<line x1="{x(x_tick)}" x2="{x(x_tick)}" y1="{TOP + plot_h}" y2="{TOP + plot_h + 5}" stroke="#5b6472"/>'
            f'<text class="x-tick" x="{x(x_tick)}" y="{TOP + plot_h + 18}" text-anchor="middle" fill="#5b6472">'
            f"{clock_label(x_tick)}</text>"
        )
        x_tick += x_step
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" text-anchor="middle" fill="#3b4452">'
        "time since the run started</text>"
        f'<text transform="translate(14 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle" fill="#3b4452">'
        "per second</text>"
    )
    for at, label in first_seen:
        parts.append(
            f'<line class="first-seen" x1="{x(at)}" x2="{x(at)}" y1="{TOP}" y2="{TOP + plot_h}" '
            f'stroke="{FIRST_SEEN}" stroke-opacity=".45"><title>{escape(label)}</title></line>'
            f'<path d="M{x(at) - 5} {TOP - 8}h10l-5 8z" fill="{FIRST_SEEN}"><title>{escape(label)}</title></path>'
        )
    for name, label, colour, dash in LINES:
        values = rates[name]
        if not values:
            continue
        points = []
        for index, rate in enumerate(values):  # steps: each bucket's rate held across its width
            start, end = index * timeline.width, (index + 1) * timeline.width
            points += [f"{x(start)},{y(rate)}", f"{x(end)},{y(rate)}"]
        dashing = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<polyline class="series" data-series="{name}" fill="none" stroke="{colour}" stroke-width="2"'
            f'{dashing} points="{" ".join(points)}"><title>{escape(label)}</title></polyline>'
        )
    legend_x = LEFT
    for _name, label, colour, dash in LINES:
        dashing = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{legend_x}" x2="{legend_x + 24}" y1="14" y2="14" stroke="{colour}" stroke-width="2"{dashing}/>'
            f'<text class="legend" x="{legend_x + 30}" y="18" fill="#1d2330">{escape(label)}</text>'
        )
        legend_x += 40 + 8 * len(label)
    parts.append(
        f'<path d="M{legend_x} 8h10l-5 8z" fill="{FIRST_SEEN}"/>'
        f'<text class="legend" x="{legend_x + 16}" y="18" fill="#1d2330">a new finding, first seen</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)
