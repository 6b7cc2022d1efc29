"""The customer register through its pages, per role and scope."""
import re
from datetime import date, timedelta

import pytest
from flask import url_for
from sqlalchemy import event, func, select

from conftest import HTMX_HEADERS, login_as
from customer_factories import new_customer
from portal.blueprints.customers.queries import PAGE_SIZE
from portal.rules.followups import company_today
from portal.database import utcnow
from portal.extensions import db
from portal.access_log import flush_access_log
from portal.models.access_log import AccessLogEntry
from portal.models import AuditEntry, Contact, Customer, FollowUp, LookupKind, LookupValue
from portal.rules.followups import ensure_default_grade_policies
from portal.seed import seed_demo_company

ROWS = {**HTMX_HEADERS, "HX-Target": "customer-rows"}
CONTACTS = {**HTMX_HEADERS, "HX-Target": "contacts"}


@pytest.fixture
def team(make_department, make_user):
    """Two departments: 水果部 (head 张伟, salespeople 刘洋 and 陈静) and 蔬菜部 (salesperson 赵敏)."""
    fruit, veg = make_department("水果部"), make_department("蔬菜部")
    ensure_default_grade_policies()
    db.session.commit()

    def person(role, department, name=None):
        # English pages, so the assertions read the English messages.
        return make_user(role, department, display_name=name or role, language="en")

    return {
        "fruit": fruit,
        "veg": veg,
        "liu": person("sales", fruit, "刘洋"),
        "chen": person("sales", fruit, "陈静"),
        "zhao": person("sales", veg, "赵敏"),
        "head": person("head", fruit, "张伟"),
        "veg_head": person("head", veg, "李娜"),
        "hr": person("hr", fruit),
        "admin": person("admin", None, "管理员"),
    }


@pytest.fixture
def customers(team):
    return {
        "liu": new_customer(team["liu"], "华润万家(南山店)", phone="0755-26681234",
                            contacts=[Contact(name="王建国", mobile="13902881234")]),
        "chen": new_customer(team["chen"], "永辉超市(天河店)"),
        "zhao": new_customer(team["zhao"], "北京新发地市场", email="buy@xinfadi.cn"),
    }


def _url(endpoint, **values):
    with db.get_app().test_request_context():
        return url_for(endpoint, **values)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _listed(response) -> set[str]:
    return set(re.findall(r'<a href="/customers/\d+">([^<]+)</a>', _text(response)))


# --- list and search per role -------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, visible",
    [
        ("liu", {"华润万家(南山店)"}),
        ("head", {"华润万家(南山店)", "永辉超市(天河店)"}),
        ("veg_head", {"北京新发地市场"}),
        ("admin", {"华润万家(南山店)", "永辉超市(天河店)", "北京新发地市场"}),
    ],
)
def test_list_and_search_show_only_the_scope(client, team, customers, who, visible):
    login_as(client, team[who])
    assert _listed(client.get("/customers/")) == visible
    # Searching for someone else's customer finds nothing outside the scope.
    for name in ("华润", "永辉", "新发地"):
        found = _listed(client.get("/customers/", query_string={"q": name}))
        assert found == {n for n in visible if name in n}


def test_hr_has_no_customer_list_and_no_customer(client, team, customers):
    login_as(client, team["hr"])
    assert client.get("/customers/").status_code == 403
    assert client.get("/customers/new").status_code == 403
    assert client.get(f"/customers/{customers['liu'].id}").status_code == 404
    assert "Customers" not in _text(client.get("/"))


def test_nav_shows_customers_to_sales(client, team):
    login_as(client, team["liu"])
    assert 'href="/customers/"' in _text(client.get("/"))


def test_search_by_contact_name_and_phone_digits(client, team, customers):
    login_as(client, team["liu"])
    assert _listed(client.get("/customers/?q=王建国")) == {"华润万家(南山店)"}
    assert _listed(client.get("/customers/?q=139-0288")) == {"华润万家(南山店)"}
    assert _listed(client.get("/customers/?q=不存在")) == set()


def test_fragment_for_htmx_rows_and_page_otherwise(client, team, customers):
    login_as(client, team["admin"])
    page = client.get("/customers/?q=华润")
    fragment = client.get("/customers/?q=华润", headers=ROWS)
    boosted = client.get("/customers/?q=华润", headers={**ROWS, "HX-Boosted": "true"})
    assert page.status_code == fragment.status_code == 200
    assert "<html" in _text(page) and 'id="customer-rows"' in _text(page)
    assert _text(fragment).lstrip().startswith('<div id="customer-rows">') and "<html" not in _text(fragment)
    assert "<form" not in _text(fragment)
    assert _listed(fragment) == {"华润万家(南山店)"}
    assert "<html" in _text(boosted)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert len(fragment.data) < len(page.data) / 2


def test_filter_form_is_htmx_with_pushed_url(client, team):
    login_as(client, team["head"])
    html = _text(client.get("/customers/"))
    form = re.search(r'<form class="filters"[^>]*>', html).group(0)
    assert 'hx-get="/customers/"' in form and 'action="/customers/"' in form
    assert 'hx-target="#customer-rows"' in form and 'hx-push-url="true"' in form


def test_keyset_pages_through_the_route_without_gaps(client, team):
    liu = team["liu"]
    names = [f"客户{number:03d}" for number in range(PAGE_SIZE * 2 + 3)]
    for name in names:
        new_customer(liu, name)
    new_customer(team["chen"], "客户999")
    login_as(client, liu)
    seen, url, pages = [], "/customers/?sort=name", 0
    while url:
        response = client.get(url, headers=ROWS)
        seen += re.findall(r'<a href="/customers/\d+">([^<]+)</a>', _text(response))
        pages += 1
        assert ("First page" in _text(response)) == (pages > 1)
        match = re.search(r'<a href="([^"]+)" hx-get="[^"]+"[^>]*>Next', _text(response))
        url = match.group(1).replace("&amp;", "&") if match else None
        if url:
            assert "after=" in url and "sort=name" in url and "offset" not in url
    assert seen == names
    assert pages == 3


def test_list_makes_a_fixed_number_of_queries(client, team):
    for number in range(30):
        new_customer(team["liu" if number % 2 else "chen"], f"客户{number}")
    login_as(client, team["head"])
    statements = []

    def count(conn, cursor, statement, parameters, *args):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/customers/", headers=ROWS)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200 and len(_listed(response)) == PAGE_SIZE
    [(sql, parameters)] = [(s, p) for s, p in statements if "FROM customers" in s]
    assert "count(" not in sql.lower() and "JOIN users" in sql
    # SQLite's dialect always writes OFFSET; it must stay 0.
    assert "OFFSET" not in sql or parameters[-1] == 0
    # Login, first-run check, the page, the list names and the settings (the export right): none per row.
    assert len([s for s, _ in statements if s.startswith("SELECT")]) <= 5


def test_overdue_filter(client, team):
    today = company_today()
    new_customer(team["liu"], "逾期客户", next_follow_up_on=today - timedelta(days=2))
    new_customer(team["liu"], "按时客户", next_follow_up_on=today)
    login_as(client, team["liu"])
    response = client.get("/customers/?overdue=1")
    assert _listed(response) == {"逾期客户"}
    assert 'class="badge overdue"' in _text(response)


# --- detail, new, edit, archive -----------------------------------------------------------------


def test_detail_shows_contacts_history_and_actions(client, team, customers):
    login_as(client, team["head"])
    response = client.get(f"/customers/{customers['chen'].id}")
    html = _text(response)
    assert response.status_code == 200
    assert "永辉超市(天河店)" in html and 'id="contacts"' in html and 'id="history"' in html
    assert f'/customers/{customers["chen"].id}/edit' in html
    assert "/merge" not in html  # merging is for the administrator
    assert client.get(f"/customers/{customers['zhao'].id}").status_code == 404


def test_the_page_loads_the_other_areas_sections_and_the_history_once_shown(client, team, customers):
    customer = customers["liu"]
    login_as(client, team["liu"])
    page = _text(client.get(f"/customers/{customer.id}"))
    # The page points at both, with plain links for a browser without JavaScript.
    for url in (f"/customers/{customer.id}/panels", f"/history/customers/{customer.id}"):
        assert f'hx-get="{url}" hx-trigger="load"' in page and f'<a href="{url}">' in page
    panels = _text(client.get(f"/customers/{customer.id}/panels", headers={**HTMX_HEADERS, "HX-Target": "customer-panels"}))
    assert "<html" not in panels and panels.lstrip().startswith('<div id="customer-panels">')
    for title in ("Quotes", "Purchase history", "Lost orders and losses", "Complaints and suggestions", "Customer pool"):
        assert f"<h2>{title}</h2>" in panels, title
    assert f"/quotes/new/{customer.id}" in panels and f"/contracts/new/{customer.id}" in panels
    whole = _text(client.get(f"/customers/{customer.id}/panels"))
    assert "<html" in whole and "<h2>Purchase history</h2>" in whole and f'href="/customers/{customer.id}"' in whole
    # A change made through the page shows in the history the page loads.
    form = {"name": "华润万家(南山店)", "stage": customer.stage, "intention_grade": "", "customer_type_id": 0,
            "source_id": 0, "phone": "0755-26681234", "region": "深圳南山", "version": customer.version}
    assert client.post(f"/customers/{customer.id}/edit", data=form).status_code == 302
    history = _text(client.get(f"/history/customers/{customer.id}", headers={**HTMX_HEADERS, "HX-Target": "history"}))
    assert 'id="history"' in history and "深圳南山" in history
    # One view of the page is one access-log row: what it loads afterwards adds none.
    flush_access_log()
    views = select(func.count()).select_from(AccessLogEntry).where(AccessLogEntry.user_id == team["liu"].id)
    assert db.session.scalar(views) == 1
    # Another salesperson's customer: neither part answers.
    assert client.get(f"/customers/{customers['chen'].id}/panels").status_code == 404


def test_salesperson_registers_their_own_customer_with_a_planned_follow_up(client, team):
    source = LookupValue(kind=LookupKind.SOURCE.value, name="展会", position=0)
    db.session.add(source)
    db.session.commit()
    login_as(client, team["liu"])
    response = client.post("/customers/new", data={
        "name": "ＡＢＣ 水果有限公司", "stage": "intended", "intention_grade": "B", "source_id": source.id,
        "customer_type_id": 0, "phone": "(0755) 2668-1235", "email": "Boss@ABC.cn", "owner_id": team["chen"].id,
    })
    assert response.status_code == 302
    customer = db.session.scalar(select(Customer))
    assert (customer.owner_id, customer.department_id) == (team["liu"].id, team["fruit"].id)
    assert customer.name_key == "abc水果" and customer.phone_key == "075526681235" and customer.email == "boss@abc.cn"
    assert customer.next_follow_up_on == company_today() + timedelta(days=14)
    assert customer.source_id == source.id and customer.customer_type_id is None
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.record_type == "customers")) == "create"


def test_head_chooses_an_owner_from_their_department_only(client, team):
    login_as(client, team["head"])
    form = _text(client.get("/customers/new"))
    assert "陈静" in form and "赵敏" not in form
    base = {"name": "新客户", "stage": "potential", "customer_type_id": 0, "source_id": 0}
    refused = client.post("/customers/new", data={**base, "owner_id": team["zhao"].id})
    assert refused.status_code == 422 and db.session.scalar(select(func.count(Customer.id))) == 0
    assert client.post("/customers/new", data={**base, "owner_id": team["chen"].id}).status_code == 302
    customer = db.session.scalar(select(Customer))
    assert customer.owner_id == team["chen"].id and customer.department_id == team["fruit"].id


def test_admin_may_choose_any_salesperson(client, team):
    login_as(client, team["admin"])
    data = {"name": "新客户", "stage": "potential", "customer_type_id": 0, "source_id": 0, "owner_id": team["zhao"].id}
    assert client.post("/customers/new", data=data).status_code == 302
    assert db.session.scalar(select(Customer.department_id)) == team["veg"].id


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "  ", "This field is required."),
        ("phone", "0755-abc-1234", "Enter 7 to 20 digits"),
        ("mobile", "12345", "Enter 7 to 20 digits"),
        ("email", "boss@", "Enter an e-mail address"),
        ("intention_grade", "Z", "Choose one of the grades"),
        ("next_follow_up_on", "2030-02-30", "Not a valid date value."),
    ],
)
def test_bad_input_is_refused_next_to_the_field(client, team, field, value, message):
    login_as(client, team["liu"])
    data = {"name": "好客户", "stage": "potential", "customer_type_id": 0, "source_id": 0, field: value}
    response = client.post("/customers/new", data=data)
    assert response.status_code == 422
    html = _text(response)
    block = re.search(rf'<div class="field has-error">\s*<label for="{field}".*?</div>', html, re.S)
    assert block and message in block.group(0)
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_edit_saves_with_the_current_version_and_refuses_a_stale_form(client, team, customers):
    customer = customers["liu"]
    login_as(client, team["liu"])
    form = _text(client.get(f"/customers/{customer.id}/edit"))
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    data = {"name": customer.name, "stage": "signed", "customer_type_id": 0, "source_id": 0,
            "phone": customer.phone, "version": version}
    assert client.post(f"/customers/{customer.id}/edit", data=data).status_code == 302
    db.session.refresh(customer)
    assert customer.stage == "signed"
    stale = client.post(f"/customers/{customer.id}/edit", data={**data, "stage": "lost", "region": "深圳"})
    assert stale.status_code == 409
    assert "Someone else saved this record" in _text(stale)
    db.session.refresh(customer)
    assert customer.stage == "signed" and customer.region == ""
    # The notice carries the new version: saving again after reading it goes through.
    retry_version = re.search(r'name="version" type="hidden" value="(\d+)"', _text(stale)).group(1)
    assert client.post(f"/customers/{customer.id}/edit", data={**data, "version": retry_version}).status_code == 302


def test_salesperson_cannot_edit_or_archive_a_colleagues_customer(client, team, customers):
    login_as(client, team["liu"])
    other = customers["chen"]
    assert client.get(f"/customers/{other.id}/edit").status_code == 404
    assert client.post(f"/customers/{other.id}/edit", data={"name": "改名"}).status_code == 404
    assert client.post(f"/customers/{other.id}/archive").status_code == 404
    db.session.refresh(other)
    assert other.name == "永辉超市(天河店)" and other.archived_at is None


def test_archive_after_confirmation(client, team, customers):
    customer = customers["liu"]
    login_as(client, team["liu"])
    confirm = client.get(f"/customers/{customer.id}/archive")
    assert confirm.status_code == 200 and "method=\"post\"" in _text(confirm)
    db.session.refresh(customer)
    assert customer.archived_at is None
    assert client.post(f"/customers/{customer.id}/archive").status_code == 303
    db.session.refresh(customer)
    assert customer.archived_at is not None
    assert _listed(client.get("/customers/")) == set()
    assert "Archived" in _text(client.get(f"/customers/{customer.id}"))
    assert client.get(f"/customers/{customer.id}/edit").status_code == 404


# --- duplicates through the form ----------------------------------------------------------------


def test_duplicate_warning_then_save_anyway(client, team, customers):
    login_as(client, team["liu"])
    data = {"name": "北京新发地市场有限公司", "stage": "potential", "customer_type_id": 0, "source_id": 0}
    warned = client.post("/customers/new", data=data)
    html = _text(warned)
    assert warned.status_code == 200 and "Similar customers are registered already." in html
    # Outside the salesperson's scope: the name and the owner, but no link.
    assert "北京新发地市场" in html and "赵敏" in html
    assert f'href="/customers/{customers["zhao"].id}"' not in html
    assert 'name="confirm_duplicates"' in html
    assert db.session.scalar(select(func.count(Customer.id))) == 3

    saved = client.post("/customers/new", data={**data, "confirm_duplicates": "y"})
    assert saved.status_code == 302
    assert db.session.scalar(select(func.count(Customer.id))) == 4


def test_duplicate_inside_the_scope_is_linked(client, team, customers):
    login_as(client, team["head"])
    data = {"name": "新客户", "phone": "13902881234", "stage": "potential", "customer_type_id": 0,
            "source_id": 0, "owner_id": team["chen"].id}
    html = _text(client.post("/customers/new", data=data))
    assert f'<a href="/customers/{customers["liu"].id}">华润万家(南山店)</a>' in html
    assert "same phone" in html


def test_editing_without_changing_the_keys_does_not_warn_but_changing_them_does(client, team, customers):
    customer = new_customer(team["liu"], "永辉超市")
    twin = new_customer(team["liu"], "华润万家(南山店)")  # 华润万家 exists already (customers["liu"])
    login_as(client, team["liu"])
    data = {"name": twin.name, "stage": "intended", "customer_type_id": 0, "source_id": 0, "version": twin.version}
    assert client.post(f"/customers/{twin.id}/edit", data=data).status_code == 302
    data = {"name": "華潤萬家(南山店)", "phone": "0755 2668 1234", "stage": "potential", "customer_type_id": 0,
            "source_id": 0, "version": customer.version}
    response = client.post(f"/customers/{customer.id}/edit", data=data)
    assert response.status_code == 200 and "Similar customers are registered already." in _text(response)
    db.session.refresh(customer)
    assert customer.name == "永辉超市"


# --- contacts -----------------------------------------------------------------------------------


def test_add_contact_inline_with_htmx(client, team, customers):
    customer = customers["liu"]
    login_as(client, team["liu"])
    form = client.get(f"/customers/{customer.id}/contacts/new", headers=CONTACTS)
    assert form.status_code == 200 and "<html" not in _text(form) and 'hx-post="' in _text(form)
    response = client.post(f"/customers/{customer.id}/contacts/new", headers=CONTACTS, data={
        "name": "李梅", "title": "收货主管", "mobile": "137 1552 6677", "birthday": "1985-11-02",
    })
    assert response.status_code == 200
    html = _text(response)
    assert html.lstrip().startswith('<section class="card" id="contacts">') and "李梅" in html
    contact = db.session.scalar(select(Contact).where(Contact.name == "李梅"))
    assert contact.customer_id == customer.id and contact.birthday_md == 1102
    assert (contact.phone_key, contact.mobile_key) == ("", "13715526677")
    db.session.refresh(customer)
    assert "李梅" in customer.search_text and "13715526677" in customer.search_text
    assert _listed(client.get("/customers/?q=李梅")) == {customer.name}


def test_add_contact_without_javascript_redirects_and_errors_answer_422(client, team, customers):
    customer = customers["liu"]
    login_as(client, team["liu"])
    page = client.get(f"/customers/{customer.id}/contacts/new")
    assert "<html" in _text(page)
    bad = client.post(f"/customers/{customer.id}/contacts/new", data={"name": "", "birthday": "1990-13-01"})
    assert bad.status_code == 422 and "This field is required." in _text(bad)
    assert "Not a valid date value." in _text(bad)
    ok = client.post(f"/customers/{customer.id}/contacts/new", data={"name": "赵磊"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"/customers/{customer.id}#contacts")


def test_edit_contact_checks_its_version(client, team, customers):
    customer = customers["liu"]
    contact = customer.contacts[0]
    login_as(client, team["liu"])
    url = f"/customers/{customer.id}/contacts/{contact.id}/edit"
    assert 'value="王建国"' in _text(client.get(url, headers=CONTACTS))
    data = {"name": "王建国", "title": "总经理", "phone": "０２０－８８８８ ６６６６", "version": contact.version}
    assert client.post(url, headers=CONTACTS, data=data).status_code == 200
    db.session.refresh(contact)
    assert contact.title == "总经理" and contact.phone_key == "02088886666"  # the key follows the edited phone
    stale = client.post(url, headers=CONTACTS, data={**data, "title": "采购"})
    assert stale.status_code == 409 and "Someone else saved this record" in _text(stale)


def test_contact_of_another_customer_or_outside_the_scope_is_404(client, team, customers):
    own = customers["liu"]
    foreign_contact = new_customer(team["chen"], "别人的", contacts=["某人"]).contacts[0]
    login_as(client, team["liu"])
    assert client.get(f"/customers/{own.id}/contacts/{foreign_contact.id}/edit").status_code == 404
    assert client.post(f"/customers/{own.id}/contacts/{foreign_contact.id}/archive").status_code == 404
    assert client.get(f"/customers/{foreign_contact.customer_id}/contacts/new").status_code == 404


def test_remove_contact_after_confirmation(client, team, customers):
    customer = customers["liu"]
    contact = customer.contacts[0]
    login_as(client, team["liu"])
    url = f"/customers/{customer.id}/contacts/{contact.id}/archive"
    confirm = client.get(url, headers=CONTACTS)
    assert "Remove 王建国?" in _text(confirm)
    response = client.post(url, headers=CONTACTS)
    assert response.status_code == 200 and "王建国" not in _text(response)
    db.session.refresh(contact)
    db.session.refresh(customer)
    assert contact.archived_at is not None and "王建国" not in customer.search_text


# --- merge and handover -------------------------------------------------------------------------


def test_admin_merges_a_duplicate_after_confirmation(client, team, customers):
    survivor = customers["liu"]
    duplicate = new_customer(team["zhao"], "华润万家南山店有限公司", phone="0755-26681234", contacts=["李梅"])
    db.session.add(FollowUp(customer_id=duplicate.id, user_id=team["zhao"].id, kind="visit",
                            happened_at=utcnow(), summary="拜访"))
    db.session.commit()
    login_as(client, team["admin"])
    pick = _text(client.get(f"/customers/{survivor.id}/merge"))
    assert f"duplicate_id={duplicate.id}" in pick  # suggested by phone
    confirm = client.get(f"/customers/{survivor.id}/merge", query_string={"duplicate_id": duplicate.id})
    assert confirm.status_code == 200 and "Merge" in _text(confirm)
    assert duplicate.archived_at is None
    response = client.post(f"/customers/{survivor.id}/merge", data={"duplicate_id": duplicate.id})
    assert response.status_code == 302
    db.session.refresh(duplicate)
    db.session.refresh(survivor)
    assert duplicate.archived_at is not None
    assert sorted(contact.name for contact in survivor.contacts) == ["李梅", "王建国"]
    assert db.session.scalar(select(FollowUp.customer_id)) == survivor.id
    merged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "merge")).all()
    assert {(entry.record_type, entry.record_id) for entry in merged} >= {
        ("customers", survivor.id), ("follow_ups", db.session.scalar(select(FollowUp.id)))}
    assert merged[0].user_id == team["admin"].id


def test_merge_refuses_itself_and_unknown_customers(client, team, customers):
    survivor = customers["liu"]
    login_as(client, team["admin"])
    for value in (survivor.id, 99999):
        response = client.get(f"/customers/{survivor.id}/merge", query_string={"duplicate_id": value})
        assert response.status_code == 422 and "Choose another active customer." in _text(response)
    assert client.post(f"/customers/{survivor.id}/merge", data={"duplicate_id": survivor.id}).status_code == 422


def test_only_admin_merges(client, team, customers):
    login_as(client, team["head"])
    customer = customers["liu"]
    assert client.post(f"/customers/{customer.id}/merge", data={"duplicate_id": customers["chen"].id}).status_code == 403
    db.session.refresh(customers["chen"])
    assert customers["chen"].archived_at is None


def test_head_hands_over_selected_customers_after_review(client, team, customers):
    liu, chen = team["liu"], team["chen"]
    planned = date(2030, 3, 1)
    second = new_customer(liu, "第二个客户", next_follow_up_on=planned)
    third = new_customer(liu, "第三个客户")
    login_as(client, team["head"])
    choose = _text(client.get("/customers/handover", query_string={"from_user_id": liu.id}))
    assert "第二个客户" in choose and "永辉超市" not in choose and "赵敏" not in choose
    data = {"from_user_id": liu.id, "to_user_id": chen.id, "customer_ids": [customers["liu"].id, second.id]}
    review = client.post("/customers/handover", data=data)
    assert review.status_code == 200 and "Hand 2 customers from 刘洋 to 陈静?" in _text(review)
    db.session.refresh(second)
    assert second.owner_id == liu.id
    done = client.post("/customers/handover", data={**data, "confirmed": "1"})
    assert done.status_code == 302
    for customer in (customers["liu"], second, third):
        db.session.refresh(customer)
    assert customers["liu"].owner_id == second.owner_id == chen.id and third.owner_id == liu.id
    assert second.next_follow_up_on == planned
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "handover")).all()
    assert sorted(entry.record_id for entry in entries) == sorted([customers["liu"].id, second.id])
    assert all(entry.user_id == team["head"].id for entry in entries)


def test_head_cannot_hand_over_to_or_from_another_department(client, team, customers):
    login_as(client, team["head"])
    to_other = client.post("/customers/handover", data={
        "from_user_id": team["liu"].id, "to_user_id": team["zhao"].id, "move_all": "y", "confirmed": "1"})
    from_other = client.post("/customers/handover", data={
        "from_user_id": team["zhao"].id, "to_user_id": team["liu"].id, "move_all": "y", "confirmed": "1"})
    assert to_other.status_code == from_other.status_code == 422
    db.session.refresh(customers["liu"])
    db.session.refresh(customers["zhao"])
    assert customers["liu"].owner_id == team["liu"].id and customers["zhao"].owner_id == team["zhao"].id


def test_admin_hands_over_everything_across_departments(client, team, customers):
    login_as(client, team["admin"])
    data = {"from_user_id": team["zhao"].id, "to_user_id": team["liu"].id, "move_all": "y"}
    assert "Hand 1 customers" in _text(client.post("/customers/handover", data=data))
    assert client.post("/customers/handover", data={**data, "confirmed": "1"}).status_code == 302
    db.session.refresh(customers["zhao"])
    assert (customers["zhao"].owner_id, customers["zhao"].department_id) == (team["liu"].id, team["fruit"].id)


def test_handover_needs_a_choice_of_customers(client, team, customers):
    login_as(client, team["head"])
    response = client.post("/customers/handover", data={"from_user_id": team["liu"].id, "to_user_id": team["chen"].id})
    assert response.status_code == 422 and "Tick the customers" in _text(response)


# --- demo data ----------------------------------------------------------------------------------


def test_demo_seeder_creates_lists_and_customers_for_every_salesperson():
    accounts = {user.username: user for user in seed_demo_company("demo-password-1")}
    customers = db.session.scalars(select(Customer)).all()
    assert len(customers) == 30
    owners = {customer.owner_id for customer in customers}
    assert owners == {accounts[name].id for name in ("liu.yang", "chen.jing", "yang.lei", "zhao.min", "huang.qiang", "zhou.jie")}
    assert all(customer.department_id == customer.owner.department_id and customer.name_key for customer in customers)
    sources = db.session.scalars(select(LookupValue.name).where(LookupValue.kind == "source").order_by(LookupValue.position))
    assert list(sources) == ["来电", "展会", "网站", "转介绍"]
    assert db.session.scalar(select(func.count(Contact.id))) >= 20


def test_filtered_list_pushes_a_clean_address(client, team):
    login_as(client, team["liu"])
    response = client.get(
        "/customers/?q=&stage=intended&grade=&owner=&type=&source=&region=&sort=newest",
        headers={"HX-Request": "true", "HX-Target": "customer-rows"},
    )
    assert response.headers["HX-Push-Url"] == "/customers/?stage=intended"
