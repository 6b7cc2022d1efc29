"""Complaints through the routes: intake (also from a call), the deadline, steps to closing, bad
input, reassignment, the lists per role, My day, the customer page and the summary."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from complaints_factories import category_ids, make_complaint
from conftest import chart_data, customer_panels, login_as
from my_day_page import my_day_page
from customer_factories import new_customer
from followups_factories import count_statements, make_team
from portal.database import utcnow
from portal.extensions import db
from portal.models import Complaint, ComplaintStep
from portal.rules.followups import wall_clock


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def customer(team):
    return new_customer(team["sales"], name="华联超市")


def _count(model=Complaint) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _intake(customer, **fields):
    received = wall_clock(utcnow() - timedelta(minutes=5))
    return {"customer_id": str(customer.id) if customer else "0", "kind": "complaint", "channel": "phone",
            "category_id": str(category_ids()["产品质量"]), "severity": "urgent",
            "received_at": received.strftime("%Y-%m-%dT%H:%M"), "contract_id": "0", "content": "苹果有磕碰", **fields}


def test_intake_sets_the_handler_and_the_deadline_by_severity(client, team, customer):
    login_as(client, team["head"])  # the head takes the call; the customer's owner handles it
    response = client.post(f"/complaints/new?customer={customer.id}", data=_intake(customer))
    assert response.status_code == 303
    complaint = db.session.scalar(select(Complaint))
    assert complaint.handler_id == team["sales"].id and complaint.department_id == team["fruit"].id
    assert complaint.respond_by - complaint.received_at == timedelta(hours=4)
    assert complaint.status == "new" and complaint.first_response_at is None


@pytest.mark.parametrize("fields, message", [
    ({"received_at": "2999-01-01T10:00"}, "The time received cannot be in the future."),
    ({"content": ""}, "Describe the complaint or suggestion."),
    ({"category_id": "0"}, "Choose the category."),
    ({"customer_id": "0"}, "only a suggestion or enquiry can be anonymous"),
    ({"severity": "apocalyptic"}, "Not a valid choice"),
])
def test_bad_intake_saves_nothing(client, team, customer, fields, message):
    login_as(client, team["sales"])
    response = client.post("/complaints/new", data=_intake(customer, **fields))
    assert response.status_code == 422 and message in response.get_data(as_text=True) and _count() == 0


def test_a_save_reads_the_customer_it_names_not_the_list_of_recent_customers(client, team, customer):
    """The list of 200 is for the form shown; a save inside its write transaction reads the one row."""
    login_as(client, team["sales"])
    assert "华联超市" in client.get("/complaints/new").get_data(as_text=True)
    with count_statements("ORDER BY customers.last_follow_up_at") as list_reads:
        assert client.post("/complaints/new", data=_intake(customer)).status_code == 303
    assert list_reads[0] == 0 and _count() == 1
    with count_statements("ORDER BY customers.last_follow_up_at") as list_reads:
        refused = client.post("/complaints/new", data=_intake(customer, content=""))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and list_reads[0] == 1 and "华联超市" in page and _count() == 1


def test_a_customer_outside_the_scope_cannot_be_named(client, team):
    other = new_customer(team["outsider"], name="蔬菜批发行")
    login_as(client, team["sales"])
    response = client.post("/complaints/new", data=_intake(other))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Not a valid choice" in page and "蔬菜批发行" not in page and _count() == 0


def test_an_anonymous_suggestion_is_handled_by_its_recorder(client, team):
    login_as(client, team["colleague"])
    assert client.post("/complaints/new", data=_intake(None, kind="suggestion")).status_code == 303
    assert db.session.scalar(select(Complaint.handler_id)) == team["colleague"].id


def test_a_call_that_is_a_complaint_opens_the_complaint_form(client, team, customer):
    login_as(client, team["sales"])
    response = client.post("/calls/new", data={"q": "华联超市", "customer": str(customer.id), "summary": "投诉香蕉发黑",
                                               "is_complaint": "y"})
    assert response.status_code == 303 and "/complaints/new?customer=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "投诉香蕉发黑" in page and "华联超市" in page


def test_steps_from_new_to_closed(client, team, customer):
    complaint = make_complaint(customer)
    login_as(client, team["sales"])
    url = f"/complaints/{complaint.id}/step"
    assert client.post(url, data={"to": "in_progress", "note": "已联系客户"}).status_code == 303
    complaint = db.session.get(Complaint, complaint.id)
    first_response = complaint.first_response_at
    assert complaint.status == "in_progress" and first_response is not None
    refused = client.post(url, data={"to": "resolved", "resolution": ""})
    assert refused.status_code == 422 and "Write the resolution" in refused.get_data(as_text=True)
    client.post(url, data={"to": "resolved", "resolution": "已换货"})
    for bad in ("0", "6", "abc", ""):
        response = client.post(url, data={"to": "closed", "satisfaction": bad})
        assert response.status_code == 422, bad
        db.session.expire_all()
        assert db.session.get(Complaint, complaint.id).status == "resolved"
    client.post(url, data={"to": "closed", "satisfaction": "4"})
    db.session.expire_all()
    complaint = db.session.get(Complaint, complaint.id)
    assert (complaint.status, complaint.satisfaction, complaint.resolution) == ("closed", 4, "已换货")
    assert complaint.first_response_at == first_response and _count(ComplaintStep) == 3


def test_a_step_may_not_skip_ahead(client, team, customer):
    complaint = make_complaint(customer)
    login_as(client, team["sales"])
    client.post(f"/complaints/{complaint.id}/step", data={"to": "closed", "satisfaction": "5"})
    assert db.session.get(Complaint, complaint.id).status == "new" and _count(ComplaintStep) == 0


def test_reassigning_stays_inside_the_department(client, team, customer):
    complaint = make_complaint(customer)
    login_as(client, team["head"])
    client.post(f"/complaints/{complaint.id}/reassign", data={"handler_id": str(team["outsider"].id)}, follow_redirects=True)
    assert db.session.get(Complaint, complaint.id).handler_id == team["sales"].id
    client.post(f"/complaints/{complaint.id}/reassign", data={"handler_id": str(team["colleague"].id)})
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).handler_id == team["colleague"].id
    login_as(client, team["sales"])  # no longer theirs
    assert client.get(f"/complaints/{complaint.id}").status_code == 404


def test_overdue_complaints_on_my_day_list_and_customer_page(client, team, customer):
    late = make_complaint(customer, severity="urgent", received_at=utcnow() - timedelta(hours=5), content="迟迟没人回复")
    make_complaint(customer, severity="urgent", received_at=utcnow() - timedelta(hours=3), content="刚收到")
    for who in ("sales", "head"):
        login_as(client, team[who])
        assert f"/complaints/{late.id}" in my_day_page(client), who
    login_as(client, team["outsider"])
    assert f"/complaints/{late.id}" not in my_day_page(client)
    login_as(client, team["sales"])
    page = client.get("/complaints/?overdue=1").get_data(as_text=True)
    assert "1 complaint or suggestion" in page and "badge overdue" in page
    assert "迟迟没人回复" in customer_panels(client, customer.id)


def test_lists_per_role_and_the_export(client, team, customer):
    mine = make_complaint(customer, content="我的投诉")
    theirs = make_complaint(new_customer(team["outsider"], name="外部门客户"), content="别人的投诉")
    login_as(client, team["sales"])
    page = client.get("/complaints/").get_data(as_text=True)
    assert f"/complaints/{mine.id}" in page and f"/complaints/{theirs.id}" not in page
    login_as(client, team["admin"])
    page = client.get("/complaints/").get_data(as_text=True)
    assert f"/complaints/{mine.id}" in page and f"/complaints/{theirs.id}" in page
    login_as(client, team["head"])
    sheet = load_workbook(io.BytesIO(client.get("/complaints/export").data)).active
    contents = [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert contents == ["我的投诉"]


def test_the_summary_for_a_head(client, team, customer):
    now = utcnow()
    closed = make_complaint(customer, received_at=now - timedelta(hours=30), status="closed", satisfaction=5)
    closed.first_response_at = closed.received_at + timedelta(hours=2)
    make_complaint(customer, received_at=now - timedelta(hours=26))  # overdue, normal 24 h
    make_complaint(new_customer(team["outsider"], name="外部门客户"), received_at=now - timedelta(hours=26))
    db.session.commit()
    login_as(client, team["head"])
    page = client.get("/complaints/summary?kind=custom&start=2024-01-01&end=2030-12-31").get_data(as_text=True)
    for text in ("2.0", "50.0 %", "5.00", "产品质量"):
        assert text in page, text
    by_category, by_month = chart_data(page)
    assert by_category["categories"] == ["产品质量"] and by_category["series"][0]["values"] == [2]
    category = db.session.scalar(select(Complaint.category_id).where(Complaint.id == closed.id))
    assert by_category["links"] == [f"/complaints/?category={category}&from=2024-01-01&to=2030-12-31"]
    assert sum(by_month["series"][0]["values"]) == 2 and all("/complaints/?from=" in link for link in by_month["links"])
    listed = client.get(by_category["links"][0]).get_data(as_text=True)
    assert customer.name in listed and "外部门客户" not in listed
    assert client.get(f"/complaints/summary?department={team['veg'].id}").status_code == 404
    # The list has no department filter: the administrator's one-department summary opens none.
    login_as(client, team["admin"])
    one_department = client.get(f"/complaints/summary?kind=custom&start=2024-01-01&end=2030-12-31&department={team['fruit'].id}")
    assert all("links" not in one for one in chart_data(one_department.get_data(as_text=True)))
    assert "/complaints/?category=" not in one_department.get_data(as_text=True)
    everyone = client.get("/complaints/summary?kind=custom&start=2024-01-01&end=2030-12-31").get_data(as_text=True)
    assert all("links" in one for one in chart_data(everyone)) and "/complaints/?category=" in everyone


def test_the_performance_page_shows_the_complaints_of_its_period(client, team, customer):
    make_complaint(customer, received_at=utcnow() - timedelta(hours=30))
    login_as(client, team["head"])
    page = client.get("/performance/").get_data(as_text=True)
    assert "Complaints and suggestions" in page and "Answered within the deadline" in page
    login_as(client, team["sales"])
    assert "Answered within the deadline" not in client.get("/performance/").get_data(as_text=True)
