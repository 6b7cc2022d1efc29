"""A double click in a real browser saves once: the plain form's one-time key, and the htmx
form's submit button disabled while its request is in flight."""
import re

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Customer, FollowUp, Quote, User
from test_browser import _log_in, browser, pytestmark, served_portal  # noqa: F401  (fixtures and marks)


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
