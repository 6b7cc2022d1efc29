"""The customer pool through the routes and the command: recycling by each rule, what a salesperson
sees before and after claiming, the limits, claiming back too early, locking, the warning on My day,
assigning, and two people claiming at once (exactly one wins, on SQLite and PostgreSQL)."""
import http.client
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from conftest import customer_panels, login_as
from my_day_page import my_day_page
from contracts_factories import make_contract
from customer_factories import new_customer
from followups_factories import make_team
from portal.company_settings import set_setting
from portal.database import utcnow
from portal.extensions import db
from portal.models import AuditEntry, Contact, Customer, PoolEvent
from test_reliability import _session_cookie, served  # noqa: F401  (the served-portal fixture)


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _customer(owner, name, grade="B", owned_days_ago=40, **fields) -> Customer:
    customer = new_customer(owner, name=name, intention_grade=grade, mobile="13812345678",
                            contacts=[Contact(name="王经理", mobile="13900001111")], **fields)
    customer.owned_since = utcnow() - timedelta(days=owned_days_ago)
    db.session.commit()
    return customer


def _fresh(customer) -> Customer:
    db.session.expire_all()
    return db.session.get(Customer, customer.id)


def test_the_command_recycles_by_the_rules_and_keeps_locked_and_contracted(app, team):
    neglected = _customer(team["sales"], "冷落客户", grade="B", owned_days_ago=21)
    followed = _customer(team["sales"], "常联系客户", grade="B", owned_days_ago=40, last_follow_up_at=utcnow() - timedelta(days=5))
    locked = _customer(team["sales"], "重点客户", grade="D", owned_days_ago=100, locked=True)
    contracted = _customer(team["sales"], "在执行合同客户", grade="D", owned_days_ago=100)
    make_contract(contracted)
    intended = _customer(team["sales"], "意向客户", grade=None, owned_days_ago=91, stage="intended")
    result = app.test_cli_runner().invoke(args=["recycle-customers"])
    assert result.exit_code == 0 and "2 customers returned to the pool" in result.output
    assert _fresh(neglected).pool_since is not None and _fresh(intended).pool_since is not None
    assert all(_fresh(c).pool_since is None for c in (followed, locked, contracted))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "recycle", AuditEntry.record_id == neglected.id))
    assert entry.changes["rule"] == [None, "grade:B 20"]
    assert {e.rule for e in db.session.scalars(select(PoolEvent))} == {"grade:B", "stage:intended"}


def test_a_salesperson_sees_a_pool_customer_without_phones_until_claiming(client, team):
    customer = _customer(team["colleague"], "公海客户", pool_since=utcnow())
    login_as(client, team["sales"])
    page = client.get("/pool/").get_data(as_text=True)
    assert "公海客户" in page and "13812345678" not in page and "王经理" not in page
    assert client.get(f"/customers/{customer.id}").status_code == 404
    assert client.post(f"/pool/{customer.id}/claim").status_code == 303
    customer = _fresh(customer)
    assert customer.owner_id == team["sales"].id and customer.pool_since is None
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "13812345678" in page and "王经理" in page
    assert "公海客户" not in client.get("/pool/").get_data(as_text=True)


def test_the_former_owner_loses_sight_and_cannot_claim_back_too_early(client, team, app):
    customer = _customer(team["sales"], "被回收客户", grade="D", owned_days_ago=11)
    app.test_cli_runner().invoke(args=["recycle-customers"])
    login_as(client, team["sales"])
    assert client.get(f"/customers/{customer.id}").status_code == 404
    assert "被回收客户" not in client.get("/customers/").get_data(as_text=True)
    response = client.post(f"/pool/{customer.id}/claim", follow_redirects=True)
    assert "you may claim it back after 30 days" in response.get_data(as_text=True)
    assert _fresh(customer).pool_since is not None
    login_as(client, team["colleague"])
    client.post(f"/pool/{customer.id}/claim")
    assert _fresh(customer).owner_id == team["colleague"].id


def test_claim_limits_change_nothing(client, team):
    set_setting("pool.claims_per_day", 1)
    db.session.commit()
    first = _customer(team["colleague"], "甲", pool_since=utcnow())
    second = _customer(team["colleague"], "乙", pool_since=utcnow())
    login_as(client, team["sales"])
    client.post(f"/pool/{first.id}/claim")
    response = client.post(f"/pool/{second.id}/claim", follow_redirects=True)
    assert "claimed 1 customers today" in response.get_data(as_text=True) and _fresh(second).pool_since is not None
    set_setting("pool.claims_per_day", 10)
    set_setting("pool.max_owned", 1)
    db.session.commit()
    response = client.post(f"/pool/{second.id}/claim", follow_redirects=True)
    assert "already own 1 customers" in response.get_data(as_text=True) and _fresh(second).pool_since is not None


def test_another_departments_pool_is_out_of_reach(client, team):
    customer = _customer(team["outsider"], "蔬菜部公海", pool_since=utcnow())
    login_as(client, team["sales"])
    assert "蔬菜部公海" not in client.get("/pool/").get_data(as_text=True)
    assert client.post(f"/pool/{customer.id}/claim").status_code == 404


def test_locking_up_to_the_limit(client, team):
    set_setting("pool.lock_limit", 1)
    db.session.commit()
    first, second = _customer(team["sales"], "甲"), _customer(team["sales"], "乙")
    login_as(client, team["sales"])
    client.post(f"/customers/{first.id}/lock")
    response = client.post(f"/customers/{second.id}/lock", follow_redirects=True)
    assert "1 key customers are locked already" in response.get_data(as_text=True)
    assert _fresh(first).locked and not _fresh(second).locked
    client.post(f"/customers/{first.id}/lock")
    assert not _fresh(first).locked


def test_my_day_warns_three_days_ahead(client, team):
    soon = _customer(team["sales"], "快回收客户", grade="D", owned_days_ago=8)  # due in 2 days
    later = _customer(team["sales"], "还早客户", grade="D", owned_days_ago=6)  # due in 4 days
    login_as(client, team["sales"])
    page = my_day_page(client)
    assert "快回收客户" in page and "还早客户" not in page
    assert (utcnow() + timedelta(days=2)).date().isoformat() in page or "returns to the pool on" in page
    assert "Returns to the pool on" in customer_panels(client, soon.id)
    assert later.pool_since is None


def test_a_head_assigns_within_the_department(client, team):
    customer = _customer(team["sales"], "待分配", pool_since=utcnow())
    login_as(client, team["head"])
    client.post(f"/pool/{customer.id}/assign", data={"user_id": str(team["outsider"].id)})
    assert _fresh(customer).pool_since is not None
    client.post(f"/pool/{customer.id}/assign", data={"user_id": str(team["colleague"].id)})
    assert _fresh(customer).owner_id == team["colleague"].id and _fresh(customer).pool_since is None


def test_a_negative_rule_is_refused(client, team):
    login_as(client, team["admin"])
    response = client.post("/pool/rules", data={"grade:A": "-3", "grade:B": "20", "grade:C": "15", "grade:D": "10", "stage:intended": "90"})
    assert response.status_code == 422 and "from 0 to 3650" in response.get_data(as_text=True)
    from portal.models import PoolRule

    assert db.session.scalar(select(func.count()).select_from(PoolRule)) == 0


def test_two_people_claiming_at_once_one_wins(team, served):  # noqa: F811
    """Eight salespeople of the department claim the same customer at the same moment through the
    served portal: exactly one gets it; the others are told someone was quicker."""
    served_app, port = served
    customer = _customer(team["head"], "抢手客户", pool_since=utcnow())
    people = [team["sales"], team["colleague"]]
    from portal.models import Role, User

    for number in range(6):
        user = User(username=f"extra{number}", display_name=f"销售{number}", role=Role.SALES.value,
                    department_id=team["fruit"].id, language="en")
        user.set_password("long-enough-1")
        db.session.add(user)
        people.append(user)
    db.session.commit()
    cookies = [_session_cookie(served_app, person) for person in people]
    customer_id = customer.id
    db.session.commit()  # end this thread's transaction: the served portal's writers must not wait on it
    barrier = threading.Barrier(len(cookies))
    answers = []

    def claim(cookie):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        barrier.wait(timeout=30)
        connection.request("POST", f"/pool/{customer_id}/claim", body="",
                           headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
        answers.append((response.status, response.getheader("Location", "")))
        connection.close()

    threads = [threading.Thread(target=claim, args=(cookie,)) for cookie in cookies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(cookies) and all(status == 303 for status, _location in answers)
    winners = [location for _status, location in answers if f"/customers/{customer_id}" in location]
    assert len(winners) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PoolEvent).where(PoolEvent.kind == "claim")) == 1
    assert _fresh(customer).pool_since is None and _fresh(customer).owner_id in {p.id for p in people}


def test_the_sql_prefilter_keeps_every_customer_the_rules_would_make_due(app, team):
    """``owned_customers_with_plans(due_by=…)`` narrows the rows in SQL (``_due_condition``); for each
    moment, the customers it keeps and the rule then makes due are exactly those the rule alone
    makes due among all owned customers, and one owner's are that owner's share of them."""
    from portal.blueprints.pool.compute import owned_customers_with_plans

    now = utcnow()
    cases = [
        ("A旧", "A", 40, None), ("A新", "A", 40, 2), ("B边界", "B", 20, None), ("C跟进", "C", 60, 14), ("D近", "D", 9, None),
        ("无等级", None, 200, None), ("D锁", "D", 100, None), ("意向", None, 91, None), ("意向新", "A", 50, 1),
    ]
    for name, grade, owned_days, followed_days in cases:
        extra = {"last_follow_up_at": now - timedelta(days=followed_days)} if followed_days is not None else {}
        if name == "D锁":
            extra["locked"] = True
        if name.startswith("意向"):
            extra["stage"] = "intended"
        _customer(team["sales"], name, grade=grade, owned_days_ago=owned_days, **extra)
    contracted = _customer(team["sales"], "有合同", grade="D", owned_days_ago=100)
    make_contract(contracted)
    for days_ahead in (-30, -1, 0, 1, 3, 10, 40, 120):
        moment = now + timedelta(days=days_ahead)
        expected = sorted(row.name for row, plan in owned_customers_with_plans() if plan is not None and plan.due_at <= moment)
        narrowed = sorted(row.name for row, plan in owned_customers_with_plans(due_by=moment) if plan is not None and plan.due_at <= moment)
        assert narrowed == expected, days_ahead
        # The statements are built once and reused: the owner's and the moment's parameters still apply.
        mine = sorted(row.name for row, plan in owned_customers_with_plans(owner_id=team["sales"].id, due_by=moment)
                      if plan is not None and plan.due_at <= moment)
        assert mine == expected, days_ahead
        assert not list(owned_customers_with_plans(owner_id=team["colleague"].id, due_by=moment)), days_ahead
    assert "A旧" in expected and "有合同" not in expected and "D锁" not in expected  # the cases reach both sides


def test_the_customer_page_says_what_the_recycling_run_would_do(client, team):
    """The customer page's pool section (one customer, from the loaded record) names the same
    moment and rule as the rows the recycling run reads, whatever the contracts."""
    from portal.blueprints.pool.compute import owned_customers_with_plans
    from portal.rules.followups import company_today, local_date

    now = utcnow()
    cases = {
        "A旧": ("A", 40, None), "C跟进": ("C", 60, 14), "无等级": (None, 200, None), "意向": (None, 91, None),
        "已完成合同": ("D", 100, None), "进行中合同": ("D", 100, None), "取消的合同": ("D", 100, None), "最近签约": ("D", 5, None),
    }
    customers = {}
    for name, (grade, owned_days, followed_days) in cases.items():
        extra = {"last_follow_up_at": now - timedelta(days=followed_days)} if followed_days is not None else {}
        if name == "意向":
            extra["stage"] = "intended"
        customers[name] = _customer(team["sales"], name, grade=grade, owned_days_ago=owned_days, **extra)
    make_contract(customers["已完成合同"], signed_on=company_today() - timedelta(days=200), status="completed")
    make_contract(customers["进行中合同"], signed_on=company_today() - timedelta(days=200))
    make_contract(customers["取消的合同"], status="cancelled")
    make_contract(customers["最近签约"], status="completed")
    plans = {row.name: plan for row, plan in owned_customers_with_plans(owner_id=team["sales"].id)}
    assert plans["A旧"] is not None and plans["进行中合同"] is None and plans["无等级"] is None  # both sides reached
    assert plans["取消的合同"] is not None
    login_as(client, team["sales"])
    for name, customer in customers.items():
        panels = customer_panels(client, customer.id)
        plan = plans[name]
        if plan is None:
            assert "No recycling rule applies to this customer now." in panels, name
        else:
            sentence = (f"Returns to the pool on {local_date(plan.due_at).isoformat()} unless followed up "
                        f"(rule {plan.rule}, {plan.days} days).")
            assert sentence in panels, name
