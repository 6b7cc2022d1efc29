"""My day in a real browser: the page opens with the month and the follow-ups due, then htmx loads the
other reminders in place of their placeholder, under the CSP, at a desktop and a phone width.
Screenshots go to tests/artifacts/."""
from pathlib import Path

import pytest

from test_browser import _log_in, browser, served_portal  # noqa: F401  (the served demo company and Chromium)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.mark.parametrize("width", (1366, 390))
@pytest.mark.parametrize("user", ("liu.yang", "zhang.wei"))
def test_the_rest_of_my_day_loads_after_the_first_paint(served_portal, browser, user, width):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        _log_in(page, served_portal["url"], user)
        page.goto(f"{served_portal['url']}/")
        assert page.locator(".month-strip").count() == 1
        # The placeholder is replaced by the later sections (a function, not a string: the CSP refuses eval).
        page.wait_for_function("() => !document.querySelector('#my-day-later[aria-busy]')", timeout=20_000)
        later = page.locator("#my-day-later")
        assert later.count() == 1
        assert later.locator("section.reminder-section").count() + later.locator(".all-clear").count() >= 1
        # The folded line is at the end, once.
        assert page.locator(".all-clear").count() <= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "My day scrolls sideways"
        # A head's department lists say when they were read; Refresh reads them again in place.
        as_of = later.locator(".as-of")
        assert as_of.count() == (1 if user == "zhang.wei" else 0)
        if user == "zhang.wei":
            with page.expect_response(lambda response: "refresh=1" in response.url and response.status == 200):
                as_of.get_by_role("link").click()
            assert page.locator("#my-day-later .as-of").count() == 1 and page.locator(".month-strip").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"my-day-{user}-{width}.png"), full_page=True)
        assert problems == [], problems
    finally:
        context.close()
