"""Performance pages through the routes: who sees what, ranking, previous period, drill-down,
targets, the HR sheet and its workbook (no customer names anywhere for HR)."""
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from conftest import chart_data, login_as
from contracts_factories import make_contract
from customer_factories import new_customer
from followups_factories import make_team
from portal.extensions import db
from portal.models import AuditEntry, SalesTarget
from portal.rules.followups import company_today
from quotes_factories import make_quote

D = Decimal


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def sales_data(team):
    """This month: 刘洋 signs 3,390.00 and wins 1 of 2 decided quotes; 陈静 signs 1,130.00;
    赵敏 (the other department) signs 2,260.00. Last month 刘洋 signed 1,130.00."""
    today = company_today()
    first = today.replace(day=1)
    mine = new_customer(team["sales"], name="华联超市", phone="021-88886666", address="上海市徐汇区")
    theirs = new_customer(team["colleague"], name="家乐福")
    other = new_customer(team["outsider"], name="沃尔玛")
    make_contract(mine, signed_on=first, lines=[("苹果", "30", "100")])
    make_contract(mine, signed_on=first - timedelta(days=3))
    make_contract(theirs, signed_on=first)
    make_contract(other, signed_on=first, lines=[("梨", "20", "100")])
    make_quote(mine, lines=[("苹果", "1", "10", "0")], status="won", quote_date=first, decided_on=first)
    make_quote(mine, lines=[("苹果", "1", "10", "0")], status="lost", quote_date=first, decided_on=first)
    db.session.add(SalesTarget(user_id=team["sales"].id, year=first.year, month=first.month, amount=D("10000")))
    db.session.commit()
    return {"first": first}


def test_a_salesperson_sees_only_their_own_figures(client, team, sales_data):
    login_as(client, team["sales"])
    page = client.get("/performance/").get_data(as_text=True)
    assert "My performance" in page and "3,390.00" in page and "1,130.00" in page  # this month, previous month
    assert "50.0 %" in page and "33.9 %" in page  # close rate; 3,390 of the 10,000 target
    assert "陈静" not in page and "赵敏" not in page and "2,260.00" not in page
    assert client.get(f"/performance/?department={team['veg'].id}").status_code == 200  # ignored for a salesperson


def test_the_twelve_month_trends_carry_the_target_and_drill_down(client, team, sales_data):
    login_as(client, team["sales"])
    first = sales_data["first"]
    amount, close_rate = chart_data(client.get("/performance/").get_data(as_text=True))
    assert len(amount["categories"]) == 12 and amount["categories"][-1] == first.strftime("%Y-%m")
    deal, target = amount["series"]
    assert (deal["kind"], deal["unit"], deal["values"][-1]) == ("bar", "money", 3390.0)
    assert (target["kind"], target["dashed"], target["values"][-1], target["values"][-2]) == ("line", True, 10000.0, 0.0)
    assert close_rate["max"] == 100 and close_rate["series"][0]["values"][-1] == 50.0
    assert close_rate["series"][0]["values"][0] is None  # nothing decided: a gap, not 0 %
    # A month opens the salesperson's contracts and won quotes of that month, as the table's cells do.
    assert amount["links"][-1] == f"/contracts/?from={first}&to={(first + timedelta(days=32)).replace(day=1) - timedelta(days=1)}&owner={team['sales'].id}"
    assert "3,390.00" in client.get(amount["links"][-1]).get_data(as_text=True)
    assert f"decided_from={first}" in close_rate["links"][-1] and "status=won" in close_rate["links"][-1]
    # A head's lists are the department's, as the team's trend; the administrator's lists hold every
    # department, so a department's trend opens none; HR opens no record.
    login_as(client, team["head"])
    amount, _close_rate = chart_data(client.get("/performance/").get_data(as_text=True))
    assert amount["series"][0]["values"][-1] == 4520.0 and amount["links"][-1].startswith("/contracts/?from=")
    for who, url in (("admin", f"/performance/?department={team['fruit'].id}"), ("hr", "/performance/")):
        login_as(client, team[who])
        assert all("links" not in one for one in chart_data(client.get(url).get_data(as_text=True))), who
    login_as(client, team["admin"])
    assert all("links" in one for one in chart_data(client.get("/performance/").get_data(as_text=True)))


def test_a_head_ranks_the_team_and_drills_down(client, team, sales_data):
    login_as(client, team["head"])
    page = client.get("/performance/").get_data(as_text=True)
    assert page.index("刘洋") < page.index("陈静") and "赵敏" not in page and "4,520.00" in page
    assert f"owner={team['sales'].id}" in page and "/contracts/?" in page and "decided_from=" in page
    assert client.get(f"/performance/?department={team['veg'].id}").status_code == 404


def test_the_drill_down_lists_the_records_behind_a_figure(client, team, sales_data):
    login_as(client, team["head"])
    first = sales_data["first"]
    page = client.get(f"/contracts/?owner={team['sales'].id}&from={first}&to={first.replace(day=28) + timedelta(days=4)}").get_data(as_text=True)
    assert "3,390.00" in page and "1 contract" in page


def test_admin_and_hr_see_every_department_and_hr_sees_no_customer(client, team, sales_data):
    for who in ("admin", "hr"):
        login_as(client, team[who])
        page = client.get("/performance/").get_data(as_text=True)
        assert "水果部" in page and "蔬菜部" in page and "6,780.00" in page, who
        team_page = client.get(f"/performance/?department={team['veg'].id}").get_data(as_text=True)
        assert "赵敏" in team_page and "2,260.00" in team_page
    for url in ("/performance/", f"/performance/?department={team['fruit'].id}", "/performance/sheet"):
        page = client.get(url).get_data(as_text=True)
        assert "华联超市" not in page and "021-88886666" not in page and "上海市徐汇区" not in page
        assert "/contracts/" not in page and "/quotes/" not in page  # HR's drill-down stops at counts


def test_hr_lands_on_performance_after_login(client, team):
    login_as(client, team["hr"])
    assert client.get("/").headers["Location"].endswith("/performance/")


def test_a_custom_period_that_ends_before_it_starts_is_refused(client, team):
    login_as(client, team["head"])
    response = client.get("/performance/?kind=custom&start=2026-05-01&end=2026-04-01")
    assert response.status_code == 422 and "The period cannot end before it starts." in response.get_data(as_text=True)


def test_the_sheet_and_its_workbook_match(client, team, sales_data):
    login_as(client, team["hr"])
    page = client.get("/performance/sheet").get_data(as_text=True)
    assert "刘洋" in page and "赵敏" in page and "4,520.00" in page
    response = client.get("/performance/sheet.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[1:] == ["水果部", "蔬菜部"]
    fruit = book["水果部"]
    assert "水果部" in fruit["A1"].value and fruit.freeze_panes == "B4"
    assert fruit.page_setup.orientation == "landscape" and fruit.page_setup.fitToWidth == 1
    rows = {row[0]: row for row in fruit.iter_rows(min_row=4, values_only=True)}
    headers = [cell.value for cell in fruit[3]]
    deal = headers.index("Deal amount")
    assert rows["刘洋"][deal] == 3390 and rows["陈静"][deal] == 1130 and rows["Total"][deal] == 4520
    assert fruit.cell(row=4, column=deal + 1).number_format == "#,##0.00"
    close = headers.index("Close rate")
    assert fruit.cell(row=4, column=close + 1).number_format == "0.0%"
    assert {rows["刘洋"][close], rows["陈静"][close]} == {0.5, "—"}
    summary = book.worksheets[0]
    totals = {row[0]: row for row in summary.iter_rows(min_row=4, values_only=True)}
    assert totals["Total"][deal] == 6780
    text = " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row)
    assert "华联超市" not in text and "021-88886666" not in text


def test_a_head_sees_the_own_department_sheet_only(client, team, sales_data):
    login_as(client, team["head"])
    book = load_workbook(io.BytesIO(client.get("/performance/sheet.xlsx").data))
    assert book.sheetnames[1:] == ["水果部"]
    assert client.get(f"/performance/sheet?department={team['veg'].id}").status_code == 404


def _cell(person, month):
    return f"t-{person.id}-{month}"


def test_targets_are_set_in_a_grid_and_derive_quarters(client, team):
    login_as(client, team["head"])
    year = company_today().year
    page = client.get(f"/performance/targets?year={year}").get_data(as_text=True)
    assert "刘洋" in page and "陈静" in page and "赵敏" not in page
    data = {_cell(team["sales"], month): "10000" for month in (1, 2, 3)}
    data[_cell(team["colleague"], 1)] = "5,000.50"
    data[_cell(team["outsider"], 1)] = "99999"  # another department: ignored
    assert client.post(f"/performance/targets?year={year}", data=data).status_code == 303
    saved = db.session.execute(select(SalesTarget.user_id, func.sum(SalesTarget.amount)).group_by(SalesTarget.user_id)).all()
    assert dict(saved) == {team["sales"].id: D("30000.00"), team["colleague"].id: D("5000.50")}
    login_as(client, team["sales"])
    quarter = client.get(f"/performance/?kind=quarter&on={year}-02-10").get_data(as_text=True)
    assert "30,000.00" in quarter


@pytest.mark.parametrize("value", ["-5", "abc", "1e400", "12.345"])
def test_a_bad_target_saves_nothing(client, team, value):
    login_as(client, team["admin"])
    year = company_today().year
    data = {_cell(team["sales"], 1): "100", _cell(team["sales"], 2): value}
    response = client.post(f"/performance/targets?year={year}", data=data)
    assert response.status_code == 422 and "nothing was saved" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SalesTarget)) == 0


def test_clearing_a_target_archives_it(client, team):
    login_as(client, team["admin"])
    year = company_today().year
    client.post(f"/performance/targets?year={year}", data={_cell(team["sales"], 1): "100"})
    client.post(f"/performance/targets?year={year}", data={_cell(team["sales"], 1): ""})
    target = db.session.scalar(select(SalesTarget))
    assert target.archived_at is not None


def _grid_value(page: str, person, month) -> str:
    match = re.search(rf'name="{_cell(person, month)}" value="([^"]*)"', page)
    return match.group(1)


def test_a_cell_can_be_set_changed_zeroed_cleared_and_set_again(client, team):
    login_as(client, team["admin"])
    year = company_today().year
    url = f"/performance/targets?year={year}"
    for text, shown in [("5000", "5000.00"), ("0", "0.00"), ("6000", "6000.00"), ("", ""), ("7000", "7000.00"),
                        ("", ""), ("", ""), ("0", "0.00"), ("7000", "7000.00")]:
        assert client.post(url, data={_cell(team["sales"], 1): text}).status_code == 303, text
        page = client.get(url).get_data(as_text=True)
        assert _grid_value(page, team["sales"], 1) == shown, text
    target = db.session.scalar(select(SalesTarget))  # one row, revived each time, never a second one
    assert db.session.scalar(select(func.count()).select_from(SalesTarget)) == 1
    assert target.amount == D("7000.00") and target.archived_at is None
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.record_type == "sales_targets")
                                 .order_by(AuditEntry.id)).all()
    assert actions.count("restore") == 2 and actions.count("archive") == 2


def test_a_target_of_zero_is_kept_and_shows_no_attainment(client, team):
    login_as(client, team["admin"])
    today = company_today()
    client.post(f"/performance/targets?year={today.year}", data={_cell(team["sales"], today.month): "0"})
    target = db.session.scalar(select(SalesTarget))
    assert target.amount == D("0.00") and target.archived_at is None
    page = client.get(f"/performance/targets?year={today.year}").get_data(as_text=True)
    assert "0 is a target of zero" in page


def test_a_cell_someone_else_saved_a_moment_before_answers_a_message_not_an_error(client, team, monkeypatch):
    from portal.blueprints.performance import routes

    login_as(client, team["admin"])
    year = company_today().year
    original = routes.apply_target

    def racing(target, key, year, amount):  # another administrator's save of the same new cell lands first
        original(target, key, year, amount)
        if target is None and amount is not None:
            db.session.add(SalesTarget(user_id=key[0], year=year, month=key[1], amount=D("1")))

    monkeypatch.setattr(routes, "apply_target", racing)
    response = client.post(f"/performance/targets?year={year}", data={_cell(team["sales"], 1): "100"}, follow_redirects=True)
    assert response.status_code == 200 and "Someone else saved targets" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SalesTarget)) == 0
    monkeypatch.setattr(routes, "apply_target", original)
    assert client.post(f"/performance/targets?year={year}", data={_cell(team["sales"], 1): "100"}).status_code == 303


def test_a_period_over_five_years_is_refused(client, team):
    login_as(client, team["hr"])
    response = client.get("/performance/sheet?kind=custom&start=2020-01-01&end=2025-01-02")
    assert response.status_code == 422 and "The period can be at most 5 years." in response.get_data(as_text=True)
    assert client.get("/performance/sheet?kind=custom&start=2020-01-01&end=2025-01-01").status_code == 200


def test_hr_cannot_open_customer_records_or_lists_with_contacts(client, team, sales_data):
    login_as(client, team["hr"])
    customer_id = db.session.scalar(select(func.min(SalesTarget.user_id)))  # any id: HR gets no customer
    assert client.get(f"/customers/{customer_id}").status_code in (403, 404)
    for url in ("/customers/", "/contracts/", "/quotes/", "/payments/"):
        assert client.get(url).status_code == 403, url


def test_edge_cases_of_the_period(client, team, make_user):
    """A quote decided on the last day of the month counts in it, a contract signed on the first of
    the next does not; a salesperson who joined mid-month has the figures since; an empty period
    and a department without salespeople show dashes and zeros, not errors."""
    from portal.models import Department

    customer = new_customer(team["sales"], name="华联超市")
    make_quote(customer, lines=[("苹果", "1", "100", "0")], status="won", quote_date=date(2026, 10, 20), decided_on=date(2026, 10, 31))
    make_contract(customer, signed_on=date(2026, 11, 1))
    newcomer = make_user("sales", team["fruit"], display_name="新人")
    make_contract(new_customer(newcomer, name="新客户"), signed_on=date(2026, 10, 25))
    empty = Department(name="空部门")
    db.session.add(empty)
    db.session.commit()
    login_as(client, team["hr"])
    page = client.get("/performance/sheet?kind=month&on=2026-10-15").get_data(as_text=True)
    assert "新人" in page and "空部门" in page and "100.0 %" in page
    book = load_workbook(io.BytesIO(client.get("/performance/sheet.xlsx?kind=month&on=2026-10-15").data))
    fruit = {row[0]: row for row in book["水果部"].iter_rows(min_row=4, values_only=True)}
    headers = [cell.value for cell in book["水果部"][3]]
    assert fruit["刘洋"][headers.index("Won")] == 1 and fruit["刘洋"][headers.index("Deal amount")] == 0
    assert fruit["新人"][headers.index("Deal amount")] == 1130
    assert [row[0] for row in book["空部门"].iter_rows(min_row=4, values_only=True)] == ["Total"]
    quiet = client.get("/performance/?kind=month&on=2020-01-15").get_data(as_text=True)
    assert "—" in quiet and "0.00" in quiet


def test_a_running_period_stops_today_and_says_so(client, team):
    """This year's page: no week after this one, the last week and the period "to date"; a year
    already ended is shown whole."""
    today = company_today()
    login_as(client, team["head"])
    page = client.get(f"/performance/?kind=year&on={today.isoformat()}").get_data(as_text=True)
    this_week = today - timedelta(days=today.weekday())
    assert f"{this_week.isoformat()} – {today.isoformat()} (to date)" in page
    assert (this_week + timedelta(days=7)).isoformat() not in page
    assert f"{today.year}-01-01 to {today.isoformat()} (to date), compared with" in page and "This period, to date" in page
    # Two years back: last year's week table ends with the week of its 31 December, which is still
    # running (and rightly "to date") on the first days of January.
    ended = today.year - 2
    page = client.get(f"/performance/?kind=year&on={ended}-06-01").get_data(as_text=True)
    assert f"{ended}-01-01 to {ended}-12-31, compared with" in page
    assert "(to date)" not in page and "This period, to date" not in page
    login_as(client, team["hr"])
    page = client.get("/performance/sheet").get_data(as_text=True)
    assert f"{today.replace(day=1).isoformat()} to {today.isoformat()} (to date)" in page
    workbook = load_workbook(io.BytesIO(client.get("/performance/sheet.xlsx").data))
    assert f"{today.replace(day=1).isoformat()} — {today.isoformat()} (to date)" in workbook.active["A1"].value


def test_collected_and_the_collection_rate_side_by_side(client, team, sales_data):
    """刘洋 signs 3,390.00 this month and collects 1,695.00 of it: 回款额 1,695.00, 回款率 50.0 %, on
    the team page, the sheet and its workbook."""
    first = sales_data["first"]
    customer = new_customer(team["sales"], name="盒马")
    make_contract(customer, signed_on=first - timedelta(days=40), lines=[("苹果", "15", "100")], payments=[(first, "1695.00")])
    login_as(client, team["head"])
    page = client.get("/performance/").get_data(as_text=True)
    assert "Collection rate" in page and "1,695.00" in page and "50.0 %" in page
    login_as(client, team["hr"])
    page = client.get("/performance/sheet").get_data(as_text=True)
    assert "Collection rate" in page and "1,695.00" in page
    fruit = load_workbook(io.BytesIO(client.get("/performance/sheet.xlsx").data))["水果部"]
    headers = [cell.value for cell in fruit[3]]
    rows = {row[0]: row for row in fruit.iter_rows(min_row=4, values_only=True)}
    assert rows["刘洋"][headers.index("Collected")] == 1695 and rows["刘洋"][headers.index("Collection rate")] == 0.5
    assert fruit.cell(row=4, column=headers.index("Collection rate") + 1).number_format == "0.0%"
