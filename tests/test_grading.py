"""Grading, churn warnings and staffing through the routes and the commands, on a fixed data set."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from conftest import chart_data, login_as
from my_day_page import my_day_page
from contracts_factories import make_contract
from customer_factories import new_customer
from followups_factories import make_team
from portal.extensions import db
from portal.models import AuditEntry, ChurnDismissal, ChurnFlag, ContractLine, Customer, Product
from portal.rules.followups import company_today
from quotes_factories import make_product

D = Decimal


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def graded_data(team):
    """Revenue without tax over the last year: 大客户 8,000 (80 % of 10,000: A), 中客户 1,000 and
    小客户 1,000 (a tie, B); 外部门 none. Margins: 大客户 sold 4 units at a unit cost of 100 recorded at
    the sale (the product's cost rose to 1,999 afterwards): (8,000 − 400) ÷ 4 = 1,900 a unit → AA."""
    today = company_today()
    product = make_product(code="TV-1", name="冷柜", price="2000.00", cost="100.00")
    big = new_customer(team["sales"], name="大客户", stage="signed")
    middle = new_customer(team["sales"], name="中客户", stage="signed")
    small = new_customer(team["colleague"], name="小客户", stage="signed")
    contract = make_contract(big, lines=[("冷柜", "4", "2000.00")], signed_on=today - timedelta(days=30))
    line = db.session.scalar(select(ContractLine).where(ContractLine.contract_id == contract.id))
    line.product_id, line.unit_cost = product.id, D("100.00")
    make_contract(middle, lines=[("梨", "10", "100.00")], signed_on=today - timedelta(days=20))
    make_contract(small, lines=[("苹果", "10", "100.00")], signed_on=today - timedelta(days=10))
    make_contract(big, lines=[("旧单", "1", "99999")], signed_on=today - timedelta(days=400))  # outside the window
    db.session.get(Product, product.id).unit_cost = D("1999.00")
    db.session.commit()
    return {"big": big, "middle": middle, "small": small}


def _grade(customer) -> str | None:
    db.session.expire_all()
    return db.session.get(Customer, customer.id).value_grade


def test_the_command_and_the_page_agree_and_the_change_is_in_the_history(app, client, team, graded_data):
    result = app.test_cli_runner().invoke(args=["grade-customers"])
    assert result.exit_code == 0 and "graded 3 customers" in result.output
    assert (_grade(graded_data["big"]), _grade(graded_data["middle"]), _grade(graded_data["small"])) == ("AA", "BB", "BB")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.record_type == "customers", AuditEntry.action == "grading",
                                                       AuditEntry.record_id == graded_data["big"].id))
    assert entry.changes == {"value_grade": [None, "AA"]}
    login_as(client, team["admin"])
    page = client.get("/grading/").get_data(as_text=True)
    assert "80.0 %" in page and "3 customers" in page
    # The Pareto chart: a bar of revenue per customer, the cumulative share, the 80 % line, the A/B boundary.
    [pareto] = chart_data(page)
    assert pareto["categories"] == ["1", "2", "3"]
    assert [one["values"] for one in pareto["series"]] == [[8000.0, 1000.0, 1000.0], [80.0, 90.0, 100.0]]
    assert [(one["kind"], one["unit"], one["axis"]) for one in pareto["series"]] == [("bar", "money", 0), ("line", "percent", 1)]
    assert pareto["lines"] == [{"value": 80.0, "label": "80 %", "axis": 1}]
    assert pareto["marks"] == [{"category": "2", "label": "A | B"}]
    assert pareto["links"][0] == "/grading/customers?grade=AA&after=0" and "grade=BB&after=1" in pareto["links"][1]
    assert "The first customer graded B by volume is number 2." in page
    assert "中客户" in client.get(pareto["links"][1]).get_data(as_text=True)
    drill = client.get("/grading/customers?grade=BB").get_data(as_text=True)
    assert "中客户" in drill and "小客户" in drill and "大客户" not in drill
    assert "大客户" in client.get("/customers/?value=AA").get_data(as_text=True)
    client.post("/grading/recompute")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "grading")) == 3  # no change, no entry


def test_a_head_sees_the_department_and_a_salesperson_is_refused(client, team, graded_data, make_department, make_user):
    login_as(client, team["head"])
    client.post("/grading/recompute")
    page = client.get("/grading/customers?grade=BB").get_data(as_text=True)
    assert "中客户" in page
    login_as(client, team["sales"])
    assert client.get("/grading/").status_code == 403


def test_nothing_to_grade_is_explained(client, team):
    login_as(client, team["admin"])
    client.post("/grading/recompute")
    assert "Nothing to grade" in client.get("/grading/").get_data(as_text=True)


def test_churn_warnings_with_reasons_dismissal_and_win_back(app, client, team):
    today = company_today()
    regular = new_customer(team["sales"], name="老客户", stage="signed")
    for days in (160, 130, 100):  # every 30 days, last 100 days ago: 100 > 45
        make_contract(regular, signed_on=today - timedelta(days=days))
    once = new_customer(team["sales"], name="一次客户", stage="signed")
    make_contract(once, signed_on=today - timedelta(days=200))
    for customer in (regular, once):
        customer.last_follow_up_at = None
        customer.created_at = customer.created_at - timedelta(days=400)
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["flag-churn"]).exit_code == 0
    flags = {flag.customer_id: flag for flag in db.session.scalars(select(ChurnFlag))}
    assert flags[regular.id].rules == "interval,quiet" and flags[regular.id].days_overdue > 300
    assert flags[once.id].rules == "quiet"
    login_as(client, team["sales"])
    page = client.get("/churn/").get_data(as_text=True)
    assert "it usually buys every 30.0 days" in page and "needs 3 purchases (it has 1)" in page
    assert "老客户" in my_day_page(client)
    client.post(f"/churn/{regular.id}/win-back")
    assert db.session.get(Customer, regular.id).next_follow_up_on == today + timedelta(days=1)
    client.post(f"/churn/{once.id}/dismiss")
    client.post("/churn/recompute")
    assert once.id not in {flag.customer_id for flag in db.session.scalars(select(ChurnFlag))}
    make_contract(once, signed_on=today)  # the next purchase ends the dismissal
    client.post("/churn/recompute")
    assert once.id in {flag.customer_id for flag in db.session.scalars(select(ChurnFlag))}
    assert db.session.scalar(select(func.count()).select_from(ChurnDismissal)) == 1
    login_as(client, team["outsider"])
    assert f"/customers/{regular.id}" not in client.get("/churn/").get_data(as_text=True)
    assert client.post(f"/churn/{regular.id}/dismiss").status_code == 404


def test_staffing_estimate(client, team):
    # Default grade policies: A every 7 days, B 15, C 30, D 60 (make_team ensures them).
    for name, grade in (("甲", "A"), ("乙", "A"), ("丙", "C")):
        new_customer(team["sales"], name=name, intention_grade=grade)
    login_as(client, team["head"])
    page = client.get("/grading/staffing").get_data(as_text=True)
    visits = 2 * 365 / 7 + 365 / 30
    assert f"{visits:.0f}" in page and "0.1" in page and "刘洋" in page and "赵敏" not in page


def test_staffing_figures_are_grouped_and_labelled_for_a_phone(client, team):
    from portal.models import GradePolicy

    db.session.scalar(select(GradePolicy).where(GradePolicy.grade == "A")).interval_days = 1
    db.session.commit()
    for name in ("甲", "乙", "丙"):
        new_customer(team["sales"], name=name, intention_grade="A")
    login_as(client, team["head"])
    page = client.get("/grading/staffing").get_data(as_text=True)
    assert page.count(">1,095<") == 2  # the department's visits a year, and 刘洋's (3 × 365)
    row = re.search(r"<tr><td data-label=[^>]*>刘洋</td>.*?</tr>", page).group(0)
    assert row.count("data-label=") == 3 and ">1,095<" in row


@pytest.mark.parametrize("key, value", [("grading__volume_share", "101"), ("grading__margin_threshold", "-1"),
                                        ("churn__quiet_days", "-5"), ("churn__fall_percent", "abc")])
def test_a_threshold_outside_its_range_is_refused(client, team, key, value):
    from test_company_settings import _form

    login_as(client, team["admin"])
    response = client.post("/settings/company", data=_form(client, **{key: value}))
    assert response.status_code == 422
