"""Each role reaches each of its pages through the grouped menu alone, on a desktop (1366 px) and
on a phone (390 px); the menus open by keyboard too, and the header's search box finds a record
as one types. Screenshots of the header go to tests/artifacts/."""
import os
from pathlib import Path

import pytest
from flask import url_for
from sqlalchemy import select

from portal.extensions import db
from portal.models import Contract, User
from portal.navigation import navigation_menu
from test_browser import CHROMIUM, _log_in, browser, served_portal  # noqa: F401  (fixtures)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ROLES = {"admin": "admin", "head": "zhang.wei", "sales": "liu.yang", "hr": "hr.wang"}
WIDTHS = {"desktop": 1366, "phone": 390}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is installed by `make test`"),
]


def _menu_of(app, username):
    """The bar the user sees: (group key or None, path) of each page, and how many entries."""
    with app.app_context(), app.test_request_context():
        user = db.session.scalar(select(User).where(User.username == username))
        entries = navigation_menu(user)
        pages = [(entry.key if entry.is_menu else None, url_for(item.endpoint)) for entry in entries for item in entry.items]
        return pages, len(entries)


def _open_menu(page, phone: bool):
    if phone and not page.locator(".mainnav").is_visible():
        page.click("label.nav-toggle-label")


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_a_role_is_reached_through_the_menu(served_portal, browser, role, width):  # noqa: F811
    base_url, app = served_portal["url"], served_portal["app"]
    phone = width == "phone"
    pages, entries = _menu_of(app, ROLES[role])
    assert 1 <= entries <= 7
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 800}, is_mobile=phone)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url, ROLES[role])
    ARTIFACTS.mkdir(exist_ok=True)
    _open_menu(page, phone)
    page.locator("header.topbar").screenshot(path=str(ARTIFACTS / f"header-{role}-{WIDTHS[width]}.png"))
    for group, path in pages:
        _open_menu(page, phone)
        if group:
            summary = page.locator(f"details[data-nav-group={group}] > summary")
            summary.click()
            assert page.locator(f"details[data-nav-group={group}]").get_attribute("open") is not None
        link = page.locator(f".mainnav a[href='{path}']")
        assert link.is_visible(), f"{role} at {width}: {path} not visible after opening its menu"
        with page.expect_navigation(timeout=15_000) as navigation:
            link.click()
        response = navigation.value
        assert response is not None and response.ok, f"{role} at {width}: {path} answered {response and response.status}"
        if page.url != f"{base_url}{path}":
            # My day of HR is the performance sheet: the page sends them on.
            assert path == "/" and role == "hr", f"{role} at {width}: {path} led to {page.url}"
            continue
        # The section of the page is marked; its page link too.
        if group:
            marked = page.locator(f"details[data-nav-group={group}] > summary[aria-current]")
            assert marked.count() == 1
        assert page.locator(f".mainnav a[href='{path}'][aria-current=page]").count() == 1
        if not phone:
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width] + 1
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width]
    assert problems == []
    context.close()


def _closes(page, group: str) -> bool:
    """Whether the menu ``group`` is (or within 5 s becomes) closed."""
    try:
        page.wait_for_function(f"() => !document.querySelector('details[data-nav-group={group}]').open", timeout=5_000)
    except Exception:  # Playwright's TimeoutError: it stayed open
        return False
    return True


def test_menus_open_by_keyboard_one_at_a_time(served_portal, browser):  # noqa: F811
    base_url = served_portal["url"]
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    _log_in(page, base_url)
    customers = page.locator("details[data-nav-group=customers]")
    sales = page.locator("details[data-nav-group=sales]")
    page.locator("details[data-nav-group=customers] > summary").focus()
    page.keyboard.press("Enter")
    assert customers.get_attribute("open") is not None
    # The first page of the menu is one Tab away.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('details') && document.activeElement.closest('details').dataset.navGroup") == "customers"
    page.locator("details[data-nav-group=sales] > summary").click()
    assert sales.get_attribute("open") is not None
    # The other menu closes on the toggle event, which the browser fires after the click returns.
    assert _closes(page, "customers"), "opening one menu closes the other"
    page.keyboard.press("Escape")
    assert _closes(page, "sales")
    assert page.evaluate("document.activeElement.parentElement.dataset.navGroup") == "sales"
    page.locator("details[data-nav-group=sales] > summary").click()
    page.locator("main").click(position={"x": 5, "y": 5})
    assert _closes(page, "sales"), "a click outside closes the menu"
    page.close()


def test_the_search_box_finds_as_one_types_and_enter_opens_the_first(served_portal, browser):  # noqa: F811
    base_url, app = served_portal["url"], served_portal["app"]
    with app.app_context():
        contract = db.session.scalar(select(Contract).where(Contract.archived_at.is_(None)).order_by(Contract.id))
        number, contract_id = contract.number, contract.id
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url)
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "quicksearch"
    page.keyboard.type(number)
    page.locator(f"#quicksearch-results a[href='/contracts/{contract_id}']").wait_for(timeout=10_000)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/contracts/{contract_id}", timeout=10_000)
    page.keyboard.press("Control+K")
    assert page.evaluate("document.activeElement.id") == "quicksearch"
    page.locator("header.topbar").screenshot(path=str(ARTIFACTS / "header-search-1366.png"))
    assert problems == []
    page.close()
