"""The lost-order analysis, its drill-down and export, recording without a quote, and the head's
review, through the routes."""
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import chart_data, customer_panels, login_as
from my_day_page import my_day_page
from customer_factories import new_customer
from portal.extensions import db
from portal.models import LostOrder
from test_lost_orders_rules import data  # noqa: F401  (the fixed data set)

NOVEMBER = {"kind": "month", "on": "2026-11-15"}


def _query(**args):
    return "&".join(f"{key}={value}" for key, value in {**NOVEMBER, **args}.items())


def test_a_head_sees_the_departments_figures_and_charts(client, data):
    login_as(client, data["team"]["head"])
    response = client.get(f"/lost/analysis?{_query()}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "66.7 %" in page and "1,743.00" in page and "19.0 %" in page
    assert "丙客户" not in page
    charts = chart_data(page)
    assert len(charts) == 7
    by_reason = charts[2]
    # Bars read top-down, largest first, and each drills down to its lost orders like the table's cell.
    assert by_reason["horizontal"] and by_reason["series"][0]["unit"] == "money"
    assert by_reason["series"][0]["values"][-1] == 1630.0
    assert all("dimension=reason" in link for link in by_reason["links"])
    assert f"key={data['reasons']['价格']}" in by_reason["links"][-1]
    rate = charts[1]
    assert rate["max"] == 100 and rate["series"][0]["unit"] == "percent" and 66.7 in rate["series"][0]["values"]
    month = charts[0]
    assert month["categories"] == ["2026-11"] and all(one["stack"] == "total" for one in month["series"])
    # Our price against the competitor's: 佳沛, 2 orders where both are known, 1,630.00 against 1,400.00.
    prices = charts[6]
    assert prices["categories"] == ["佳沛"] and [one["values"] for one in prices["series"]] == [[1630.0], [1400.0]]
    assert f"dimension=competitor&amp;key={data['jiapei'].id}" in page and f"key={data['jiapei'].id}" in prices["links"][0]
    assert "19.0 %" in page


def test_a_head_cannot_look_at_another_department(client, data):
    login_as(client, data["team"]["head"])
    assert client.get(f"/lost/analysis?{_query(department=data['team']['veg'].id)}").status_code == 404


def test_salespeople_and_hr_cannot_open_the_analysis(client, data):
    for role in ("sales", "hr"):
        login_as(client, data["team"][role])
        assert client.get("/lost/analysis").status_code == 403


def test_a_period_that_ends_before_it_starts_is_refused(client, data):
    login_as(client, data["team"]["admin"])
    response = client.get("/lost/analysis?kind=custom&start=2026-11-30&end=2026-11-01")
    assert response.status_code == 422 and "The period cannot end before it starts." in response.get_data(as_text=True)


def test_the_drill_down_adds_up_to_the_figure(client, data):
    login_as(client, data["team"]["head"])
    price = data["reasons"]["价格"]
    page = client.get(f"/lost/orders?{_query(dimension='reason', key=price)}").get_data(as_text=True)
    assert "2 lost orders" in page and "1,630.00" in page and "乙客户" not in page
    assert client.get(f"/lost/orders?{_query(dimension='reason', key='x')}").status_code == 404
    assert client.get(f"/lost/orders?{_query(dimension='bogus', key='1')}").status_code == 404


def test_a_products_drill_down_adds_up_to_its_figure(client, data):
    login_as(client, data["team"]["head"])
    page = client.get(f"/lost/orders?{_query(dimension='product', key=data['apple'].id)}").get_data(as_text=True)
    assert "1 lost order" in page and "500.00" in page and "Amount for this product" in page


def test_a_salesperson_sees_only_their_own_lost_orders(client, data):
    login_as(client, data["team"]["colleague"])
    page = client.get(f"/lost/orders?{_query()}").get_data(as_text=True)
    assert "乙客户" in page and "甲客户" not in page


def test_the_export_matches_the_page(client, data):
    login_as(client, data["team"]["head"])
    response = client.get(f"/lost/analysis/export?{_query()}")
    workbook = load_workbook(io.BytesIO(response.data))
    by_reason = {row[0]: (row[1], Decimal(str(row[2]))) for row in workbook["By reason"].iter_rows(min_row=2, values_only=True)}
    assert by_reason == {"价格": (2, Decimal("1630")), "质量": (1, Decimal("113"))}
    orders = list(workbook["Lost orders"].iter_rows(min_row=2, values_only=True))
    assert len(orders) == 3 and sum(Decimal(str(row[8])) for row in orders) == Decimal("1743")


def test_an_order_lost_before_a_quote_is_recorded(client, data):
    customer = new_customer(data["team"]["sales"], name="丁客户")
    login_as(client, data["team"]["sales"])
    form = {"lost_on": "2026-11-20", "reason_id": str(data["reasons"]["交期"]), "competitor_id": str(data["jiapei"].id),
            "amount": "800", "product_id": str(data["apple"].id)}
    assert client.post(f"/lost/new/{customer.id}", data=form).status_code == 303
    lost = db.session.scalar(select(LostOrder).where(LostOrder.customer_id == customer.id))
    assert (lost.amount, lost.product_id, lost.quote_id) == (Decimal("800.00"), data["apple"].id, None)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"amount": "-5"}, "An amount cannot be negative."),
        ({"amount": ""}, "Enter the estimated amount."),
        ({"competitor_id": "0"}, "Choose the competitor that won, or type its name."),
        ({"reason_id": "0"}, "Choose the reason the order was lost."),
        ({"lost_on": "2999-01-01"}, "The date cannot be after today."),
    ],
)
def test_a_bad_lost_record_is_refused(client, data, changes, message):
    customer = new_customer(data["team"]["sales"], name="丁客户")
    login_as(client, data["team"]["sales"])
    form = {"lost_on": "2026-11-20", "reason_id": str(data["reasons"]["交期"]), "competitor_id": str(data["jiapei"].id), "amount": "800", **changes}
    response = client.post(f"/lost/new/{customer.id}", data=form)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(LostOrder).where(LostOrder.customer_id == customer.id)) is None


def test_the_head_reviews_lost_orders_from_the_inbox(client, data):
    head = data["team"]["head"]
    login_as(client, head)
    # Q2, Q3, R and December's Q4: every unreviewed one, whatever its date.
    assert "4 lost orders wait for your review." in my_day_page(client)
    first = db.session.scalar(select(LostOrder).where(LostOrder.department_id == data["fruit"]).order_by(LostOrder.id))
    assert client.post(f"/lost/orders/{first.id}/review", data={"comment": "下次早点报价"}).status_code == 303
    reviewed = db.session.get(LostOrder, first.id)
    assert reviewed.reviewed_by_id == head.id and reviewed.review_comment == "下次早点报价"
    assert "3 lost orders wait for your review." in my_day_page(client)
    login_as(client, data["team"]["sales"] if reviewed.owner_id == data["team"]["sales"].id else data["team"]["colleague"])
    assert "下次早点报价" in customer_panels(client, reviewed.customer_id)
    login_as(client, head)
    stranger = db.session.scalar(select(LostOrder).where(LostOrder.department_id != data["fruit"]))
    assert client.post(f"/lost/orders/{stranger.id}/review").status_code == 404


def test_a_signed_customer_is_lost_won_back_and_regained(client, data):
    from datetime import timedelta

    from portal.models import AuditEntry, Customer, CustomerLoss, Stage
    from portal.rules.followups import company_today
    from quotes_factories import make_quote

    customer = new_customer(data["team"]["sales"], name="戊客户", stage=Stage.SIGNED.value)
    make_quote(customer, lines=[("苹果", "1", "10", "0")], status="won", decided_on=date(2026, 3, 1))
    login_as(client, data["team"]["sales"])
    form = {"lost_on": company_today().isoformat(), "reason_id": str(data["reasons"]["价格"]), "competitor_id": str(data["jiapei"].id)}
    assert client.post(f"/lost/customers/{customer.id}/mark", data=form).status_code == 303
    assert db.session.get(Customer, customer.id).stage == Stage.LOST.value
    listing = client.get("/lost/customers/").get_data(as_text=True)
    assert "戊客户" in listing and "2026-03-01" in listing and "佳沛" in listing
    loss = db.session.scalar(select(CustomerLoss).where(CustomerLoss.customer_id == customer.id))
    assert client.post(f"/lost/customers/{loss.id}/win-back").status_code == 303
    assert db.session.get(Customer, customer.id).next_follow_up_on == company_today() + timedelta(days=1)
    assert db.session.get(CustomerLoss, loss.id).win_back_started_at is not None
    quote = make_quote(customer, lines=[("苹果", "1", "10", "0")], status="sent")
    client.post(f"/quotes/{quote.id}/won", data={"decided_on": company_today().isoformat()})
    assert db.session.get(Customer, customer.id).stage == Stage.SIGNED.value
    assert db.session.get(CustomerLoss, loss.id).regained_on == company_today()
    assert f'href="/customers/{customer.id}"' not in client.get("/lost/customers/").get_data(as_text=True)
    stages = [entry.changes.get("stage") for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_type == "customers", AuditEntry.record_id == customer.id).order_by(AuditEntry.id)
    ) if entry.changes and "stage" in entry.changes]
    # Registered signed, then lost, then signed again: the history shows both changes.
    assert [change[1] for change in stages] == [Stage.SIGNED.value, Stage.LOST.value, Stage.SIGNED.value]


def test_only_a_signed_customer_can_be_marked_lost(client, data):
    from portal.models import Customer

    customer = new_customer(data["team"]["sales"], name="己客户")  # potential
    login_as(client, data["team"]["sales"])
    client.post(f"/lost/customers/{customer.id}/mark", data={"lost_on": "2026-11-01", "reason_id": str(data["reasons"]["价格"]), "new_competitor": "某公司"})
    assert db.session.get(Customer, customer.id).stage == "potential"


def test_a_year_not_ended_lists_no_month_after_this_one(client, data):
    from datetime import timedelta

    from portal.rules.followups import company_today

    today = company_today()
    login_as(client, data["team"]["head"])
    page = client.get(f"/lost/analysis?kind=year&on={today.isoformat()}").get_data(as_text=True)
    months = re.findall(r"<tr><td>(\d{4}-\d\d)</td>", page)
    assert months and months[-1] == today.strftime("%Y-%m") and len(months) == today.month
    assert (today.replace(day=28) + timedelta(days=5)).strftime("%Y-%m") not in page
    assert "This period, to date" in page and f"{today.year}-01-01 to {today.isoformat()} (to date)" in page
    page = client.get(f"/lost/analysis?{_query()}").get_data(as_text=True)
    assert "(to date)" not in page and "2026-11-01 to 2026-11-30, compared with" in page
