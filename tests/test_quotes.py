"""Quotes through the routes: numbering, lines and totals, bad input, send, revisions, won and
lost with the lost-order record, competitors, expiry, print, the customer page and My day."""
import http.client
import re
import threading
from urllib.parse import urlencode
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from conftest import customer_panels, login_as
from my_day_page import my_day_page
from customer_factories import new_customer
from followups_factories import count_statements, make_team
from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import LOST_REASON, Competitor, Customer, LostOrder, Product, Quote, QuoteLine, Stage
from portal.rules.followups import company_today
from quotes_factories import make_competitor, make_product, make_quote, quote_count
from test_reliability import _session_cookie, served  # noqa: F401  (the served-portal fixture)

HX_LINES = {"HX-Request": "true", "HX-Target": "quote-lines"}


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def customer(team):
    return new_customer(team["sales"], name="华联超市", contacts=["王经理"])


@pytest.fixture
def product():
    return make_product()


def _header(**fields):
    today = company_today()
    return {"quote_date": today.isoformat(), "valid_until": (today + timedelta(days=30)).isoformat(), "tax_rate": "13",
            "contact_id": "0", **fields}


def _reasons():
    ensure_default_entries(LOST_REASON)
    db.session.commit()
    return {entry.name: entry.id for entry in lookup_entries(LOST_REASON)}


def _lines(quote_id):
    return db.session.scalars(
        select(QuoteLine).where(QuoteLine.quote_id == quote_id, QuoteLine.archived_at.is_(None)).order_by(QuoteLine.position)
    ).all()


# --- creating and numbering ------------------------------------------------------------------------


def test_new_quote_form_defaults_from_the_settings(client, team, customer):
    login_as(client, team["sales"])
    page = client.get(f"/quotes/new/{customer.id}").get_data(as_text=True)
    assert (company_today() + timedelta(days=30)).isoformat() in page
    assert re.search(r'name="tax_rate"[^>]*value="13(\.00)?"', page) and "王经理" in page


def test_quotes_are_numbered_per_year_without_gaps(client, team, customer):
    login_as(client, team["sales"])
    year = company_today().year
    for _ in range(3):
        assert client.post(f"/quotes/new/{customer.id}", data=_header()).status_code == 303
    numbers = db.session.scalars(select(Quote.number).order_by(Quote.id)).all()
    assert numbers == [f"BJ{year}-0001", f"BJ{year}-0002", f"BJ{year}-0003"]
    quote = db.session.scalar(select(Quote).order_by(Quote.id))
    assert quote.owner_id == team["sales"].id and quote.department_id == team["fruit"].id


def test_a_quote_dated_in_another_year_starts_that_years_numbers(client, team, customer):
    login_as(client, team["sales"])
    client.post(f"/quotes/new/{customer.id}", data=_header())
    client.post(f"/quotes/new/{customer.id}", data=_header(quote_date="2025-12-30", valid_until="2026-01-30"))
    assert "BJ2025-0001" in db.session.scalars(select(Quote.number)).all()


def test_concurrent_saves_get_consecutive_numbers(team, customer, served):
    """Eight clients save ten quotes each at once through the served portal: 80 numbers, 1..80."""
    served_app, port = served
    cookie = _session_cookie(served_app, team["sales"])
    customer_id, body = customer.id, urlencode(_header())
    db.session.commit()
    errors = []

    def save_ten():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for _ in range(10):
            connection.request("POST", f"/quotes/new/{customer_id}", body=body,
                               headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            response.read()
            if response.status != 303:
                errors.append(response.status)
        connection.close()

    threads = [threading.Thread(target=save_ten) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    sequences = sorted(db.session.scalars(select(Quote.sequence)).all())
    assert errors == [] and sequences == list(range(1, 81))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"valid_until": "2020-01-01"}, "A quote cannot be valid until a day before its date."),
        ({"tax_rate": "101"}, "The tax rate is a percentage from 0 to 100."),
        ({"tax_rate": "NaN"}, None),
        ({"quote_date": "9999-99-99"}, None),
        ({"quote_date": ""}, "Enter the quote date."),
    ],
)
def test_a_bad_header_is_refused_and_nothing_saved(client, team, customer, fields, message):
    login_as(client, team["sales"])
    response = client.post(f"/quotes/new/{customer.id}", data=_header(**fields))
    assert response.status_code == 422 and quote_count() == 0
    if message:
        assert message in response.get_data(as_text=True)


def test_a_customer_outside_the_scope_cannot_be_quoted(client, team):
    stranger = new_customer(team["outsider"], name="外部门客户")
    login_as(client, team["sales"])
    assert client.post(f"/quotes/new/{stranger.id}", data=_header()).status_code == 404
    assert quote_count() == 0


# --- lines and totals ------------------------------------------------------------------------------


def test_lines_are_added_inline_and_totals_come_from_the_server(client, team, customer, product):
    quote = make_quote(customer)
    login_as(client, team["sales"])
    response = client.post(
        f"/quotes/{quote.id}/lines", headers=HX_LINES,
        data={"product_id": str(product.id), "quantity": "3", "unit_price": "33.33", "discount_percent": "5"},
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "94.99" in fragment
    client.post(f"/quotes/{quote.id}/lines", headers=HX_LINES,
                data={"name": "包装费", "quantity": "2.5", "unit_price": "12.35", "discount_percent": "10"})
    db.session.expire_all()
    quote = db.session.get(Quote, quote.id)
    assert (quote.amount_net, quote.amount_tax, quote.amount_gross) == (Decimal("122.78"), Decimal("15.96"), Decimal("138.74"))
    first = _lines(quote.id)[0]
    assert (first.name, first.spec, first.unit) == ("红富士苹果", "80# 10kg", "箱")


def test_adding_a_line_reads_the_catalogue_once_and_offers_it_for_the_next_line(client, team, customer, product):
    other = make_product(code="P-9001", name="库尔勒香梨")
    quote = make_quote(customer)
    login_as(client, team["sales"])
    # Read before counting: the test's own objects are expired by its commits.
    quote_id, offered = quote.id, [(item.id, item.code) for item in (product, other)]
    with count_statements("FROM products") as catalogue_reads:
        response = client.post(f"/quotes/{quote_id}/lines", headers=HX_LINES,
                               data={"product_id": str(offered[0][0]), "quantity": "1", "unit_price": "10"})
    assert response.status_code == 200
    assert catalogue_reads[0] == 1
    # The empty form for the next line lists both products, none of them chosen.
    fragment = response.get_data(as_text=True)
    for product_id, code in offered:
        assert re.search(rf'<option value="{product_id}">{code} ', fragment), code


def test_a_line_without_a_price_takes_the_list_price(client, team, customer, product):
    quote = make_quote(customer)
    login_as(client, team["sales"])
    assert client.post(f"/quotes/{quote.id}/lines", data={"product_id": str(product.id), "quantity": "10"}).status_code == 303
    assert _lines(quote.id)[0].amount == Decimal("1280.00")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"quantity": "0"}, "The quantity must be more than zero."),
        ({"quantity": "-1"}, "The quantity must be more than zero."),
        ({"unit_price": "12.345"}, None),
        ({"unit_price": "10000000000"}, None),
        ({"unit_price": "-5"}, "A price cannot be negative."),
        ({"discount_percent": "101"}, "The discount is a percentage from 0 to 100."),
        ({"name": "", "product_id": "0"}, "Pick a product or describe the item."),
        ({"product_id": "99999999999999999999"}, None),
        ({"unit_price": ""}, "Enter the unit price."),
    ],
)
def test_a_bad_line_is_refused_beside_the_field(client, team, customer, fields, message):
    quote = make_quote(customer)
    login_as(client, team["sales"])
    data = {"name": "苹果", "quantity": "1", "unit_price": "10", "discount_percent": "0", **fields}
    response = client.post(f"/quotes/{quote.id}/lines", headers=HX_LINES, data=data)
    assert response.status_code == 422 and _lines(quote.id) == []
    if message:
        assert message in response.get_data(as_text=True)


def test_an_inactive_product_cannot_be_put_on_a_quote(client, team, customer):
    retired = make_product(code="OLD-1", name="停产品", active=False)
    quote = make_quote(customer)
    login_as(client, team["sales"])
    response = client.post(f"/quotes/{quote.id}/lines", data={"product_id": str(retired.id), "quantity": "1"})
    assert response.status_code == 422 and _lines(quote.id) == []


def test_a_line_is_changed_and_removed_with_the_totals_following(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "10", "10.00", "0"), ("香蕉", "1", "5.00", "0")])
    apple, banana = _lines(quote.id)
    login_as(client, team["sales"])
    edit_form = client.get(f"/quotes/{quote.id}/lines/{apple.id}/edit", headers=HX_LINES).get_data(as_text=True)
    assert "Save line" in edit_form
    saved = client.post(f"/quotes/{quote.id}/lines/{apple.id}/edit",
                        data={"product_id": "0", "name": "苹果", "quantity": "20", "unit_price": "10", "discount_percent": "0"})
    assert saved.status_code == 303
    assert "Remove “香蕉”" in client.get(f"/quotes/{quote.id}/lines/{banana.id}/remove").get_data(as_text=True)
    client.post(f"/quotes/{quote.id}/lines/{banana.id}/remove")
    db.session.expire_all()
    quote = db.session.get(Quote, quote.id)
    assert [line.name for line in _lines(quote.id)] == ["苹果"] and quote.amount_net == Decimal("200.00")
    assert db.session.get(QuoteLine, banana.id).archived_at is not None  # kept, archived


def test_a_stale_header_edit_is_refused(client, team, customer):
    quote = make_quote(customer)
    login_as(client, team["sales"])
    old_version = quote.version
    assert client.post(f"/quotes/{quote.id}/edit", data=_header(notes="先保存", version=str(old_version))).status_code == 303
    response = client.post(f"/quotes/{quote.id}/edit", data=_header(notes="过期表单", version=str(old_version)))
    assert response.status_code == 409 and db.session.get(Quote, quote.id).notes == "先保存"


# --- status flow -----------------------------------------------------------------------------------


def test_a_sent_quote_is_changed_only_through_a_revision(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "10", "10.00", "0")])
    login_as(client, team["sales"])
    assert client.post(f"/quotes/{quote.id}/send").status_code == 303
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status == "sent"
    client.post(f"/quotes/{quote.id}/lines", data={"name": "梨", "quantity": "1", "unit_price": "1"})
    assert len(_lines(quote.id)) == 1  # refused
    response = client.post(f"/quotes/{quote.id}/revise")
    revision = db.session.scalar(select(Quote).where(Quote.previous_id == quote.id))
    assert response.headers["Location"].endswith(f"/quotes/{revision.id}")
    assert revision.number == quote.number + "-R2" and revision.status == "draft" and revision.is_latest
    assert [line.name for line in _lines(revision.id)] == ["苹果"] and revision.amount_gross == quote.amount_gross
    assert db.session.get(Quote, quote.id).is_latest is False
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert revision.number in page and "Superseded" in page


def test_a_draft_is_archived_after_confirmation_and_a_sent_quote_is_not(client, team, customer):
    draft = make_quote(customer)
    sent = make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="sent")
    login_as(client, team["sales"])
    assert client.get(f"/quotes/{draft.id}/archive").status_code == 200
    assert db.session.get(Quote, draft.id).archived_at is None
    assert client.post(f"/quotes/{draft.id}/archive").status_code == 303
    assert db.session.get(Quote, draft.id).archived_at is not None
    assert client.get(f"/quotes/{draft.id}").status_code == 404
    client.post(f"/quotes/{sent.id}/archive")
    assert db.session.get(Quote, sent.id).archived_at is None


def test_a_draft_without_lines_cannot_be_sent(client, team, customer):
    quote = make_quote(customer)
    login_as(client, team["sales"])
    client.post(f"/quotes/{quote.id}/send")
    assert db.session.get(Quote, quote.id).status == "draft"


def test_won_moves_the_customer_to_signed_and_cannot_happen_twice(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "10", "10.00", "0")], status="sent")
    login_as(client, team["sales"])
    today = company_today().isoformat()
    assert client.post(f"/quotes/{quote.id}/won", data={"decided_on": today}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Quote, quote.id).status == "won"
    assert db.session.get(Customer, customer.id).stage == Stage.SIGNED.value
    client.post(f"/quotes/{quote.id}/lost", data={"lost_on": today})
    assert db.session.get(Quote, quote.id).status == "won"


def test_only_the_newest_revision_is_decided(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="sent")
    login_as(client, team["sales"])
    client.post(f"/quotes/{quote.id}/revise")
    client.post(f"/quotes/{quote.id}/won", data={"decided_on": company_today().isoformat()})
    assert db.session.get(Quote, quote.id).status == "sent"


def test_lost_records_the_reason_and_a_typed_competitor_in_one_step(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "10", "10.00", "0")], status="sent")
    reasons = _reasons()
    login_as(client, team["sales"])
    response = client.post(f"/quotes/{quote.id}/lost", data={
        "lost_on": company_today().isoformat(), "reason_id": str(reasons["价格"]), "competitor_id": "0",
        "new_competitor": "鲜农达", "competitor_model": "二级果", "competitor_price": "99.50", "details": "对方便宜一成",
    })
    assert response.status_code == 303
    lost_order = db.session.scalar(select(LostOrder))
    assert lost_order.quote_id == quote.id and lost_order.competitor.name == "鲜农达"
    assert lost_order.amount == Decimal("113.00") and lost_order.competitor_price == Decimal("99.50")
    assert lost_order.owner_id == team["sales"].id and lost_order.department_id == team["fruit"].id
    assert db.session.get(Quote, quote.id).status == "lost"


def test_lost_without_a_reason_or_competitor_is_refused(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "10", "10.00", "0")], status="sent")
    reasons = _reasons()
    login_as(client, team["sales"])
    today = company_today().isoformat()
    no_reason = client.post(f"/quotes/{quote.id}/lost", data={"lost_on": today, "reason_id": "0", "new_competitor": "甲"})
    assert no_reason.status_code == 422 and "Choose the reason the order was lost." in no_reason.get_data(as_text=True)
    no_competitor = client.post(f"/quotes/{quote.id}/lost", data={"lost_on": today, "reason_id": str(reasons["价格"])})
    assert no_competitor.status_code == 422 and "Choose the competitor that won" in no_competitor.get_data(as_text=True)
    assert db.session.scalar(select(LostOrder)) is None and db.session.get(Quote, quote.id).status == "sent"


def test_a_cancelled_demand_needs_no_competitor(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="sent")
    reasons = _reasons()
    login_as(client, team["sales"])
    client.post(f"/quotes/{quote.id}/lost", data={"lost_on": company_today().isoformat(), "reason_id": str(reasons["需求取消"])})
    lost_order = db.session.scalar(select(LostOrder))
    assert lost_order is not None and lost_order.competitor_id is None


def test_a_typed_competitor_name_reuses_the_existing_one(client, team, customer):
    existing = make_competitor("Fresh Co")
    quote = make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="sent")
    reasons = _reasons()
    login_as(client, team["sales"])
    client.post(f"/quotes/{quote.id}/lost", data={
        "lost_on": company_today().isoformat(), "reason_id": str(reasons["质量"]), "new_competitor": "fresh co"})
    assert db.session.scalar(select(LostOrder)).competitor_id == existing.id
    assert len(db.session.scalars(select(Competitor)).all()) == 1


def test_the_administrator_adds_a_competitor_once(client, team):
    login_as(client, team["admin"])
    assert client.post("/competitors/", data={"name": "鲜农达"}).status_code == 303
    again = client.post("/competitors/", data={"name": "鲜农达"})
    assert again.status_code == 422 and "This competitor is in the list already." in again.get_data(as_text=True)
    assert [c.name for c in db.session.scalars(select(Competitor))] == ["鲜农达"]


def test_merging_a_competitor_moves_its_lost_orders(client, team, customer):
    keep, typo = make_competitor("佳沛果业"), make_competitor("佳沛")
    quote = make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="lost")
    reasons = _reasons()
    db.session.add(LostOrder(customer_id=customer.id, quote_id=quote.id, owner_id=customer.owner_id,
                             department_id=customer.department_id, lost_on=company_today(),
                             reason_id=reasons["价格"], competitor_id=typo.id))
    db.session.commit()
    login_as(client, team["admin"])
    assert client.post(f"/competitors/{typo.id}/merge", data={"into": str(keep.id)}).status_code == 303
    assert db.session.scalar(select(LostOrder)).competitor_id == keep.id
    assert db.session.get(Competitor, typo.id).merged_into_id == keep.id
    assert client.post(f"/competitors/{keep.id}/merge", data={"into": "99999999999999"}).status_code == 422


# --- expiry, lists, print, other pages --------------------------------------------------------------


def test_a_quote_past_its_valid_date_shows_as_expired_everywhere(client, team, customer):
    old = make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="sent",
                     quote_date=company_today() - timedelta(days=40), valid_days=30)
    fresh = make_quote(customer, lines=[("梨", "1", "1.00", "0")], status="sent")
    login_as(client, team["sales"])
    expired_list = client.get("/quotes/?status=expired").get_data(as_text=True)
    sent_list = client.get("/quotes/?status=sent").get_data(as_text=True)
    assert old.number in expired_list and fresh.number not in expired_list
    assert fresh.number in sent_list and old.number not in sent_list
    assert "Expired" in client.get(f"/quotes/{old.id}").get_data(as_text=True)


def test_the_list_filters_and_totals_what_it_shows(client, team, customer, product):
    first = make_quote(customer, lines=[("苹果", "1", "100.00", "0")])
    make_quote(customer, lines=[("梨", "1", "1000.00", "0")])
    other = new_customer(team["colleague"], name="同事的客户")
    make_quote(other, lines=[("桃", "1", "5.00", "0")])
    login_as(client, team["sales"])
    page = client.get("/quotes/", headers={"HX-Request": "true", "HX-Target": "quote-rows"}).get_data(as_text=True)
    assert "2 quotes" in page and "1,243.00" in page and "同事的客户" not in page
    assert f'<a href="/quotes/{first.id}">{first.number}</a>' in page and "Draft" in page
    filtered = client.get("/quotes/?min=500&max=2000").get_data(as_text=True)
    assert "1 quote" in filtered and "1,130.00" in filtered
    assert client.get("/quotes/?min=abc&from=2026-99-99&owner=99999999999999").status_code == 200
    login_as(client, team["head"])
    assert "3 quotes" in client.get("/quotes/").get_data(as_text=True)


def test_the_print_view_carries_company_customer_and_the_amount_in_words(client, team, customer):
    from portal.company_settings import set_setting

    set_setting("company.name", "深圳鲜果供应链有限公司")
    set_setting("company.tax_number", "91440300MA5F8K2X3L")
    db.session.commit()
    quote = make_quote(customer, lines=[("苹果", "3", "33.33", "5"), ("包装费", "2.5", "12.35", "10")])
    login_as(client, team["sales"])
    page = client.get(f"/quotes/{quote.id}/print").get_data(as_text=True)
    assert "深圳鲜果供应链有限公司" in page and "华联超市" in page and "壹佰叁拾捌元柒角肆分" in page
    assert "91440300MA5F8K2X3L" in page
    assert "<nav" not in page


def test_the_pdf_embeds_a_font_subset_and_its_text_reads_back(client, team, customer):
    import io

    from pypdf import PdfReader

    quote = make_quote(customer, lines=[("苹果", "3", "33.33", "5"), ("包装费", "2.5", "12.35", "10")])
    login_as(client, team["sales"])
    response = client.get(f"/quotes/{quote.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "华联超市" in text and "壹佰叁拾捌元柒角肆分" in text and quote.number in text and "138.74" in text
    fonts = [font.get_object()["/BaseFont"] for font in reader.pages[0]["/Resources"]["/Font"].values()]
    # Subsets are named ABCDEF+Name; the whole CJK font alone is 3.4 MB.
    assert any("DroidSansFallback" in name and "+" in name for name in fonts)
    assert len(response.data) < 200_000


def test_the_customer_page_lists_its_quotes(client, team, customer):
    quote = make_quote(customer, lines=[("苹果", "1", "1.00", "0")])
    login_as(client, team["sales"])
    page = customer_panels(client, customer.id)
    assert quote.number in page and f"/quotes/new/{customer.id}" in page


def test_my_day_shows_expiring_and_quiet_quotes(client, team, customer):
    from portal.database import utcnow

    expiring = make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="sent", valid_days=3)
    quiet = make_quote(customer, lines=[("梨", "1", "1.00", "0")], status="sent", valid_days=30,
                       sent_at=utcnow() - timedelta(days=9))
    login_as(client, team["sales"])
    page = my_day_page(client)
    assert expiring.number in page and quiet.number in page
    login_as(client, team["outsider"])
    assert expiring.number not in my_day_page(client)


def test_my_day_counts_every_expiring_quote_and_lists_the_first(client, team, customer):
    from portal.reminders import LIST_LIMIT

    quotes = [make_quote(customer, lines=[("苹果", "1", "1.00", "0")], status="sent", valid_days=1 + number % 5)
              for number in range(LIST_LIMIT + 2)]
    login_as(client, team["sales"])
    page = my_day_page(client)
    expiring = page[page.index("Expiring within 7 days"):page.index("Sent, no follow-up")]
    assert f'<span class="badge due">{LIST_LIMIT + 2}</span>' in expiring
    assert expiring.count("<li>") == LIST_LIMIT
    assert f"Showing the first {LIST_LIMIT} of {LIST_LIMIT + 2}." in expiring and 'href="/quotes/"' in expiring
    latest = max(quotes, key=lambda quote: (quote.valid_until, quote.id))
    assert latest.number not in expiring  # soonest expiry first


def test_unit_costs_are_shown_to_heads_and_admin_only(client, team, product):
    for role, sees in (("sales", False), ("hr", False), ("head", True), ("admin", True)):
        login_as(client, team[role])
        page = client.get("/products/?q=苹果").get_data(as_text=True)
        assert "红富士苹果" in page and ("96.00" in page) is sees


def test_heads_maintain_the_catalogue_with_unique_codes(client, team, product):
    login_as(client, team["head"])
    data = {"code": "sg-001", "name": "重复", "list_price": "1", "category_id": "0", "active": "y", "version": "1"}
    response = client.post("/products/new", data=data)
    assert response.status_code == 422 and "Another product has this code." in response.get_data(as_text=True)
    assert client.post("/products/new", data={**data, "code": "SG-002", "name": "赣南脐橙"}).status_code == 303
    assert db.session.scalar(select(Product).where(Product.code == "SG-002")).search_text.startswith("sg-002")
    login_as(client, team["sales"])
    assert client.post("/products/new", data={**data, "code": "SG-003"}).status_code == 403
