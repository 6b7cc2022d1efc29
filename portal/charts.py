"""Chart data for the pages' charts: plain dictionaries that ``templates/_charts.html`` writes as
JSON beside the table they are drawn from, and ``static/charts.js`` draws with Apache ECharts.

A chart is a list of categories (months, reasons, ranks…) and one or more series of values per
category. Each category, may carry the URL of the list behind it, so a click on a bar
or a point drills down like the table's link. Values are numbers (a Decimal becomes a float for the
drawing only; the table keeps the exact figure) or None for "nothing to show" (a gap in a line).

``unit`` says how the script formats a value in the tooltip and on the axis: ``money`` (¥1,234.00),
``percent`` (12.5 %) or ``count``.
"""
from decimal import Decimal

UNITS = ("money", "percent", "count")


def _number(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return value


def series(name, values, unit: str = "count", kind: str = "bar", stack: str | None = None, axis: int = 0,
           dashed: bool = False) -> dict:
    """One series: ``values`` per category; ``axis`` 1 puts it on a second value axis (a percentage
    beside amounts); ``dashed`` draws a line dashed (a target)."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}")
    data = {"name": str(name), "kind": kind, "unit": unit, "axis": axis, "values": [_number(value) for value in values]}
    if stack:
        data["stack"] = stack
    if dashed:
        data["dashed"] = True
    return data


def chart(categories, all_series, links=None, horizontal: bool = False, maximum=None, lines=None, marks=None) -> dict:
    """A chart: ``categories`` (labels), ``all_series`` (from ``series``), ``links`` per category
    (left out when none is given), ``maximum`` of the first value axis (100 for a rate), ``lines``:
    horizontal reference lines as (value, label, axis), ``marks``: vertical markers at a category
    as (category, label)."""
    categories = [str(label) for label in categories]
    for one in all_series:
        if len(one["values"]) != len(categories):
            raise ValueError("a series needs one value per category")
    data = {"categories": categories, "series": list(all_series), "horizontal": horizontal}
    links = list(links or [])
    if any(links):
        data["links"] = links
    if maximum is not None:
        data["max"] = _number(maximum)
    if lines:
        data["lines"] = [{"value": _number(value), "label": str(label), "axis": axis} for value, label, axis in lines]
    if marks:
        data["marks"] = [{"category": str(category), "label": str(label)} for category, label in marks]
    return data


def bar_chart(items, name, unit: str = "money") -> dict:
    """Horizontal bars, largest first as given: ``items`` are (label, value, href)."""
    items = list(items)
    # ECharts draws the first category at the bottom of a horizontal chart: reverse so the list reads top-down.
    items.reverse()
    return chart([label for label, _value, _href in items], [series(name, [value for _label, value, _href in items], unit)],
                 links=[href for _label, _value, href in items], horizontal=True)


def stacked_columns(columns, all_series, unit: str = "count") -> dict:
    """Vertical columns stacked by series: ``columns`` are (label, href), ``all_series`` (name, values per column)."""
    columns = list(columns)
    return chart([label for label, _href in columns],
                 [series(name, values, unit, stack="total") for name, values in all_series],
                 links=[href for _label, href in columns])


def line_chart(points, name, unit: str = "percent", maximum=None, target=None) -> dict:
    """A line through ``points`` (label, value or None, href or None); a None leaves a gap.
    ``target``: (name, values per point) drawn as a dashed line (a monthly target)."""
    points = list(points)
    all_series = [series(name, [value for _label, value, _href in points], unit, kind="line")]
    if target is not None:
        all_series.append(series(target[0], target[1], unit, kind="line", dashed=True))
    return chart([label for label, _value, _href in points], all_series, links=[href for _label, _value, href in points],
                 maximum=maximum)
