"""Lists as .xlsx: the file holds exactly the filtered list the user sees, typed cells, and text
that could be a formula stays text."""
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from conftest import login_as
from customer_factories import new_customer
from followups_factories import make_follow_up, make_team
from portal.blueprints.customers.queries import CustomerFilters, list_customers
from portal.exporting import Column, is_formula_like, write_workbook
from portal.models import Stage
from quotes_factories import make_quote

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1+1", "@SUM(A1)", "-2+3", "\tTAB", "\rCR"]


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


def _sheet(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data)).active


def _column(sheet, header):
    headers = [cell.value for cell in sheet[1]]
    index = headers.index(header)
    return [row[index] for row in sheet.iter_rows(min_row=2)]


def test_formula_like_text_is_written_as_text(tmp_path):
    path = tmp_path / "x.xlsx"
    write_workbook(path, "t", [Column("Text", lambda row: row)], INJECTIONS + ["plain", "a=b"])
    sheet = load_workbook(path).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    # XML reads a carriage return back as a line feed; the cell is still text.
    assert [cell.value for cell in cells] == [text.replace("\r", "\n") for text in INJECTIONS] + ["plain", "a=b"]
    assert all(cell.data_type == "s" for cell in cells)  # "f" would be a formula
    assert is_formula_like("=1") and not is_formula_like("1=1") and not is_formula_like(5)


def test_customer_names_that_look_like_formulas_export_as_text(client, team):
    for name in INJECTIONS[:3]:
        new_customer(team["sales"], name=name)
    login_as(client, team["sales"])
    cells = _column(_sheet(client.get("/customers/export")), "Name")
    assert sorted(cell.value for cell in cells) == sorted(INJECTIONS[:3])
    assert all(cell.data_type == "s" for cell in cells)


def test_the_export_is_the_filtered_list_in_the_users_scope(client, team):
    for number in range(30):
        new_customer(team["sales"], name=f"我的客户{number:02d}", stage=Stage.INTENDED.value if number % 3 else Stage.POTENTIAL.value)
    new_customer(team["colleague"], name="同事的客户", stage=Stage.INTENDED.value)
    login_as(client, team["sales"])
    sheet = _sheet(client.get("/customers/export?stage=intended&sort=name"))
    names = [cell.value for cell in _column(sheet, "Name")]
    expected, after = [], None
    while True:  # the list the page shows, page by page
        page = list_customers(team["sales"], CustomerFilters(stage="intended", sort="name"), after)
        expected += [row.name for row in page.rows]
        if not page.next_cursor:
            break
        after = page.next_cursor
    assert names == expected and len(names) == 20 and "同事的客户" not in names
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G21"
    login_as(client, team["head"])
    assert "同事的客户" in [cell.value for cell in _column(_sheet(client.get("/customers/export")), "Name")]


def test_dates_and_amounts_are_numbers_with_formats(client, team):
    customer = new_customer(team["sales"], name="华联超市", next_follow_up_on=date(2026, 12, 1))
    make_quote(customer, lines=[("苹果", "3", "33.33", "5"), ("包装费", "2.5", "12.35", "10")])
    login_as(client, team["sales"])
    next_date = _column(_sheet(client.get("/customers/export")), "Next follow-up")[0]
    assert next_date.is_date and next_date.value == datetime(2026, 12, 1) and next_date.number_format == "yyyy-mm-dd"
    response = client.get("/quotes/export")
    assert "filename" in response.headers["Content-Disposition"]
    amount = _column(_sheet(response), "Amount with tax")[0]
    assert amount.data_type == "n" and Decimal(str(amount.value)) == Decimal("138.74") and amount.number_format == "#,##0.00"


def test_a_customers_follow_ups_export_newest_first(client, team):
    customer = new_customer(team["sales"], name="华联超市")
    for hours in (30, 10, 20):
        make_follow_up(customer, team["sales"], summary=f"{hours} 小时前", ago=timedelta(hours=hours))
    make_follow_up(customer, team["sales"], summary="=cmd|' /C calc'!A0", ago=timedelta(hours=40))
    login_as(client, team["sales"])
    cells = _column(_sheet(client.get(f"/customers/{customer.id}/follow-ups/export")), "Summary")
    assert [cell.value for cell in cells] == ["10 小时前", "20 小时前", "30 小时前", "=cmd|' /C calc'!A0"]
    assert cells[-1].data_type == "s"
    login_as(client, team["outsider"])
    assert client.get(f"/customers/{customer.id}/follow-ups/export").status_code == 404
