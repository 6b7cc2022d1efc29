"""Chart data as plain functions: what static/charts.js receives."""
import json
from decimal import Decimal

import pytest

from portal.charts import bar_chart, chart, line_chart, series, stacked_columns


def test_horizontal_bars_read_top_down_with_their_links():
    data = bar_chart([("价格", Decimal("1630.00"), "/a"), ("质量", Decimal("113.00"), "/b")], "Amount lost")
    # ECharts draws the first category at the bottom: the largest comes last so it shows on top.
    assert data["horizontal"] and data["categories"] == ["质量", "价格"] and data["links"] == ["/b", "/a"]
    assert data["series"] == [{"name": "Amount lost", "kind": "bar", "unit": "money", "axis": 0, "values": [113.0, 1630.0]}]
    json.dumps(data)  # plain JSON, no Decimal left


def test_stacked_columns_and_a_line_with_gaps():
    columns = stacked_columns([("2026-10", "/10"), ("2026-11", "/11")], [("价格", [1, 0]), ("质量", [0, 2])])
    assert [one["stack"] for one in columns["series"]] == ["total", "total"] and columns["links"] == ["/10", "/11"]
    line = line_chart([("2026-10", None, None), ("2026-11", Decimal("66.7"), "/11")], "Lost-order rate", maximum=100,
                      target=("Target", [50, 50]))
    assert line["max"] == 100 and line["series"][0]["values"] == [None, 66.7] and line["links"] == [None, "/11"]
    assert line["series"][1]["dashed"] and line["series"][1]["kind"] == "line"


def test_reference_lines_and_marks():
    data = chart(["1", "2"], [series("Revenue", [8000, 2000], "money")], lines=[(Decimal("80.00"), "80 %", 1)],
                 marks=[("2", "A | B")])
    assert data["lines"] == [{"value": 80.0, "label": "80 %", "axis": 1}] and data["marks"] == [{"category": "2", "label": "A | B"}]


def test_a_series_must_fit_its_categories_and_name_a_known_unit():
    with pytest.raises(ValueError):
        chart(["a", "b"], [series("x", [1])])
    with pytest.raises(ValueError):
        series("x", [1], unit="furlongs")
