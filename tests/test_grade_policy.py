"""The grade policy admin page: defaults, add, edit with a version check, archive; and its effect."""
from datetime import date

import pytest
from sqlalchemy import select

from conftest import login_as
from followups_factories import make_customer
from portal.extensions import db
from portal.models import FollowUp, GradePolicy, Role


@pytest.fixture
def admin(client, make_user):
    user = make_user(Role.ADMIN, language="en")
    login_as(client, user)
    return user


def _policy(grade):
    return db.session.scalar(select(GradePolicy).where(GradePolicy.grade == grade))


def _add(client, **fields):
    data = {"grade": "E", "description": "观望", "interval_days": "180", "preferred_mode": "wechat", "position": "5"}
    data.update(fields)
    return client.post("/settings/grades", data=data)


def test_page_creates_the_default_grades_once(client, admin):
    body = client.get("/settings/grades").get_data(as_text=True)
    for grade, description in (("A", "成交可能性大"), ("B", "有明确意向"), ("C", "意向一般"), ("D", "暂无意向")):
        assert f">{grade}</a>" in body and description in body
    assert "7 days" in body and "90 days" in body
    client.get("/settings/grades")
    assert len(db.session.scalars(select(GradePolicy)).all()) == 4


@pytest.mark.parametrize("role", ["sales", "head", "hr"])
def test_only_admin_may_open_or_change_it(client, make_user, make_department, role):
    user = make_user(role, make_department())
    login_as(client, user)
    assert client.get("/settings/grades").status_code == 403
    assert _add(client).status_code == 403
    assert _policy("E") is None


def test_nav_shows_grade_policy_to_admin_only(client, admin, make_user, make_department):
    assert 'href="/settings/grades"' in client.get("/").get_data(as_text=True)
    login_as(client, make_user(Role.HEAD, make_department()))
    assert 'href="/settings/grades"' not in client.get("/").get_data(as_text=True)


def test_admin_adds_a_grade(client, admin):
    response = _add(client, grade=" e ")
    assert response.status_code == 303
    policy = _policy("E")
    assert (policy.interval_days, policy.preferred_mode, policy.description) == (180, "wechat", "观望")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"interval_days": "0"}, "Enter a number of days from 1 to 365."),
        ({"interval_days": "366"}, "Enter a number of days from 1 to 365."),
        ({"interval_days": ""}, "Enter the number of days between follow-ups."),
        ({"grade": "A"}, "This grade exists already."),
        ({"grade": ""}, "This field is required."),
        ({"preferred_mode": "pigeon"}, "Not a valid choice."),
    ],
)
def test_bad_grade_input_is_refused(client, admin, fields, message):
    client.get("/settings/grades")
    response = _add(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(db.session.scalars(select(GradePolicy)).all()) == 4


def test_an_archived_grade_cannot_be_added_again(client, admin):
    client.get("/settings/grades")
    policy = _policy("D")
    client.post(f"/settings/grades/{policy.id}/archive")
    response = _add(client, grade="D")
    assert response.status_code == 422
    assert "restore it from the archive" in response.get_data(as_text=True)


def test_edit_changes_interval_and_stale_form_is_409(client, admin):
    client.get("/settings/grades")
    policy = _policy("B")
    page = client.get(f"/settings/grades/{policy.id}").get_data(as_text=True)
    assert f'value="{policy.version}"' in page and 'name="grade"' not in page
    data = {"description": "重点跟进", "interval_days": "10", "preferred_mode": "visit", "position": "1",
            "version": str(policy.version)}
    assert client.post(f"/settings/grades/{policy.id}", data=data).status_code == 303
    db.session.refresh(policy)
    assert (policy.interval_days, policy.preferred_mode, policy.grade) == (10, "visit", "B")
    stale = client.post(f"/settings/grades/{policy.id}", data={**data, "interval_days": "20"})
    assert stale.status_code == 409
    db.session.refresh(policy)
    assert policy.interval_days == 10
    bad = client.post(f"/settings/grades/{policy.id}", data={**data, "interval_days": "400", "version": policy.version})
    assert bad.status_code == 422 and "from 1 to 365" in bad.get_data(as_text=True)


def test_unknown_or_archived_grade_is_404(client, admin):
    client.get("/settings/grades")
    assert client.get("/settings/grades/9999").status_code == 404
    policy = _policy("C")
    confirm = client.get(f"/settings/grades/{policy.id}/archive")
    assert confirm.status_code == 200 and "Archive grade C?" in confirm.get_data(as_text=True)
    db.session.refresh(policy)
    assert policy.archived_at is None
    assert client.post(f"/settings/grades/{policy.id}/archive").status_code == 303
    db.session.refresh(policy)
    assert policy.archived_at is not None
    assert client.get(f"/settings/grades/{policy.id}").status_code == 404
    assert ">C</a>" not in client.get("/settings/grades").get_data(as_text=True)


def test_edited_policy_drives_the_next_follow_up_date(client, admin, make_user, make_department):
    client.get("/settings/grades")
    policy = _policy("B")
    client.post(f"/settings/grades/{policy.id}", data={"description": "", "interval_days": "10",
                                                        "preferred_mode": "call_out", "version": policy.version})
    seller = make_user(Role.SALES, make_department(), language="en")
    customer = make_customer(seller, intention_grade="B")
    login_as(client, seller)
    client.post(f"/customers/{customer.id}/follow-ups", data={
        "kind": "call_out", "happened_at": "2024-05-06T10:00", "summary": "回访", "contact_id": "0"})
    db.session.refresh(customer)
    assert customer.next_follow_up_on == date(2024, 5, 16)
    # An archived grade gives no default.
    login_as(client, admin)
    client.post(f"/settings/grades/{policy.id}/archive")
    login_as(client, seller)
    client.post(f"/customers/{customer.id}/follow-ups", data={
        "kind": "call_out", "happened_at": "2024-05-07T10:00", "summary": "再次回访", "contact_id": "0"})
    latest = db.session.scalar(select(FollowUp).where(FollowUp.summary == "再次回访"))
    assert latest.next_follow_up_on is None
