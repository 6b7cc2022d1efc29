"""Charts drawn on the server as SVG: no script, so they pass the CSP, print, and work on a phone.

Each function turns figures into shapes (plain numbers); ``templates/_charts.html`` draws them.
Every bar can carry a link, so a chart drills down like its table. Used by the lost-order
analysis and the performance pages.
"""
from dataclasses import dataclass
from decimal import Decimal

PALETTE = ("#c0392b", "#2e86c1", "#27ae60", "#d68910", "#8e44ad", "#16a085", "#7f8c8d", "#d35400", "#2c3e50", "#b7950b")
WIDTH = 640


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value_text: str
    href: str | None = None
    colour: str = PALETTE[1]


def _number(value) -> float:
    return float(value) if value is not None else 0.0


def bar_chart(items, value_text=str, row_height: int = 26, label_width: int = 170) -> dict:
    """Horizontal bars: ``items`` are (label, value, href); the longest bar fills the width."""
    items = list(items)
    largest = max((_number(value) for _label, value, _href in items), default=0) or 1
    room = WIDTH - label_width - 90
    bars = [
        Bar(label_width, index * row_height + 4, max(room * _number(value) / largest, 1 if value else 0), row_height - 8,
            str(label), value_text(value), href)
        for index, (label, value, href) in enumerate(items)
    ]
    return {"width": WIDTH, "height": len(items) * row_height + 8, "bars": bars, "label_width": label_width}


def stacked_columns(columns, series, height: int = 220) -> dict:
    """Vertical stacked columns: ``columns`` are (label, href or None); ``series`` are
    (name, values per column). Returns the bars and a legend of (name, colour)."""
    columns = list(columns)
    totals = [sum(_number(values[index]) for _name, values in series) for index in range(len(columns))]
    largest = max(totals, default=0) or 1
    plot_height = height - 40
    step = (WIDTH - 60) / max(len(columns), 1)
    bars, legend = [], []
    for colour_index, (name, values) in enumerate(series):
        legend.append((name, PALETTE[colour_index % len(PALETTE)]))
    for index, (label, href) in enumerate(columns):
        base = plot_height + 10
        for colour_index, (name, values) in enumerate(series):
            value = _number(values[index])
            if not value:
                continue
            bar_height = plot_height * value / largest
            base -= bar_height
            bars.append(Bar(40 + index * step + step * 0.15, base, step * 0.7, bar_height, str(name), f"{label} · {name}: {values[index]}",
                            href, PALETTE[colour_index % len(PALETTE)]))
    labels = [(40 + index * step + step / 2, str(label)) for index, (label, _href) in enumerate(columns)]
    return {"width": WIDTH, "height": height, "bars": bars, "labels": labels, "legend": legend, "largest": largest,
            "axis_y": plot_height + 10}


def line_chart(points, height: int = 200, maximum: float | None = None, value_text=str) -> dict:
    """A line through ``points`` (label, value or None); a None leaves a gap (nothing decided)."""
    points = list(points)
    values = [_number(value) for _label, value in points if value is not None]
    top = maximum or max(values, default=0) or 1
    plot_height = height - 40
    step = (WIDTH - 60) / max(len(points) - 1, 1)
    segments, current, markers = [], [], []
    for index, (label, value) in enumerate(points):
        x = 40 + index * step
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        y = 10 + plot_height - plot_height * _number(value) / top
        current.append(f"{x:.1f},{y:.1f}")
        markers.append((x, y, f"{label}: {value_text(value)}"))
    if current:
        segments.append(current)
    labels = [(40 + index * step, str(label)) for index, (label, _value) in enumerate(points)]
    return {"width": WIDTH, "height": height, "segments": [" ".join(segment) for segment in segments], "markers": markers,
            "labels": labels, "top": value_text(Decimal(str(top)).quantize(Decimal("0.1"))), "axis_y": plot_height + 10}
