"""A double click in a real browser saves once: the plain form's one-time key, and the submit
buttons disabled while the request is in flight (htmx's for the htmx forms, forms.js for the plain
forms). Screenshots of a busy form go to tests/artifacts/."""
import json
import re
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Complaint, ComplaintStep, Customer, FollowUp, Quote, User
from test_browser import _log_in, browser, pytestmark, served_portal  # noqa: F401  (fixtures and marks)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _customer_of(app, username: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Customer.id).join(User, Customer.owner_id == User.id)
            .where(User.username == username, Customer.archived_at.is_(None), Customer.pool_since.is_(None))
            .order_by(Customer.id).limit(1)
        )


def _count(app, model, customer_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(model.id)).where(model.customer_id == customer_id))


def _open_as_salesperson(served_portal, browser, path: str):
    """A page of a customer of liu.yang's, opened logged in as liu.yang: (page, customer id)."""
    customer_id = _customer_of(served_portal["app"], "liu.yang")
    page = browser.new_page()
    _log_in(page, served_portal["url"], "liu.yang")
    page.goto(served_portal["url"] + path.format(customer=customer_id))
    return page, customer_id


def test_a_new_quote_sent_twice_by_the_network_is_saved_once(served_portal, browser):
    """The form as the browser sends it reaches the server twice (the first answer lost, as behind
    nginx's 502, and the form sent again): one quote, and the browser lands on it."""
    app = served_portal["app"]
    page, customer_id = _open_as_salesperson(served_portal, browser, "/quotes/new/{customer}")
    before = _count(app, Quote, customer_id)

    def send_twice(route):
        if route.request.method != "POST":
            return route.continue_()
        route.fetch(max_redirects=0)  # its answer is lost
        route.fulfill(response=route.fetch(max_redirects=0))

    page.route(f"**/quotes/new/{customer_id}", send_twice)
    page.locator("main form button[type=submit].primary").click()
    page.wait_for_url(re.compile(r".*/quotes/\d+$"))
    assert "未重复保存" in page.content()
    assert _count(app, Quote, customer_id) == before + 1
    page.close()


def test_the_follow_up_button_is_disabled_while_saving(served_portal, browser):
    app = served_portal["app"]
    page, customer_id = _open_as_salesperson(served_portal, browser, "/customers/{customer}")
    before = _count(app, FollowUp, customer_id)
    form = page.locator("form.follow-up-form")
    form.locator("[name=summary]").fill("双击保存的回访")
    button = form.locator("button[type=submit]")
    # Hold the answer back so the button is seen disabled while the request is in flight.
    held = []
    page.route(f"**/customers/{customer_id}/follow-ups", lambda route: held.append(route))
    button.click()
    page.locator("form.follow-up-form button[type=submit][disabled]").wait_for(timeout=10_000)
    for _ in range(200):  # at most ten seconds for the held request to arrive
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    page.locator("#follow-ups").filter(has_text="双击保存的回访").wait_for(timeout=10_000)
    assert _count(app, FollowUp, customer_id) == before + 1
    page.close()


# --- plain forms: forms.js marks them busy -------------------------------------------------------
# While a page's own navigation is pending (a plain form's POST held back), Playwright's calls on that
# page (evaluate, screenshot, even wait_for_timeout) wait for the navigation to end. So the state at
# the moment of a real submit is reported by a watcher in the page (an init script, outside the CSP)
# through the console, and events are pumped through a second page. For what needs the page itself
# (a second tap, the back/forward cache, the screenshots) the watcher cancels the submit after
# forms.js has seen it, so the page stays as it is while a request is in flight.

WATCH_SUBMITS = """
if (!window.__submitWatch) {
  window.__submitWatch = true;
  window.__submits = 0;
  window.addEventListener("submit", (event) => {  // after forms.js (on document) has run
    const form = event.target;
    window.__submits += 1;
    const buttons = Array.from(form.elements).filter((e) => e.type === "submit");
    console.log("submit-watch " + JSON.stringify({
      busy: form.getAttribute("aria-busy"), disabled: buttons.map((b) => b.disabled),
      carried: Array.from(form.querySelectorAll("[data-busy-submitter]")).map((e) => [e.name, e.value]),
      cancelled: event.defaultPrevented}));
    if (window.__cancelSubmits && !event.defaultPrevented) { event.preventDefault(); }
  });
}
"""


def _watched_page(served_portal, browser, username: str, width: int = 1366, height: int = 900):
    """(context, page, pump, reports): a logged-in page whose submits are reported into `reports`;
    `pump` is a second page whose waits let Playwright deliver events while `page` is navigating."""
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=width < 500)
    context.set_default_timeout(15_000)
    context.add_init_script(WATCH_SUBMITS)
    page, pump = context.new_page(), context.new_page()
    reports = []
    page.on("console", lambda message: reports.append(json.loads(message.text[len("submit-watch "):]))
            if message.text.startswith("submit-watch ") else None)
    _log_in(page, served_portal["url"], username)
    reports.clear()
    return context, page, pump, reports


def _hold(page, pattern: str, *, navigation_only: bool = False, method: str = "POST") -> list:
    """Requests to `pattern` with `method` are kept (not answered) in the returned list until the
    test continues them; every other request goes through."""
    held = []

    def handler(route):
        request = route.request
        if request.method == method and (not navigation_only or request.is_navigation_request()):
            held.append(route)
        else:
            route.continue_()

    page.route(pattern, handler)
    return held


def _wait_until(pump, condition, what: str, seconds: float = 10) -> None:
    """Poll `condition()` every 50 ms for at most `seconds`: the test fails, never hangs."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        pump.wait_for_timeout(50)
    raise AssertionError(f"not within {seconds} s: {what}")


def _send_and_hold(page, pump, reports, form: str, button: str = "button[type=submit]") -> list:
    """Click `button` of `form` with its POST held back; returns the held request's route once the
    POST has left and the watcher has reported the form's state."""
    held = _hold(page, "**" + page.get_attribute(form, "action"))
    page.locator(f"{form} {button}").click(no_wait_after=True)
    _wait_until(pump, lambda: held and reports, "the POST leaves and the watcher reports")
    return held


def _release(held: list) -> None:
    for route in held:
        try:
            route.continue_()
        except Exception:  # noqa: BLE001  (the page may be gone already; the test has failed then)
            pass
    held.clear()


def _busy_state(page, form_selector: str) -> dict:
    return page.evaluate(
        """(selector) => {
            const form = document.querySelector(selector);
            const buttons = Array.from(form.elements).filter((e) => e.type === "submit");
            return {busy: form.getAttribute("aria-busy"), disabled: buttons.map((b) => b.disabled),
                    carried: Array.from(form.querySelectorAll("[data-busy-submitter]")).map((e) => [e.name, e.value])};
        }""",
        form_selector,
    )


def _customers_named(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Customer.id)).where(Customer.name == name))


def _a_complaint(app, statuses) -> int:
    with app.app_context():
        return db.session.scalar(select(Complaint.id).where(Complaint.status.in_(statuses), Complaint.archived_at.is_(None))
                                 .order_by(Complaint.id).limit(1))


def test_a_new_customer_form_is_busy_while_its_post_is_in_flight_and_saves_once(served_portal, browser):
    """The new-customer form submitted for real: when its POST leaves, the button is disabled and the
    form aria-busy; one request is sent; released, one customer is saved and the browser lands on it."""
    app, base_url = served_portal["app"], served_portal["url"]
    name = "双击测试果行"
    context, page, pump, reports = _watched_page(served_portal, browser, "liu.yang")
    held = []
    try:
        page.goto(f"{base_url}/customers/new")
        form = "main form[action='/customers/new']"
        page.fill(f"{form} [name=name]", name)
        assert _busy_state(page, form) == {"busy": None, "disabled": [False], "carried": []}
        held = _send_and_hold(page, pump, reports, form)
        assert reports == [{"busy": "true", "disabled": [True], "carried": [], "cancelled": False}]
        pump.wait_for_timeout(300)
        assert len(held) == 1
        _release(held)
        page.wait_for_url(re.compile(r".*/customers/\d+$"))
        assert _customers_named(app, name) == 1
    finally:
        _release(held)
        context.close()


def test_the_payment_form_with_a_field_named_method_is_busy_too(served_portal, browser):
    """The payment form has a field called "method" (which hides form.method in the page): it is
    marked busy like any plain POST form, and one payment is recorded."""
    from portal.models import Contract, Payment

    app, base_url = served_portal["app"], served_portal["url"]
    with app.app_context():
        contract_id = db.session.scalar(select(Contract.id).where(
            Contract.status != "cancelled", Contract.archived_at.is_(None),
            Contract.amount_gross - Contract.amount_received >= 1).order_by(Contract.id).limit(1))
        before = db.session.scalar(select(func.count(Payment.id)).where(Payment.contract_id == contract_id))
    assert contract_id is not None, "the demo company has a contract with money outstanding"
    context, page, pump, reports = _watched_page(served_portal, browser, "admin")
    held = []
    try:
        page.goto(f"{base_url}/contracts/{contract_id}/payments/new")
        form = f"main form[action='/contracts/{contract_id}/payments/new']"
        page.fill(f"{form} [name=amount]", "1.00")
        held = _send_and_hold(page, pump, reports, form)
        assert reports == [{"busy": "true", "disabled": [True], "carried": [], "cancelled": False}]
        _release(held)
        page.wait_for_url(re.compile(rf".*/contracts/{contract_id}(#payments)?$"))
    finally:
        _release(held)
        context.close()
    with app.app_context():
        assert db.session.scalar(select(func.count(Payment.id)).where(Payment.contract_id == contract_id)) == before + 1


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)])
def test_a_busy_form_takes_no_second_tap_and_shows_it_is_waiting(served_portal, browser, width, height):
    """The submit seen by forms.js and then held in the page: the button is disabled with the progress
    pointer; a second tap, Enter in a field and a script's requestSubmit send nothing more.
    A screenshot of the waiting form goes to tests/artifacts/form-busy-<width>.png."""
    base_url = served_portal["url"]
    context, page, pump, reports = _watched_page(served_portal, browser, "liu.yang", width, height)
    requests = []
    try:
        page.goto(f"{base_url}/customers/new")
        form = "main form[action='/customers/new']"
        page.fill(f"{form} [name=name]", f"不会保存的客户{width}")
        page.on("request", lambda request: requests.append(request) if request.method == "POST" else None)
        page.evaluate("window.__cancelSubmits = true")
        button = page.locator(f"{form} button[type=submit]")
        button.click()
        assert _busy_state(page, form) == {"busy": "true", "disabled": [True], "carried": []}
        assert button.evaluate("(b) => getComputedStyle(b).cursor") == "progress"
        button.scroll_into_view_if_needed()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"form-busy-{width}.png"))
        button.click(force=True, timeout=5_000)
        page.press(f"{form} [name=name]", "Enter")
        page.evaluate(f"document.querySelector(\"{form}\").requestSubmit()")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__submits") == 2  # the first, and requestSubmit's (refused)
        assert [report["cancelled"] for report in reports] == [False, True]
        assert requests == []
    finally:
        context.close()


def test_the_clicked_button_of_a_busy_form_still_sends_its_name_and_value(served_portal, browser):
    """The complaint step form has two submit buttons named "to" ("Add note" and "Mark as 处理中"):
    the clicked one's value reaches the server although both are disabled while saving."""
    app, base_url = served_portal["app"], served_portal["url"]
    complaint_id = _a_complaint(app, ["new"])
    assert complaint_id is not None, "the demo company has a new complaint"
    with app.app_context():
        steps_before = db.session.scalar(select(func.count(ComplaintStep.id)).where(ComplaintStep.complaint_id == complaint_id))
    context, page, pump, reports = _watched_page(served_portal, browser, "admin")
    held = []
    try:
        page.goto(f"{base_url}/complaints/{complaint_id}")
        form = f"form[action='/complaints/{complaint_id}/step']"
        page.fill(f"{form} [name=note]", "已电话联系客户")
        held = _send_and_hold(page, pump, reports, form, "button[name=to][value=in_progress]")
        assert reports == [{"busy": "true", "disabled": [True, True], "carried": [["to", "in_progress"]], "cancelled": False}]
        sent = parse_qs(held[0].request.post_data, keep_blank_values=True)
        assert sent["to"] == ["in_progress"]
        _release(held)
        page.wait_for_url(f"{base_url}/complaints/{complaint_id}")
    finally:
        _release(held)
        context.close()
    with app.app_context():
        assert db.session.get(Complaint, complaint_id).status == "in_progress"
        steps = db.session.scalar(select(func.count(ComplaintStep.id)).where(ComplaintStep.complaint_id == complaint_id))
        assert steps == steps_before + 1


def test_a_busy_form_comes_back_usable_from_the_back_forward_cache(served_portal, browser):
    """A page restored by the back button (pageshow, persisted) has its buttons enabled again and
    the carried button value gone, so another button's value cannot travel with a stale one; the
    other button then sends its own value alone."""
    base_url = served_portal["url"]
    complaint_id = _a_complaint(served_portal["app"], ["new", "in_progress"])
    context, page, pump, reports = _watched_page(served_portal, browser, "admin")
    held = []
    try:
        page.goto(f"{base_url}/complaints/{complaint_id}")
        form = f"form[action='/complaints/{complaint_id}/step']"
        page.evaluate("window.__cancelSubmits = true")
        page.locator(f"{form} button.primary[name=to]").click()
        state = _busy_state(page, form)
        assert state["busy"] == "true" and state["disabled"] == [True, True] and len(state["carried"]) == 1
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: false}))")
        assert _busy_state(page, form)["busy"] == "true"  # a page shown afresh is not touched
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")
        assert _busy_state(page, form) == {"busy": None, "disabled": [False, False], "carried": []}
        page.evaluate("window.__cancelSubmits = false")
        held = _hold(page, f"**/complaints/{complaint_id}/step")
        page.locator(f"{form} button[name=to][value='']").click(no_wait_after=True)
        _wait_until(pump, lambda: held, "the POST leaves")
        assert parse_qs(held[0].request.post_data, keep_blank_values=True)["to"] == [""]
        held[0].abort()
        held.clear()
    finally:
        _release(held)
        context.close()


def test_htmx_forms_and_get_forms_are_not_marked_busy(served_portal, browser):
    """The follow-up form is sent by htmx (which disables its button itself and enables it again) and
    the header search is a GET: forms.js leaves both alone."""
    app, base_url = served_portal["app"], served_portal["url"]
    customer_id = _customer_of(app, "liu.yang")
    context, page, pump, reports = _watched_page(served_portal, browser, "liu.yang")
    held = []
    try:
        page.goto(f"{base_url}/customers/{customer_id}")
        before = _count(app, FollowUp, customer_id)
        form = "form.follow-up-form"
        page.fill(f"{form} [name=summary]", "htmx 自己管按钮")
        held = _hold(page, f"**/customers/{customer_id}/follow-ups")
        page.locator(f"{form} button[type=submit]").click(no_wait_after=True)
        _wait_until(page, lambda: held, "the htmx POST leaves")
        state = _busy_state(page, form)
        assert state["busy"] is None and state["carried"] == [] and state["disabled"] == [True]  # htmx's
        assert page.locator(f"{form} [data-busy-disabled]").count() == 0
        _release(held)
        page.locator("#follow-ups").filter(has_text="htmx 自己管按钮").wait_for()
        _wait_until(page, lambda: not page.evaluate(f"document.querySelector('{form} button[type=submit]').disabled"),
                    "htmx enables the button again")
        assert _count(app, FollowUp, customer_id) == before + 1

        reports.clear()
        held = _hold(page, "**/search?*", navigation_only=True, method="GET")
        page.fill("#quicksearch", "苹果")
        page.press("#quicksearch", "Enter", no_wait_after=True)
        _wait_until(pump, lambda: held and reports, "the search page is asked for")
        assert reports[-1]["busy"] is None and reports[-1]["cancelled"] is False
    finally:
        _release(held)
        context.close()
