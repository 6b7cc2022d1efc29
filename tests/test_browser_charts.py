"""The charts in a real browser: every chart page at a desktop and a phone width draws its charts
under the CSP without a console error, and a click on the first bar opens the list behind it.
Screenshots of the main chart pages are saved under tests/artifacts/ for a look by eye."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Department
from test_browser import _log_in, browser, served_portal  # noqa: F401  (the served demo company and Chromium)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
WIDTHS = (1366, 390)

# The point at the middle of the first bar as a reader sees it (the top one of a horizontal chart,
# the left-most drawn one of a column chart) in the window, once the chart is scrolled into view;
# the element drawn there and the link it opens.
FIRST_BAR = """(figure) => {
  figure.scrollIntoView({block: 'center'});
  const canvas = figure.querySelector('.chart-canvas');
  const chart = echarts.getInstanceByDom(canvas);
  const spec = JSON.parse(figure.querySelector('script.chart-data').textContent);
  const indexes = spec.categories.map((_label, index) => index);
  if (spec.horizontal) indexes.reverse();
  const series = spec.series.findIndex((one) => one.kind === 'bar');
  const index = indexes.find((i) => spec.series[series].values[i]);
  const value = spec.series[series].values[index];
  const point = spec.horizontal ? [value / 2, index] : [index, value / 2];
  const [x, y] = chart.convertToPixel({seriesIndex: series}, point);
  const box = canvas.getBoundingClientRect();
  const hit = document.elementFromPoint(box.left + x, box.top + y);
  return {x: box.left + x, y: box.top + y, href: spec.links[index],
          mark: hit ? hit.tagName.toLowerCase() : null, inside: !!(hit && canvas.contains(hit))};
}"""


def _pages(served_portal):  # noqa: F811
    """(name, user, path) of every page with charts."""
    with served_portal["app"].app_context():
        fruit = db.session.scalar(select(Department.id).where(Department.name == "水果部"))
    return [
        ("lost-analysis", "zhang.wei", "/lost/analysis?kind=year"),
        ("grading", "admin", "/grading/"),
        ("team-performance", "zhang.wei", "/performance/?kind=year"),
        ("department-performance", "admin", f"/performance/?kind=year&department={fruit}"),
        ("my-performance", "liu.yang", "/performance/?kind=year"),
        ("complaints-summary", "admin", "/complaints/summary?kind=year"),
    ]


def _open(browser, base_url, user, path, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url, user)
    page.goto(f"{base_url}{path}")
    # A function, not an expression: the page's CSP refuses eval of a string.
    page.wait_for_function("() => document.querySelectorAll('figure.chart').length > 0 && "
                           "document.querySelectorAll('figure.chart .chart-canvas[data-drawn] svg').length"
                           " === document.querySelectorAll('figure.chart').length", timeout=20_000)
    return context, page, problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_draws_without_an_error_and_fits(served_portal, browser, width):  # noqa: F811
    base_url = served_portal["url"]
    ARTIFACTS.mkdir(exist_ok=True)
    for name, user, path in _pages(served_portal):
        context, page, problems = _open(browser, base_url, user, path, width)
        figures = page.locator("figure.chart")
        for index in range(figures.count()):
            figure = figures.nth(index)
            svg = figure.locator(".chart-canvas svg")
            assert svg.count() == 1, f"{name}: chart {index} has no drawing"
            assert figure.locator(".chart-canvas svg path").count() >= 3, f"{name}: chart {index} has no marks"
            box = svg.bounding_box()
            assert 0 < box["width"] <= width, f"{name}: chart {index} is wider than the window"
        # Every chart keeps its table beside it.
        assert page.locator("section.card table").count() >= figures.count() or name == "grading"
        assert page.evaluate("document.documentElement.scrollWidth") <= width or "performance" in name, \
            f"{name} scrolls sideways"
        if name in ("lost-analysis", "grading", "team-performance"):
            page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        assert problems == [], f"{name}: {problems}"
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_click_on_the_first_bar_opens_its_list(served_portal, browser, width):  # noqa: F811
    base_url = served_portal["url"]
    for name, user, path in _pages(served_portal):
        if name == "department-performance":
            continue  # the lists cannot show one department to the administrator: no drill-down
        context, page, problems = _open(browser, base_url, user, path, width)
        bar = page.locator("figure.chart").first.evaluate(FIRST_BAR)
        assert bar["inside"] and bar["mark"] == "path", f"{name}: no bar drawn where its value is"
        assert bar["href"], f"{name}: the first bar has no list"
        # Pointing at it shows its value, formatted.
        page.mouse.move(bar["x"], bar["y"])
        tooltip = page.locator("figure.chart").first.locator(".chart-tip")
        tooltip.wait_for(timeout=5_000)
        assert re.search(r"¥[\d,]+\.\d\d|\d %|: \d", tooltip.inner_text()), f"{name}: {tooltip.inner_text()}"
        page.mouse.click(bar["x"], bar["y"])
        page.wait_for_url(base_url + bar["href"], timeout=10_000)
        assert page.locator("h1").count() == 1
        assert problems == [], f"{name}: {problems}"
        context.close()


def test_on_a_touch_screen_the_first_tap_shows_the_value_and_the_second_opens_the_list(served_portal, browser):  # noqa: F811
    base_url = served_portal["url"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url, "admin")
    page.goto(f"{base_url}/lost/analysis?kind=year")
    page.wait_for_selector("figure.chart .chart-canvas[data-drawn] svg")
    figure = page.locator("figure.chart").nth(2)  # by reason
    bar = figure.evaluate(FIRST_BAR)
    x, y = bar["x"], bar["y"]
    page.touchscreen.tap(x, y)
    tooltip = figure.locator(".chart-tip")
    tooltip.wait_for(timeout=5_000)
    assert "¥" in tooltip.inner_text()
    assert "/lost/analysis" in page.url
    page.touchscreen.tap(x, y)
    page.wait_for_url("**/lost/orders?**dimension=reason**", timeout=10_000)
    assert problems == []
    context.close()


def test_charts_swapped_in_by_htmx_are_drawn_and_the_old_ones_let_go(served_portal, browser):  # noqa: F811
    base_url = served_portal["url"]
    context, page, problems = _open(browser, base_url, "admin", "/lost/analysis?kind=year", 1366)
    count = page.locator("figure.chart").count()
    page.evaluate("htmx.ajax('GET', '/lost/analysis?kind=quarter', {target: '#main', select: '#main', swap: 'outerHTML'})")
    page.wait_for_function("() => document.querySelectorAll('figure.chart .chart-canvas[data-drawn] svg').length === "
                           f"document.querySelectorAll('figure.chart').length && !!document.querySelector('select[name=kind] option[value=quarter][selected]')",
                           timeout=20_000)
    assert page.locator("figure.chart .chart-canvas[data-drawn] svg").count() == page.locator("figure.chart").count() > 0
    # Every drawn chart is alive; none of the page before is kept.
    assert page.evaluate("Array.from(document.querySelectorAll('figure.chart .chart-canvas')).every((c) => !!echarts.getInstanceByDom(c))")
    assert count > 0 and problems == []
    context.close()
