"""Inbound-call registration: the header link, matching as you type, picking or creating the customer."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from conftest import HTMX_HEADERS, login_as
from followups_factories import make_team, make_customer
from portal.database import utcnow
from portal.extensions import db
from portal.models import Contact, Customer, FollowUp
from portal.rules.customers import refresh_keys
from portal.rules.followups import company_today

MATCHES = {**HTMX_HEADERS, "HX-Target": "call-matches"}


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _match(client, query):
    response = client.get("/calls/match", query_string={"q": query}, headers=MATCHES)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _calls_of(customer):
    return db.session.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id)).all()


@pytest.mark.parametrize("role, shown", [("sales", True), ("head", True), ("admin", True), ("hr", False)])
def test_every_page_has_the_log_a_call_link_except_for_hr(client, team, role, shown):
    login_as(client, team[role])
    assert ('href="/calls/new"' in client.get("/").get_data(as_text=True)) is shown
    assert client.get("/calls/new").status_code == (200 if shown else 403)
    assert client.get("/calls/match?q=华联", headers=MATCHES).status_code == (200 if shown else 403)


def test_form_is_one_focused_input_with_minimal_fields(client, team):
    login_as(client, team["sales"])
    body = client.get("/calls/new").get_data(as_text=True)
    # The form's own input, not the header's search box that every page carries.
    query_input = next(tag for tag in re.findall(r'<input[^>]*name="q"[^>]*>', body) if 'id="quicksearch"' not in tag)
    assert "autofocus" in query_input and 'hx-get="/calls/match"' in query_input
    assert 'hx-trigger="input changed delay:250ms' in query_input
    assert 'action="/calls/new"' in body
    # A salesperson owns what they register: no owner choice.
    assert 'name="owner_id"' not in body
    assert 'name="summary"' in body and "<textarea" not in body  # Enter submits


def test_matches_by_phone_digits_and_name_within_scope_only(client, team):
    mine = make_customer(team["sales"], "华联超市", mobile="+86 138-0013-8000")
    with_contact = make_customer(team["sales"], "ＡＢＣ水果有限公司", phone="021-5555 1234")
    with_contact.contacts.append(Contact(name="王经理", mobile="139 1111 2222"))
    refresh_keys(with_contact)
    db.session.commit()
    make_customer(team["colleague"], "华联超市二店", mobile="13800138001")
    make_customer(team["outsider"], "华联超市三店", mobile="13800138002")
    archived = make_customer(team["sales"], "华联旧店", mobile="13800138003")
    archived.archived_at = utcnow()
    db.session.commit()
    login_as(client, team["sales"])
    body = _match(client, "138 0013")
    assert "华联超市" in body and "二店" not in body and "三店" not in body and "华联旧店" not in body
    assert f'value="{mine.id}" checked' in body  # the only match is pre-selected
    assert 'name="name"' not in body  # typing replaces only the choices, never the new-customer fields
    assert "ＡＢＣ水果有限公司" in _match(client, "abc 水果")
    assert "ＡＢＣ水果有限公司" in _match(client, "王经理")
    assert "ＡＢＣ水果有限公司" in _match(client, "1391111")
    whole = _match(client, "+86 138-0013-8000")  # a whole number: exact on the phone keys
    assert "华联超市" in whole and "二店" not in whole and f'value="{mine.id}" checked' in whole
    assert "ＡＢＣ水果有限公司" in _match(client, "139 1111 2222")  # a contact's whole number: by substring
    assert "ＡＢＣ水果有限公司" in _match(client, "5555-1234")
    nothing = _match(client, "不存在的客户")
    assert 'value="new" checked' in nothing  # no match: a new customer is pre-selected
    assert "Type at least two characters" in _match(client, "华")
    assert "100%" not in _match(client, "%%")  # LIKE wildcards are literal
    # The head sees the department's customers, not the other department's.
    login_as(client, team["head"])
    body = _match(client, "华联超市")
    assert "二店" in body and "三店" not in body


def test_matches_are_capped_at_ten(client, team):
    for number in range(12):
        make_customer(team["sales"], f"连锁超市{number:02d}")
    login_as(client, team["sales"])
    body = _match(client, "连锁超市")
    assert body.count('name="customer"') == 11  # ten matches and "new"
    assert "Only the first 10 matches are shown" in body


def test_match_without_htmx_opens_the_form(client, team):
    login_as(client, team["sales"])
    response = client.get("/calls/match?q=华联")
    assert response.status_code == 302 and "/calls/new?q=" in response.headers["Location"]


def test_pick_existing_customer_logs_the_call(client, team):
    customer = make_customer(team["sales"], "华联超市", intention_grade="B", mobile="13800138000")
    login_as(client, team["sales"])
    response = client.post("/calls/new", data={"q": "13800138000", "customer": customer.id,
                                                "summary": "询问下周苹果到货", "next_follow_up_on": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{customer.id}")
    [call] = _calls_of(customer)
    assert (call.kind, call.summary, call.user_id) == ("call_in", "询问下周苹果到货", team["sales"].id)
    assert (utcnow() - call.happened_at) < timedelta(minutes=1)
    db.session.refresh(customer)
    assert customer.next_follow_up_on == company_today() + timedelta(days=14)
    assert customer.last_follow_up_at == call.happened_at


@pytest.mark.parametrize("actor, owner", [("sales", "colleague"), ("head", "outsider")])
def test_picking_a_customer_outside_scope_is_404(client, team, actor, owner):
    customer = make_customer(team[owner])
    login_as(client, team[actor])
    response = client.post("/calls/new", data={"customer": customer.id, "summary": "来电"})
    assert response.status_code == 404
    assert _calls_of(customer) == []


def test_new_potential_customer_and_call_in_one_submit(client, team):
    login_as(client, team["sales"])
    response = client.post("/calls/new", data={
        "q": "+86 139-2222-3333", "customer": "new", "name": "  新发地果品店 ", "phone": "+86 139-2222-3333",
        "intention_grade": "C", "summary": "想了解柑橘批发价", "next_follow_up_on": ""})
    assert response.status_code == 303
    customer = db.session.scalar(select(Customer).where(Customer.name == "新发地果品店"))
    assert (customer.stage, customer.owner_id, customer.department_id) == ("potential", team["sales"].id, team["fruit"].id)
    assert (customer.mobile, customer.mobile_key, customer.phone) == ("+86 139-2222-3333", "13922223333", "")
    assert customer.name_key == "新发地果品店" and "13922223333" in customer.search_text
    [call] = _calls_of(customer)
    assert call.kind == "call_in"
    assert customer.next_follow_up_on == company_today() + timedelta(days=30)
    # The new customer now matches.
    assert "新发地果品店" in _match(client, "1392222")


def test_head_chooses_an_owner_in_the_department(client, team):
    login_as(client, team["head"])
    data = {"customer": "new", "name": "城东菜场", "phone": "0571-8888 1234", "summary": "来电咨询"}
    outsider = client.post("/calls/new", data={**data, "owner_id": team["outsider"].id})
    assert outsider.status_code == 422 and "Not a valid choice." in outsider.get_data(as_text=True)
    assert client.post("/calls/new", data={**data, "owner_id": team["colleague"].id}).status_code == 303
    customer = db.session.scalar(select(Customer).where(Customer.name == "城东菜场"))
    assert (customer.owner_id, customer.department_id, customer.phone_key) == (
        team["colleague"].id, team["fruit"].id, "057188881234")
    assert _calls_of(customer)[0].user_id == team["head"].id


def test_admin_must_choose_an_owner(client, team):
    login_as(client, team["admin"])
    data = {"customer": "new", "name": "城西菜场", "summary": "来电咨询"}
    refused = client.post("/calls/new", data=data)
    assert refused.status_code == 422 and "Choose who owns the new customer." in refused.get_data(as_text=True)
    assert client.post("/calls/new", data={**data, "owner_id": team["outsider"].id}).status_code == 303
    customer = db.session.scalar(select(Customer).where(Customer.name == "城西菜场"))
    assert customer.department_id == team["veg"].id


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"summary": ""}, "Write what was discussed."),
        ({"customer": ""}, "customer, or choose a new customer."),
        ({"name": "", "q": "13912345678"}, "Enter the new customer"),  # a number is no name
        ({"intention_grade": "Z"}, "This grade does not exist."),
        ({"next_follow_up_on": "2000-01-01"}, "The next follow-up cannot be before the call."),
        ({"next_follow_up_on": "下周"}, "Enter the date as YYYY-MM-DD."),
    ],
)
def test_bad_call_input_is_refused_and_nothing_saved(client, team, fields, message):
    login_as(client, team["sales"])
    data = {"q": "新客户", "customer": "new", "name": "新客户", "summary": "来电", **fields}
    response = client.post("/calls/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert f'value="{data["q"]}"' in body  # what was typed stays
    assert db.session.scalars(select(Customer)).all() == []
    assert db.session.scalars(select(FollowUp)).all() == []


def test_without_javascript_the_matches_come_with_the_first_submit(client, team):
    customer = make_customer(team["sales"], "华联超市", mobile="13800138000")
    login_as(client, team["sales"])
    response = client.post("/calls/new", data={"q": "13800138000", "summary": "询价"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{customer.id}" checked' in body and "询价" in body


def test_new_caller_takes_name_or_number_from_what_was_typed(client, team):
    login_as(client, team["sales"])
    by_number = {"q": "139 1234 5678", "customer": "new", "name": "城东果铺", "summary": "询价"}
    assert client.post("/calls/new", data=by_number).status_code == 303
    by_name = {"q": "城西菜场", "customer": "new", "phone": "021-6666 1234", "summary": "询价"}
    assert client.post("/calls/new", data=by_name).status_code == 303
    east = db.session.scalar(select(Customer).where(Customer.name == "城东果铺"))
    west = db.session.scalar(select(Customer).where(Customer.name == "城西菜场"))
    assert east.mobile_key == "13912345678"
    assert west.phone_key == "02166661234"
