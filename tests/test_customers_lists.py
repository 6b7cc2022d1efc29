"""The administrator's lists of values: customer types and sources."""
import re

import pytest
from sqlalchemy import select

from conftest import login_as
from customer_factories import new_customer
from portal.extensions import db
from portal.models import AuditEntry, LookupValue


@pytest.fixture
def admin(client, make_user):
    user = make_user("admin", language="en")
    login_as(client, user)
    return user


def _names(kind="source"):
    stmt = select(LookupValue.name).where(LookupValue.kind == kind, LookupValue.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(LookupValue.position, LookupValue.id)))


def _add(client, name, kind="source"):
    return client.post(f"/admin/lists/{kind}", data={f"{kind}-name": name})


def test_add_entries_in_order_and_refuse_a_repeated_name(client, admin):
    for name in ("来电", "展会", "网站"):
        assert _add(client, name).status_code == 302
    assert _add(client, "超市", "customer_type").status_code == 302
    assert _names() == ["来电", "展会", "网站"] and _names("customer_type") == ["超市"]
    repeated = _add(client, " 展会 ")
    assert repeated.status_code == 422 and "This list has an entry with this name." in repeated.get_data(as_text=True)
    assert _add(client, "", "source").status_code == 422
    assert client.post("/admin/lists/colours", data={"colours-name": "红"}).status_code == 404
    page = client.get("/admin/lists/").get_data(as_text=True)
    assert "来电" in page and "超市" in page


def test_rename_checks_the_version(client, admin):
    _add(client, "网站")
    value = db.session.scalar(select(LookupValue))
    url = f"/admin/lists/entries/{value.id}"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(url).get_data(as_text=True)).group(1)
    assert client.post(url, data={"name": "官网", "version": version}).status_code == 302
    assert _names() == ["官网"]
    stale = client.post(url, data={"name": "网店", "version": version})
    assert stale.status_code == 409 and _names() == ["官网"]
    assert db.session.scalar(select(AuditEntry.changes).where(AuditEntry.action == "update")) == {"name": ["网站", "官网"]}


def test_move_up_and_down(client, admin):
    for name in ("来电", "展会", "网站", "转介绍"):
        _add(client, name)
    ids = {value.name: value.id for value in db.session.scalars(select(LookupValue))}
    client.post(f"/admin/lists/entries/{ids['网站']}/move", data={"direction": "up"})
    assert _names() == ["来电", "网站", "展会", "转介绍"]
    client.post(f"/admin/lists/entries/{ids['来电']}/move", data={"direction": "down"})
    assert _names() == ["网站", "来电", "展会", "转介绍"]
    # Past either end nothing changes.
    client.post(f"/admin/lists/entries/{ids['网站']}/move", data={"direction": "up"})
    client.post(f"/admin/lists/entries/{ids['转介绍']}/move", data={"direction": "down"})
    assert _names() == ["网站", "来电", "展会", "转介绍"]


def test_archived_entry_leaves_the_choices_but_customers_keep_it(client, admin, make_department, make_user):
    _add(client, "展会")
    _add(client, "来电")
    fair = db.session.scalar(select(LookupValue).where(LookupValue.name == "展会"))
    owner = make_user("sales", make_department())
    customer = new_customer(owner, "老客户", source_id=fair.id)
    assert "Archive" in client.get(f"/admin/lists/entries/{fair.id}/archive").get_data(as_text=True)
    assert client.post(f"/admin/lists/entries/{fair.id}/archive").status_code == 303
    assert _names() == ["来电"]
    assert "展会 archived." in client.get("/admin/lists/").get_data(as_text=True)
    new_form = client.get("/customers/new").get_data(as_text=True)
    assert "展会" not in new_form and "来电" in new_form
    edit_form = client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{fair.id}">展会</option>', edit_form)
    assert "展会" in client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert client.get(f"/admin/lists/entries/{fair.id}").status_code == 404
