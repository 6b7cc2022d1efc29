"""A real browser against a served portal: the CSP allows what the pages need, htmx works
from local files, and the layout fits a phone."""
import os
import shutil
import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from portal.models import Customer, Department, FollowUp
from portal.seed import seed_demo_company

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "browser-pass-1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is installed by `make test`"),
]


@pytest.fixture(scope="module")
def served_portal(tmp_path_factory):
    """The portal with the demo company on 127.0.0.1, its own SQLite database, stopped after the module."""
    from flask_migrate import upgrade

    instance = tmp_path_factory.mktemp("browser-instance")
    app = create_app(
        {"SECRET_KEY": "browser-test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'portal.db'}"},
        instance_path=str(instance),
    )
    with app.app_context():
        upgrade()
        seed_demo_company(PASSWORD)
        fruit_id = db.session.scalar(select(Department.id).where(Department.name == "水果部"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "fruit_id": fruit_id, "app": app}
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=30_000)
        yield browser
        browser.close()


def _log_in(page, base_url, username="admin"):
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/**")


def test_login_and_htmx_filter_under_the_csp(served_portal, browser):
    base_url = served_portal["url"]
    page = browser.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{base_url}/login")
    assert page.locator("h1").inner_text() == "登录"
    _log_in(page, base_url)
    page.goto(f"{base_url}/admin/users")
    assert "zhao.min" in page.locator("#user-rows").inner_text()
    # htmx swaps the rows in place and pushes the filtered URL.
    page.select_option("select[name=department]", str(served_portal["fruit_id"]))
    page.wait_for_url(f"**/admin/users?*department={served_portal['fruit_id']}*", timeout=10_000)
    rows = page.locator("#user-rows")
    rows.filter(has_not_text="zhao.min").wait_for(timeout=10_000)
    assert "liu.yang" in rows.inner_text()
    assert problems == []
    page.close()


def test_navigation_folds_into_a_menu_on_a_phone(served_portal, browser):
    base_url = served_portal["url"]
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    _log_in(page, base_url)
    menu_link = page.locator(".mainnav a").first
    assert not menu_link.is_visible()
    page.click("label.nav-toggle-label")
    assert menu_link.is_visible()
    page.goto(f"{base_url}/admin/users")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a phone"
    context.close()


def test_inbound_call_registers_a_new_caller_in_one_form(served_portal, browser):
    """A salesperson types the caller's number, sees no match, and logs the call with a new customer."""
    base_url = served_portal["url"]
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url, "liu.yang")
    page.click("header a[href='/calls/new']")
    page.wait_for_url(f"{base_url}/calls/new")
    page.keyboard.type("139 1234 5678")  # the search box has the focus
    page.locator("#call-matches").filter(has_text="没有匹配的客户").wait_for(timeout=10_000)
    page.check("input[name=customer][value=new]")
    page.fill("input[name=name]", "浦东新鲜果园")
    page.fill("[name=summary]", "询问车厘子到货时间和价格")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert problems == []
    with served_portal["app"].app_context():
        customer = db.session.scalar(select(Customer).where(Customer.name == "浦东新鲜果园"))
        assert customer is not None
        assert "13912345678" in (customer.mobile_key, customer.phone_key)
        call = db.session.scalar(select(FollowUp).where(FollowUp.customer_id == customer.id))
        assert call.kind == "call_in" and call.summary == "询问车厘子到货时间和价格"
        assert customer.owner.username == "liu.yang"
    page.close()


def test_a_quote_with_two_lines_is_sent_and_lost_to_a_competitor_on_price(served_portal, browser):
    """A salesperson quotes a customer, adds two lines in place (totals from the server), sends the
    quote, then records it lost to a competitor for 价格."""
    from portal.models import LostOrder, Quote

    base_url = served_portal["url"]
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url, "liu.yang")
    with served_portal["app"].app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.name == "海底捞火锅(福田店)"))
    page.goto(f"{base_url}/customers/{customer_id}")
    page.click(f"a[href='/quotes/new/{customer_id}']")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/quotes/*")
    quote_url = page.url
    for product, quantity in (("SG-001", "10"), ("SG-003", "4")):
        page.select_option("#quote-lines select[name=product_id]", label=next(
            option for option in page.locator("#quote-lines select[name=product_id] option").all_inner_texts() if option.startswith(product)
        ))
        page.fill("#quote-lines input[name=quantity]", quantity)
        rows_before = page.locator("#quote-lines tbody tr").count()
        page.click("#quote-lines button[type=submit].primary")
        page.locator("#quote-lines tbody tr").nth(rows_before).wait_for(timeout=10_000)
    assert page.url == quote_url  # swapped in place, no reload
    # 10 × 128.00 + 4 × 85.00 = 1,620.00; tax 13 % = 210.60; 1,830.60 with tax.
    assert "1,830.60" in page.locator("#quote-lines .totals").inner_text()
    page.click("form[action$='/send'] button")
    page.wait_for_load_state()
    page.click("a[href$='/lost']")
    page.select_option("select[name=reason_id]", label="价格")
    page.select_option("select[name=competitor_id]", label="鲜农达")
    page.fill("input[name=competitor_price]", "1700")
    page.click("button[type=submit].danger")
    page.wait_for_url(quote_url)
    assert "已丢单" in page.locator("h1").inner_text()
    assert problems == []
    with served_portal["app"].app_context():
        quote = db.session.scalar(select(Quote).where(Quote.customer_id == customer_id).order_by(Quote.id.desc()))
        lost_order = db.session.scalar(select(LostOrder).where(LostOrder.quote_id == quote.id))
        assert quote.status == "lost" and quote.amount_gross == Decimal("1830.60")
        assert lost_order.reason.name == "价格" and lost_order.competitor.name == "鲜农达"
        assert lost_order.competitor_price == Decimal("1700.00")
    page.close()


def test_a_won_quote_becomes_a_contract_with_a_plan_a_payment_and_a_delivery(served_portal, browser):
    """A salesperson wins a quote, creates the contract from it, plans two instalments, records the
    first payment and plans a delivery, then opens its delivery note."""
    from portal.models import Contract, Delivery, Instalment, Payment

    base_url = served_portal["url"]
    page = browser.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url, "liu.yang")
    with served_portal["app"].app_context():
        customer_id = db.session.scalar(select(Customer.id).where(Customer.name == "海底捞火锅(福田店)"))
    page.goto(f"{base_url}/quotes/new/{customer_id}")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/quotes/*")
    page.select_option("#quote-lines select[name=product_id]", label=next(
        option for option in page.locator("#quote-lines select[name=product_id] option").all_inner_texts() if option.startswith("SG-002")
    ))
    page.fill("#quote-lines input[name=quantity]", "10")
    page.click("#quote-lines button[type=submit].primary")
    page.locator("#quote-lines tbody tr").first.wait_for(timeout=10_000)
    page.click("form[action$='/send'] button")
    page.wait_for_load_state()
    page.click("a[href$='/won']")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    # 10 × 98.00 = 980.00; 13 % tax 127.40; 1,107.40 with tax.
    page.click("a[href$='/contract']")
    page.fill("input[name=usage]", "门店零售")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base_url}/contracts/*")
    contract_url = page.url.split("#")[0]
    assert "1,107.40" in page.locator("#contract-lines .totals").inner_text()
    page.click("a[href$='/plan']")
    page.fill("input[name='instalments-0-amount']", "300.00")
    page.fill("input[name='instalments-1-due_on']", "2099-01-31")
    page.fill("input[name='instalments-1-amount']", "807.40")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{contract_url}#payments")
    page.click("a[href$='/payments/new']")
    page.fill("input[name=amount]", "300")
    page.select_option("select[name=method]", "transfer")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{contract_url}#payments")
    assert "部分付款" in page.locator("h1").inner_text()
    page.click("a[href$='/deliveries/new']")
    page.fill("input[name=new_address]", "深圳市福田区福华路 88 号")
    page.select_option("select[name=address_choice]", "0")
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{contract_url}#deliveries")
    with page.expect_navigation():
        page.click("#deliveries a[href$='/note']")
    assert "送货单" in page.content() and "深圳市福田区福华路 88 号" in page.content()
    assert problems == []
    with served_portal["app"].app_context():
        contract = db.session.scalar(select(Contract).where(Contract.customer_id == customer_id).order_by(Contract.id.desc()))
        assert contract.quote_id is not None and contract.amount_gross == Decimal("1107.40") and contract.usage == "门店零售"
        plan = db.session.scalars(select(Instalment.amount).where(Instalment.contract_id == contract.id, Instalment.archived_at.is_(None))).all()
        assert sorted(plan) == [Decimal("300.00"), Decimal("807.40")]
        assert db.session.scalar(select(Payment.amount).where(Payment.contract_id == contract.id)) == Decimal("300.00")
        assert contract.amount_received == Decimal("300.00")
        delivery = db.session.scalar(select(Delivery).where(Delivery.contract_id == contract.id))
        assert delivery.address == "深圳市福田区福华路 88 号" and delivery.lines[0].quantity == Decimal("10.000")
    page.close()


def test_hr_downloads_the_performance_sheet(served_portal, browser):
    """HR lands on the performance pages after logging in, opens the sheet and downloads the
    workbook: a summary and one worksheet per department, no customer names."""
    import io

    from openpyxl import load_workbook

    base_url = served_portal["url"]
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    _log_in(page, base_url, "hr.wang")
    assert page.url.rstrip("/").endswith("/performance")
    page.click("a[href^='/performance/sheet']")
    page.wait_for_url(f"{base_url}/performance/sheet**")
    assert "水果部" in page.content()
    with page.expect_download() as download_info:
        page.click("a[href^='/performance/sheet.xlsx']")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        book = load_workbook(io.BytesIO(handle.read()))
    assert len(book.sheetnames) >= 3 and "水果部" in book.sheetnames
    with served_portal["app"].app_context():
        names = set(db.session.scalars(select(Customer.name)))
    text = " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    assert not any(name in text for name in names)
    assert problems == []
    context.close()
