"""The leaving procedure: deactivating someone who owns anything goes through it, and one action
moves every kind of record, ends their sessions and leaves nothing with the inactive account."""
import pytest
from sqlalchemy import select

from complaints_factories import make_complaint
from conftest import login_as
from my_day_page import my_day_page
from contracts_factories import make_contract, make_delivery
from customer_factories import new_customer
from followups_factories import make_team
from portal.blueprints.admin.leaving import OWNED_KINDS, owns_anything
from portal.extensions import db
from portal.models import AuditEntry, Complaint, Contract, Customer, Delivery, Quote, User
from portal.rules.followups import company_today
from quotes_factories import make_quote


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _everything(owner):
    a = new_customer(owner, name="甲客户", intention_grade="A", next_follow_up_on=company_today())
    b = new_customer(owner, name="乙客户", intention_grade="B")
    make_quote(a, status="sent")
    contract = make_contract(b)
    make_delivery(contract)
    make_complaint(a)
    return a, b


def _owned_by(user_id):
    return {kind.key: db.session.scalars(select(kind.model).where(getattr(kind.model, kind.owner_column) == user_id, *kind.conditions)).all()
            for kind in OWNED_KINDS}


def test_deactivating_an_owner_opens_the_leaving_procedure(client, team):
    _everything(team["sales"])
    login_as(client, team["admin"])
    response = client.post(f"/admin/users/{team['sales'].id}/active")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/users/{team['sales'].id}/leaving")
    db.session.refresh(team["sales"])
    assert team["sales"].active
    page = client.get(f"/admin/users/{team['sales'].id}/leaving").get_data(as_text=True)
    assert "Open quotes" in page and "Planned deliveries" in page and "Open complaints" in page


def test_someone_owning_nothing_is_deactivated_as_before(client, team):
    login_as(client, team["admin"])
    client.post(f"/admin/users/{team['colleague'].id}/active")
    db.session.refresh(team["colleague"])
    assert not team["colleague"].active


def test_one_action_moves_every_kind_of_record_to_one_colleague(client, team):
    _everything(team["sales"])
    token = team["sales"].session_token
    login_as(client, team["admin"])
    response = client.post(f"/admin/users/{team['sales'].id}/leaving", data={"mode": "one", "colleague_id": team["colleague"].id})
    assert response.status_code == 302
    db.session.expire_all()
    sales = db.session.get(User, team["sales"].id)
    assert not sales.active and sales.session_token != token
    assert not owns_anything(sales) and all(not rows for rows in _owned_by(sales.id).values())
    moved = _owned_by(team["colleague"].id)
    assert [len(moved[key]) for key in ("customers", "quotes", "contracts", "deliveries", "complaints")] == [2, 1, 1, 1, 1]
    assert db.session.scalar(select(Customer.next_follow_up_on).where(Customer.name == "甲客户")) == company_today()
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.record_type == "customers", AuditEntry.action == "handover")).all()


def test_customers_split_by_grade_and_records_follow_their_customer(client, team):
    a, b = _everything(team["sales"])
    login_as(client, team["admin"])
    client.post(f"/admin/users/{team['sales'].id}/leaving",
                data={"mode": "grade", "colleague_id": team["colleague"].id, "grade-A": team["head"].id})
    db.session.expire_all()
    assert db.session.get(Customer, a.id).owner_id == team["head"].id
    assert db.session.get(Customer, b.id).owner_id == team["colleague"].id
    assert db.session.scalar(select(Quote.owner_id).where(Quote.customer_id == a.id)) == team["head"].id
    assert db.session.scalar(select(Complaint.handler_id).where(Complaint.customer_id == a.id)) == team["head"].id
    assert db.session.scalar(select(Contract.owner_id).where(Contract.customer_id == b.id)) == team["colleague"].id


def test_customers_to_the_pool_and_the_rest_to_a_colleague(client, team):
    a, b = _everything(team["sales"])
    login_as(client, team["admin"])
    client.post(f"/admin/users/{team['sales'].id}/leaving", data={"mode": "pool", "colleague_id": team["colleague"].id})
    db.session.expire_all()
    assert db.session.get(Customer, a.id).pool_since is not None
    assert db.session.scalar(select(Delivery.owner_id)) == team["colleague"].id
    assert not owns_anything(db.session.get(User, team["sales"].id))


def test_a_bad_choice_moves_nothing(client, team):
    _everything(team["sales"])
    login_as(client, team["admin"])
    for data in ({"mode": "one", "colleague_id": "0"}, {"mode": "one", "colleague_id": team["sales"].id},
                 {"mode": "grade", "colleague_id": team["colleague"].id, "grade-A": "99999"}, {"mode": "x", "colleague_id": team["colleague"].id}):
        assert client.post(f"/admin/users/{team['sales'].id}/leaving", data=data).status_code == 422
    db.session.expire_all()
    assert db.session.get(User, team["sales"].id).active and len(_owned_by(team["sales"].id)["customers"]) == 2


def test_a_heads_my_day_lists_customers_whose_owner_left_until_there_are_none(client, team):
    customer = new_customer(team["sales"], name="没人管的客户")
    team["sales"].active = False
    db.session.commit()
    login_as(client, team["head"])
    page = my_day_page(client)
    assert "Customers of people who have left" in page and "没人管的客户" in page
    login_as(client, team["admin"])
    assert "没人管的客户" in my_day_page(client)
    customer.owner_id = team["colleague"].id
    db.session.commit()
    login_as(client, team["head"])
    assert "Customers of people who have left" not in my_day_page(client)


def test_the_nightly_report_names_customers_whose_owner_left(app, team):
    new_customer(team["sales"], name="没人管的客户")
    new_customer(team["colleague"], name="有人管的客户")
    team["sales"].active = False
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["report-inactive-owners"])
    assert result.exit_code == 0
    assert "水果部\t刘洋\t1" in result.output and "1 customers owned by deactivated users" in result.output
