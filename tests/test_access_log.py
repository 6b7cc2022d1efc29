"""Export rights per role, the access log (every export and customer page once, readable by the
administrator and heads only, append-only, pruned) and the alerts on My day."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from conftest import login_as
from my_day_page import my_day_page
from customer_factories import new_customer
from followups_factories import make_team
from portal.access_log import flush_access_log, prune_access_log, record_access
from portal.company_settings import set_setting
from portal.extensions import db
from portal.models import AccessLogEntry
from portal.models.access_log import CUSTOMER_PAGE, EXPORT, AppendOnlyError
from portal.rules.access_log import alert_threshold, raises_alert
from portal.rules.exports import DETAILS, NAMES, NONE, columns_for_level, export_level
from portal.rules.followups import company_today

PHONE, MOBILE = "0571-88886666", "13912345678"


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _workbook(response):
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.data))


def _cells(workbook) -> list:
    return [str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]


def _log(**where) -> list[AccessLogEntry]:
    """The log's rows, those still waiting in the buffer written first."""
    flush_access_log()
    stmt = select(AccessLogEntry).filter_by(**where).order_by(AccessLogEntry.id)
    return list(db.session.scalars(stmt))


# --- export rights ------------------------------------------------------------------------------


def test_levels_and_columns_as_plain_functions():
    assert export_level("sales", "") == NAMES and export_level("head", None) == DETAILS
    assert export_level("admin", " NONE ") == NONE and export_level("sales", "everything") == NAMES

    class Col:
        def __init__(self, name, contact=False):
            self.name, self.contact = name, contact

    columns = [Col("name"), Col("phone", contact=True)]
    assert [c.name for c in columns_for_level(columns, DETAILS)] == ["name", "phone"]
    assert [c.name for c in columns_for_level(columns, NAMES)] == ["name"]
    assert columns_for_level(columns, NONE) is None
    assert [c.name for c in columns_for_level(columns[:1], NONE)] == ["name"]


def test_a_salespersons_export_carries_no_phone_by_default(client, team):
    new_customer(team["sales"], name="华联超市", phone=PHONE, mobile=MOBILE, email="a@example.com")
    login_as(client, team["sales"])
    page = client.get("/customers/").get_data(as_text=True)
    assert "leave out phones" in page
    workbook = _workbook(client.get("/customers/export"))
    headers = [cell.value for cell in workbook.active[1]]
    assert "Phone" not in headers and "Mobile" not in headers and "Name" in headers
    cells = _cells(workbook)
    assert "华联超市" in cells
    assert not any(PHONE in cell or MOBILE in cell or "88886666" in cell for cell in cells)


def test_a_heads_export_carries_contact_details(client, team):
    new_customer(team["sales"], name="华联超市", phone=PHONE, mobile=MOBILE)
    login_as(client, team["head"])
    assert "carry contact details" in client.get("/customers/").get_data(as_text=True)
    workbook = _workbook(client.get("/customers/export"))
    headers = [cell.value for cell in workbook.active[1]]
    assert "Phone" in headers and "Mobile" in headers and PHONE in _cells(workbook)


def test_the_setting_changes_what_a_role_gets(client, team):
    new_customer(team["sales"], name="华联超市", phone=PHONE)
    login_as(client, team["sales"])
    set_setting("exports.sales", "details")
    db.session.commit()
    assert PHONE in _cells(_workbook(client.get("/customers/export")))
    set_setting("exports.sales", "none")
    db.session.commit()
    assert client.get("/customers/export").status_code == 403
    assert client.get("/deliveries/export").status_code == 403
    # A list without contact details is still exported.
    assert client.get("/quotes/export").status_code == 200


def test_the_workbook_says_who_exported_it_and_when(client, team):
    new_customer(team["sales"], name="华联超市")
    login_as(client, team["sales"])
    workbook = _workbook(client.get("/customers/export"))
    assert workbook.properties.creator == "刘洋"
    assert team["sales"].username in workbook.properties.description
    footer = workbook.active.oddFooter.center.text
    assert "刘洋" in footer and company_today().isoformat() in footer


# --- the log ------------------------------------------------------------------------------------


def test_every_export_is_logged_exactly_once_with_filter_and_rows(client, team):
    for number in range(3):
        new_customer(team["sales"], name=f"客户{number}")
    login_as(client, team["sales"])
    client.get("/customers/export?stage=potential")
    client.get("/quotes/export")
    entries = _log(user_id=team["sales"].id, kind=EXPORT)
    assert [entry.target for entry in entries] == ["/customers/export", "/quotes/export"]
    assert entries[0].filters == "stage=potential" and entries[0].row_count == 3
    assert entries[0].day == company_today() and entries[0].department_id == team["fruit"].id
    assert entries[0].address == "127.0.0.1"


def test_every_customer_page_is_logged_once_and_a_404_not_at_all(client, team):
    customer = new_customer(team["sales"], name="华联超市")
    other = new_customer(team["outsider"], name="别人的客户")
    login_as(client, team["sales"])
    assert client.get(f"/customers/{customer.id}").status_code == 200
    assert client.get(f"/customers/{other.id}").status_code == 404
    entries = _log(user_id=team["sales"].id)
    assert [(entry.kind, entry.record_id) for entry in entries] == [(CUSTOMER_PAGE, customer.id)]


def test_a_salesperson_can_neither_read_nor_delete_the_log(client, team):
    record_access(CUSTOMER_PAGE, target="/customers/1", record_id=1, user=team["colleague"])
    login_as(client, team["sales"])
    assert client.get("/access-log").status_code == 403
    assert client.get("/access-log/export").status_code == 403
    assert client.post("/access-log").status_code == 405
    entry = _log()[0]
    with pytest.raises(AppendOnlyError):
        db.session.delete(entry)
        db.session.flush()
    db.session.rollback()
    entry = _log()[0]
    with pytest.raises(AppendOnlyError):
        entry.target = "/x"
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AccessLogEntry)) == 1


def test_a_head_reads_their_departments_log_by_person_and_day(client, team):
    mine = new_customer(team["sales"], name="本部门客户")
    theirs = new_customer(team["outsider"], name="外部门客户")
    record_access(CUSTOMER_PAGE, target=f"/customers/{mine.id}", record_id=mine.id, user=team["sales"])
    record_access(CUSTOMER_PAGE, target=f"/customers/{theirs.id}", record_id=theirs.id, user=team["outsider"])
    login_as(client, team["head"])
    page = client.get("/access-log").get_data(as_text=True)
    assert f"/customers/{mine.id}" in page and f"/customers/{theirs.id}" not in page
    page = client.get(f"/access-log?user={team['colleague'].id}").get_data(as_text=True)
    assert f"/customers/{mine.id}" not in page
    yesterday = (company_today() - timedelta(days=1)).isoformat()
    assert f"/customers/{mine.id}" not in client.get(f"/access-log?day={yesterday}").get_data(as_text=True)
    cells = _cells(_workbook(client.get("/access-log/export")))
    assert f"/customers/{mine.id}" in cells and f"/customers/{theirs.id}" not in cells
    login_as(client, team["admin"])
    page = client.get("/access-log").get_data(as_text=True)
    assert f"/customers/{mine.id}" in page and f"/customers/{theirs.id}" in page


def test_pruning_removes_only_rows_older_than_the_kept_days(team):
    record_access(CUSTOMER_PAGE, target="/customers/1", user=team["sales"])
    db.session.add(AccessLogEntry(day=company_today() - timedelta(days=400), user_id=team["sales"].id, kind=EXPORT))
    db.session.commit()
    assert prune_access_log() == 1
    assert [entry.day for entry in _log()] == [company_today()]


# --- alerts -------------------------------------------------------------------------------------


def test_alert_threshold_formula():
    assert alert_threshold(0, []) == 100
    assert alert_threshold(0, [60] * 30) == 180
    assert alert_threshold(0, [60] * 10) == 100  # 20 quiet days: the median is 0
    assert alert_threshold(50, [60] * 30) == 50
    assert raises_alert(101, 100) and not raises_alert(100, 100)


def _open_pages(client, customers, count):
    for index in range(count):
        assert client.get(f"/customers/{customers[index % len(customers)].id}").status_code == 200


def test_the_alert_shows_on_the_heads_my_day_after_150_customer_pages(client, team):
    customers = [new_customer(team["sales"], name=f"客户{number:03d}") for number in range(30)]
    login_as(client, team["sales"])
    _open_pages(client, customers, 150)
    login_as(client, team["head"])
    page = my_day_page(client)
    assert "Unusual reading of customer data" in page and "150 customer pages opened" in page
    assert "客户029" in page  # what they opened
    login_as(client, team["admin"])
    assert "150 customer pages opened" in my_day_page(client)
    # Another department's head does not see it.
    login_as(client, team["outsider"])
    assert "Unusual reading" not in my_day_page(client)


def test_no_alert_at_the_threshold(client, team):
    customers = [new_customer(team["sales"], name=f"客户{number:03d}") for number in range(10)]
    login_as(client, team["sales"])
    _open_pages(client, customers, 100)
    login_as(client, team["head"])
    assert "Unusual reading" not in my_day_page(client)
    login_as(client, team["sales"])
    _open_pages(client, customers, 1)
    login_as(client, team["head"])
    assert "101 customer pages opened" in my_day_page(client)


def test_exported_rows_above_the_setting_raise_an_alert(client, team):
    for number in range(6):
        new_customer(team["sales"], name=f"客户{number}")
    set_setting("access_log.export_rows_alert", 5)
    db.session.commit()
    login_as(client, team["sales"])
    client.get("/customers/export")
    login_as(client, team["head"])
    assert "6 rows exported (alert above 5)" in my_day_page(client)


def test_a_persons_own_median_raises_their_threshold(client, team):
    customers = [new_customer(team["sales"], name=f"客户{number:03d}") for number in range(5)]
    for days_ago in range(1, 31):
        for _ in range(60):
            db.session.add(AccessLogEntry(day=company_today() - timedelta(days=days_ago), user_id=team["sales"].id,
                                          department_id=team["fruit"].id, kind=CUSTOMER_PAGE, record_id=customers[0].id))
    db.session.commit()
    login_as(client, team["sales"])
    _open_pages(client, customers, 150)
    login_as(client, team["head"])
    assert "Unusual reading" not in my_day_page(client)  # 150 ≤ 3 × 60


def test_the_nightly_prune_command(app, team):
    db.session.add(AccessLogEntry(day=company_today() - timedelta(days=40), user_id=team["sales"].id, kind=EXPORT))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["prune-access-log", "--days", "30"])
    assert result.exit_code == 0 and "deleted 1 access log rows" in result.output
