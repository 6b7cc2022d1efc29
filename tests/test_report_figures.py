"""Report figures kept a few minutes (the team's performance page, the lost-order analysis): the
page says when they were computed, a refresh shows a write made after them, the scope is part of
what is kept; and the figures read together equal each figure read on its own."""
import io
import re
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import login_as
from contracts_factories import make_contract
from customer_factories import new_customer
from followups_factories import make_team
from portal.extensions import db
from portal.models import FollowUp, LostOrder, Role, SalesTarget
from portal.rules import lost_orders as figures
from portal.rules.followups import company_today, local_to_utc
from portal.rules.performance import salesperson_metrics, team_figures, weekly_activity
from portal.rules.periods import Period, month_period, quarter_period, week_period, year_period
from quotes_factories import make_quote
from test_lost_orders_rules import data  # noqa: F401  (the fixed lost-order data set)

D = Decimal
AS_OF = re.compile(r'Figures as of \d{4}-\d\d-\d\d \d\d:\d\d · <a href="([^"]+)">Refresh</a>')
NOVEMBER = "kind=month&on=2026-11-15"


def _summary(page: str, label: str) -> str:
    """The first figure of a summary row (this period)."""
    return re.search(rf"<tr><th>{re.escape(label)}</th><td class=\"number\">(?:<a [^>]*>)?([^<]*)<", page).group(1)


def _record_lost_order(client, data, day: str, amount: str) -> None:
    """刘洋 records an order of 丁客户 lost without a quote, through the form; the head is logged in after."""
    customer = new_customer(data["team"]["sales"], name="丁客户")
    login_as(client, data["team"]["sales"])
    form = {"lost_on": day, "reason_id": str(data["reasons"]["交期"]), "competitor_id": str(data["jiapei"].id), "amount": amount}
    assert client.post(f"/lost/new/{customer.id}", data=form).status_code == 303
    login_as(client, data["team"]["head"])


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def test_the_team_page_says_as_of_and_a_refresh_shows_a_target_saved_after(client, team):
    today = company_today()
    db.session.add(SalesTarget(user_id=team["sales"].id, year=today.year, month=today.month, amount=D("10000")))
    db.session.commit()
    login_as(client, team["head"])
    page = client.get("/performance/").get_data(as_text=True)
    refresh = AS_OF.search(page).group(1)
    assert "refresh=1" in refresh and _summary(page, "Target") == "10,000.00"
    cell = f"t-{team['sales'].id}-{today.month}"
    assert client.post(f"/performance/targets?year={today.year}", data={cell: "25000"}).status_code == 303
    # The kept figures are shown, saying when they were computed…
    kept = client.get("/performance/").get_data(as_text=True)
    assert _summary(kept, "Target") == "10,000.00" and AS_OF.search(kept)
    # …and the refresh computes them again, with the new target.
    fresh = client.get(refresh.replace("&amp;", "&")).get_data(as_text=True)
    assert _summary(fresh, "Target") == "25,000.00" and AS_OF.search(fresh)
    # The refreshed figures are the ones kept from then on.
    assert _summary(client.get("/performance/").get_data(as_text=True), "Target") == "25,000.00"


def test_the_sheet_says_as_of_a_refresh_shows_a_target_saved_after_and_the_workbook_is_fresh(client, team):
    today = company_today()
    db.session.add(SalesTarget(user_id=team["sales"].id, year=today.year, month=today.month, amount=D("10000")))
    db.session.commit()
    login_as(client, team["hr"])
    row = re.compile(r"<th>刘洋</th>(?:<td class=\"number\"[^>]*>[^<]*</td>){10}<td class=\"number\"[^>]*>([^<]*)</td>")
    page = client.get("/performance/sheet").get_data(as_text=True)
    refresh = AS_OF.search(page).group(1)
    assert "refresh=1" in refresh and row.search(page).group(1) == "10,000.00"
    # On a phone each row is a card whose figures carry their column's name.
    assert '<td class="number" data-label="Target">10,000.00</td>' in page
    login_as(client, team["head"])
    cell = f"t-{team['sales'].id}-{today.month}"
    assert client.post(f"/performance/targets?year={today.year}", data={cell: "25000"}).status_code == 303
    login_as(client, team["hr"])
    kept = client.get("/performance/sheet").get_data(as_text=True)
    assert row.search(kept).group(1) == "10,000.00" and AS_OF.search(kept)
    # The workbook is a document handed on: always computed afresh.
    book = load_workbook(io.BytesIO(client.get("/performance/sheet.xlsx").data))["水果部"]
    headers = [cell.value for cell in book[3]]
    rows = {values[0]: values for values in book.iter_rows(min_row=4, values_only=True)}
    assert rows["刘洋"][headers.index("Target")] == 25000
    fresh = client.get(refresh.replace("&amp;", "&")).get_data(as_text=True)
    assert row.search(fresh).group(1) == "25,000.00"
    assert row.search(client.get("/performance/sheet").get_data(as_text=True)).group(1) == "25,000.00"


def test_the_analysis_says_as_of_and_a_refresh_shows_an_order_lost_after(client, data):
    login_as(client, data["team"]["head"])
    page = client.get(f"/lost/analysis?{NOVEMBER}").get_data(as_text=True)
    assert _summary(page, "Amount lost") == "1,743.00" and AS_OF.search(page)
    _record_lost_order(client, data, "2026-11-20", "800")
    kept = client.get(f"/lost/analysis?{NOVEMBER}").get_data(as_text=True)
    assert _summary(kept, "Amount lost") == "1,743.00"
    # The inbox of orders to review is never kept: the new order is there at once.
    assert "丁客户" in kept
    refresh = AS_OF.search(kept).group(1).replace("&amp;", "&")
    assert "refresh=1" in refresh and "kind=month" in refresh
    fresh = client.get(refresh).get_data(as_text=True)
    assert _summary(fresh, "Amount lost") == "2,543.00" and _summary(fresh, "Lost orders") == "4"


def test_a_head_never_sees_another_departments_kept_figures(client, data, make_user):
    fruit_head = data["team"]["head"]
    veg_head = make_user(Role.HEAD, data["team"]["veg"], display_name="李娜", language="en")
    for url in (f"/lost/analysis?{NOVEMBER}", f"/performance/?{NOVEMBER}"):
        login_as(client, fruit_head)
        fruit = client.get(url).get_data(as_text=True)
        login_as(client, veg_head)
        veg = client.get(url).get_data(as_text=True)
        assert "刘洋" in fruit and "刘洋" not in veg, url
        assert "赵敏" in veg and "赵敏" not in fruit, url
    assert _summary(veg, "Quotes won / lost") == "0 / 1"  # 赵敏's order lost on 12 November
    login_as(client, data["team"]["admin"])
    everyone = client.get(f"/lost/analysis?{NOVEMBER}").get_data(as_text=True)
    assert "刘洋" in everyone and "赵敏" in everyone


def test_with_the_setting_at_zero_nothing_is_kept(app, client, data, monkeypatch):
    monkeypatch.setitem(app.config, "FIGURES_CACHE_SECONDS", 0)
    login_as(client, data["team"]["head"])
    assert _summary(client.get(f"/lost/analysis?{NOVEMBER}").get_data(as_text=True), "Lost orders") == "3"
    _record_lost_order(client, data, "2026-11-21", "100")
    assert _summary(client.get(f"/lost/analysis?{NOVEMBER}").get_data(as_text=True), "Lost orders") == "4"


# --- figures read together equal each figure read on its own ------------------------------------------


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute))).replace(tzinfo=timezone.utc)


def test_the_team_figures_equal_each_periods_metrics_and_the_weeks(team):
    sales, colleague = team["sales"], team["colleague"]
    customer = new_customer(sales, name="华联超市")
    customer.created_at = _at(date(2026, 10, 20), 10)
    for day, hour, owner in ((date(2026, 10, 31), 23, sales), (date(2026, 11, 1), 0, colleague), (date(2026, 11, 30), 23, sales),
                             (date(2026, 12, 1), 0, sales), (date(2026, 11, 16), 12, colleague)):
        new_customer(owner, name=f"客户{day}{hour}").created_at = _at(day, hour, 30)
    db.session.commit()
    kinds = ("visit", "call_out", "wechat", "call_in")
    for index in range(40):
        day = date(2026, 10, 1) + timedelta(days=index * 2)
        db.session.add(FollowUp(customer_id=customer.id, user_id=(sales, colleague)[index % 2].id, kind=kinds[index % 4],
                                happened_at=_at(day, (index * 7) % 24, 59), summary="x"))
    db.session.commit()
    for index, (status, quoted, decided) in enumerate((
        ("won", date(2026, 11, 2), date(2026, 11, 10)), ("lost", date(2026, 10, 30), date(2026, 11, 1)),
        ("lost", date(2026, 10, 3), date(2026, 10, 31)), ("sent", date(2026, 11, 30), None), ("draft", date(2026, 11, 5), None),
        ("won", date(2026, 12, 1), date(2026, 12, 2)),
    )):
        make_quote(customer, lines=[("苹果", str(index + 1), "100", "0")], status=status, quote_date=quoted, decided_on=decided)
    make_contract(customer, signed_on=date(2026, 10, 25), payments=[(date(2026, 10, 31), "100.00"), (date(2026, 11, 1), "50.00")])
    make_contract(customer, signed_on=date(2026, 11, 11), payments=[(date(2026, 11, 25), "500.00")])
    make_contract(customer, signed_on=date(2026, 11, 28), status="cancelled")
    db.session.add_all([SalesTarget(user_id=sales.id, year=2026, month=month, amount=D("3000.00")) for month in (9, 10, 11, 12)])
    db.session.commit()
    ids = [sales.id, colleague.id]
    today = date(2026, 11, 18)
    for period in (month_period(date(2026, 11, 1)), week_period(date(2026, 11, 4)), quarter_period(date(2026, 11, 1)),
                   year_period(2026), Period(date(2026, 10, 17), date(2026, 11, 20), "custom"), month_period(date(2027, 1, 1))):
        previous = period.previous()
        for day in (today, None):
            current, before, weeks, activity = team_figures(period, previous, ids, day)
            assert current == salesperson_metrics(period, ids), period
            assert before == salesperson_metrics(previous, ids), period
            expected_weeks, expected_activity = weekly_activity(period, ids, day)
            assert weeks == expected_weeks and dict(activity) == dict(expected_activity), period
    assert team_figures(month_period(date(2026, 11, 1)), month_period(date(2026, 10, 1)), [], today)[0] == {}
    without = team_figures(month_period(date(2026, 11, 1)), month_period(date(2026, 10, 1)), ids, today, with_weeks=False)
    assert without[2] == [] and not without[3]


def test_the_analysis_equals_each_figure_read_on_its_own(data):
    veg = data["team"]["veg"].id
    fruit = data["team"]["fruit"].id
    for period in (month_period(date(2026, 11, 1)), quarter_period(date(2026, 11, 1)), year_period(2026),
                   Period(date(2026, 11, 10), date(2026, 12, 5), "custom"), month_period(date(2026, 1, 1))):
        for department in (fruit, veg, None):
            found = figures.analysis(period, department)
            for dimension in figures.DIMENSIONS:
                assert found.tables[dimension] == figures.lost_by(dimension, period, department), (period, department, dimension)
            assert found.by_month_and_reason == figures.lost_by_month_and_reason(period, department)
            for by in ("month", "salesperson", "product"):
                assert found.rates[by] == figures.lost_rate(period, department, by=by), (period, department, by)
            assert found.current == figures.totals(period, department)
            assert found.before == figures.totals(period.previous(), department)
            assert found.competitor_shares == figures.competitor_share(period, department)
            assert found.gap == figures.price_gap(period, department)
            assert found.prices == figures.price_gap_by_competitor(period, department)


def test_each_review_form_of_the_inbox_posts_with_the_pages_token(client, data, csrf_on):
    head = data["team"]["head"]
    login_as(client, head)
    page = client.get(f"/lost/analysis?{NOVEMBER}").get_data(as_text=True)
    inbox = page[page.index('id="inbox"'):]
    forms = re.findall(r'<form method="post" action="(/lost/orders/(\d+)/review)" class="inline">\s*'
                       r'<input id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)">', inbox)
    assert len(forms) == 4 and len({token for _action, _id, token in forms}) == 1
    assert all(f'href="/customers/{order.customer_id}"' in inbox for order in
               db.session.scalars(select(LostOrder).where(LostOrder.department_id == data["fruit"])))
    action, order_id, token = forms[0]
    assert client.post(action, data={"csrf_token": token, "comment": "好"}).status_code == 303
    assert db.session.get(LostOrder, int(order_id)).reviewed_by_id == head.id
