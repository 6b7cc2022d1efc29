"""Contracts through the routes: from a won quote, numbering, lines, the payment plan, payments and
their allocation, payment status in the list, deliveries and their limits, status steps, the
scanned contract, the delivery note, the customer page, My day, exports and merging."""
import io
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from conftest import customer_panels, login_as
from my_day_page import my_day_page
from contracts_factories import make_contract, make_delivery
from customer_factories import new_customer
from followups_factories import make_team
from portal.blueprints.contracts.queries import ContractFilters, list_contracts
from portal.company_settings import set_setting
from portal.database import utcnow
from portal.extensions import db
from portal.models import AuditEntry, Contract, ContractLine, Customer, Delivery, Instalment, Payment, Stage
from portal.rules.contracts import payment_status
from portal.rules.followups import company_today
from quotes_factories import make_product, make_quote

D = Decimal


@pytest.fixture
def team(make_department, make_user):
    return make_team(make_department, make_user)


@pytest.fixture
def customer(team):
    return new_customer(team["sales"], name="华联超市", contacts=["王经理"], address="上海市徐汇区漕溪北路 1 号")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _fresh(contract) -> Contract:
    db.session.expire_all()
    return db.session.get(Contract, contract.id)


def _days(n: int) -> str:
    return (company_today() + timedelta(days=n)).isoformat()


# --- creating -------------------------------------------------------------------------------------


def test_a_won_quote_becomes_a_contract_with_its_lines_and_terms(client, team, customer):
    product = make_product(cost="96.00")
    quote = make_quote(customer, lines=[("红富士苹果", "10", "128.00", "5")], status="won", decided_on=company_today(),
                       payment_terms="月结 30 天", delivery_terms="三日内送货")
    db.session.get(type(quote.lines[0]), quote.lines[0].id).product_id = product.id
    db.session.commit()
    login_as(client, team["sales"])
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert "Create contract" in page
    form = client.get(f"/quotes/{quote.id}/contract").get_data(as_text=True)
    assert "月结 30 天" in form and "三日内送货" in form
    response = client.post(f"/quotes/{quote.id}/contract", data={
        "signed_on": company_today().isoformat(), "tax_rate": "13", "payment_terms": "月结 30 天", "usage": "门店零售"})
    assert response.status_code == 303
    contract = db.session.scalar(select(Contract))
    assert contract.number == f"HT{company_today().year}-0001" and contract.quote_id == quote.id
    assert contract.amount_gross == quote.amount_gross == D("1374.08") and contract.usage == "门店零售"
    line = db.session.scalar(select(ContractLine))
    assert (line.name, line.quantity, line.discount_percent, line.amount, line.unit_cost) == (
        "红富士苹果", D("10.000"), D("5.00"), D("1216.00"), D("96.00"))
    assert db.session.get(Customer, customer.id).stage == Stage.SIGNED.value
    # One contract per quote: the quote page links to it and a second attempt goes to it.
    assert contract.number in client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    again = client.post(f"/quotes/{quote.id}/contract", data={"signed_on": company_today().isoformat(), "tax_rate": "13"})
    assert again.status_code == 303 and _count(Contract) == 1


def test_only_a_won_quote_becomes_a_contract(client, team, customer):
    quote = make_quote(customer, lines=[("梨", "1", "5", "0")], status="sent")
    login_as(client, team["sales"])
    response = client.post(f"/quotes/{quote.id}/contract", data={"signed_on": company_today().isoformat(), "tax_rate": "13"})
    assert response.status_code == 303 and _count(Contract) == 0


def test_contracts_are_numbered_per_year_without_gaps_and_sign_the_customer(client, team, customer):
    login_as(client, team["sales"])
    for _ in range(2):
        assert client.post(f"/contracts/new/{customer.id}", data={"signed_on": company_today().isoformat(), "tax_rate": "13"}).status_code == 303
    client.post(f"/contracts/new/{customer.id}", data={"signed_on": "2025-12-30", "tax_rate": "13"})
    year = company_today().year
    assert sorted(db.session.scalars(select(Contract.number))) == sorted(["HT2025-0001", f"HT{year}-0001", f"HT{year}-0002"])
    assert db.session.get(Customer, customer.id).stage == Stage.SIGNED.value


@pytest.mark.parametrize("fields, message", [
    ({"signed_on": "2999-01-01"}, "The date cannot be after today."),
    ({"signed_on": ""}, "Enter the date the contract was signed."),
    ({"tax_rate": "101"}, "The tax rate is a percentage from 0 to 100."),
])
def test_a_bad_header_is_refused_and_nothing_saved(client, team, customer, fields, message):
    login_as(client, team["sales"])
    response = client.post(f"/contracts/new/{customer.id}", data={"signed_on": company_today().isoformat(), "tax_rate": "13", **fields})
    assert response.status_code == 422 and message in response.get_data(as_text=True) and _count(Contract) == 0


def test_lines_are_added_and_removed_until_money_moves(client, team, customer):
    contract = make_contract(customer, lines=[])
    login_as(client, team["sales"])
    response = client.post(f"/contracts/{contract.id}/lines", headers={"HX-Request": "true", "HX-Target": "contract-lines"},
                           data={"name": "香蕉", "spec": "A级", "quantity": "3", "unit_price": "85"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert _fresh(contract).amount_gross == D("288.15")
    line = db.session.scalar(select(ContractLine))
    assert client.post(f"/contracts/{contract.id}/lines/{line.id}/remove").status_code == 303
    assert _fresh(contract).amount_gross == D("0.00")
    paid = make_contract(customer, payments=[(company_today(), "10")])
    refused = client.post(f"/contracts/{paid.id}/lines", data={"name": "梨", "quantity": "1", "unit_price": "5"}, follow_redirects=True)
    assert "The lines cannot change once money was received" in refused.get_data(as_text=True)
    assert _fresh(paid).amount_gross == D("1130.00")


# --- payment plan and payments -----------------------------------------------------------------------


def test_a_plan_that_does_not_add_up_is_refused(client, team, customer):
    contract = make_contract(customer)  # 1,130.00 with tax
    login_as(client, team["sales"])
    response = client.post(f"/contracts/{contract.id}/plan", data={
        "instalments-0-due_on": _days(3), "instalments-0-amount": "300",
        "instalments-1-due_on": _days(40), "instalments-1-amount": "800"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "1,100.00" in page and "1,130.00" in page and "30.00" in page
    assert _count(Instalment) == 0


def test_a_plan_row_needs_both_date_and_amount(client, team, customer):
    contract = make_contract(customer)
    login_as(client, team["sales"])
    response = client.post(f"/contracts/{contract.id}/plan", data={"instalments-0-amount": "1130"})
    assert response.status_code == 422 and "Enter the due date." in response.get_data(as_text=True)
    assert _count(Instalment) == 0


def test_a_plan_that_adds_up_replaces_the_old_one(client, team, customer):
    contract = make_contract(customer, plan=[(company_today(), "1130.00")])
    login_as(client, team["sales"])
    response = client.post(f"/contracts/{contract.id}/plan", data={
        "instalments-0-due_on": _days(40), "instalments-0-amount": "830",
        "instalments-1-due_on": _days(3), "instalments-1-amount": "300", "instalments-2-due_on": "", "instalments-2-amount": ""})
    assert response.status_code == 303
    live = db.session.scalars(select(Instalment).where(Instalment.archived_at.is_(None)).order_by(Instalment.position)).all()
    assert [(i.due_on.isoformat(), i.amount) for i in live] == [(_days(3), D("300.00")), (_days(40), D("830.00"))]
    assert _count(Instalment) == 3  # the old plan is archived, not deleted
    # What payments must reach to cover each instalment follows the new plan.
    assert [i.running_total for i in live] == [D("300.00"), D("1130.00")]


def test_running_totals_follow_due_dates_then_positions_within_the_live_plan(team, customer):
    """The order payments cover instalments: due date first, position on the same date; archived
    instalments count for nothing."""
    today = company_today()
    contract = make_contract(customer, plan=[(today + timedelta(days=30), "100.10"), (today, "200.20"),
                                             (today + timedelta(days=30), "829.70")])
    db.session.commit()
    rows = db.session.scalars(select(Instalment).where(Instalment.contract_id == contract.id).order_by(Instalment.position)).all()
    assert [i.running_total for i in rows] == [D("300.30"), D("200.20"), D("1130.00")]
    rows[1].archived_at = utcnow()
    db.session.commit()
    assert [i.running_total for i in (rows[0], rows[2])] == [D("100.10"), D("929.80")]


def test_a_payment_above_the_outstanding_amount_is_refused_with_the_amount(client, team, customer):
    contract = make_contract(customer, payments=[(company_today(), "1000")])
    login_as(client, team["sales"])
    response = client.post(f"/contracts/{contract.id}/payments/new", data={
        "received_on": company_today().isoformat(), "amount": "130.01", "method": "transfer"})
    assert response.status_code == 422 and "more than the outstanding 130.00" in response.get_data(as_text=True)
    assert _count(Payment) == 1 and _fresh(contract).amount_received == D("1000.00")


@pytest.mark.parametrize("fields, message", [
    ({"amount": "0"}, "The amount must be more than zero."),
    ({"amount": "-5"}, "The amount must be more than zero."),
    ({"received_on": "2999-01-01"}, "The date cannot be after today."),
    ({"method": "bitcoin"}, "Not a valid choice"),
])
def test_a_bad_payment_is_refused(client, team, customer, fields, message):
    contract = make_contract(customer)
    login_as(client, team["sales"])
    data = {"received_on": company_today().isoformat(), "amount": "100", "method": "cash", **fields}
    response = client.post(f"/contracts/{contract.id}/payments/new", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True) and _count(Payment) == 0


def test_payments_cover_the_oldest_instalment_and_set_the_status(client, team, customer):
    today = company_today()
    contract = make_contract(customer, plan=[(today - timedelta(days=1), "300.00"), (today + timedelta(days=30), "830.00")])
    login_as(client, team["sales"])
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "payment-overdue" in page
    client.post(f"/contracts/{contract.id}/payments/new", data={"received_on": today.isoformat(), "amount": "500", "method": "transfer"})
    contract = _fresh(contract)
    assert contract.amount_received == D("500.00")
    page = client.get(f"/contracts/{contract.id}").get_data(as_text=True)
    assert "payment-partly_paid" in page and "630.00" in page  # 500 covers the 300, then 200 of the 830
    client.post(f"/contracts/{contract.id}/payments/new", data={"received_on": today.isoformat(), "amount": "630", "method": "cash"})
    assert "payment-paid" in client.get(f"/contracts/{contract.id}").get_data(as_text=True)


def test_a_payment_taken_back_lowers_the_amount_received(client, team, customer):
    contract = make_contract(customer, payments=[(company_today(), "300")])
    payment = db.session.scalar(select(Payment))
    login_as(client, team["sales"])
    assert client.post(f"/contracts/{contract.id}/payments/{payment.id}/archive").status_code == 303
    assert _fresh(contract).amount_received == D("0.00") and db.session.get(Payment, payment.id).archived_at is not None


# --- the list, payment status and totals -------------------------------------------------------------


@pytest.fixture
def statuses(team, customer):
    """One contract of each payment status on fixed dates around today."""
    today = company_today()
    yesterday = today - timedelta(days=1)
    return {
        "unpaid": make_contract(customer, plan=[(today, "1130.00")]),  # due today: not overdue yet
        "overdue": make_contract(customer, plan=[(yesterday, "1130.00")]),
        "partly_paid": make_contract(customer, plan=[(yesterday, "300.00"), (today + timedelta(days=9), "830.00")],
                                     payments=[(yesterday, "300.00")]),
        "paid": make_contract(customer, plan=[(yesterday, "1130.00")], payments=[(yesterday, "1130.00")]),
    }


def test_the_payment_status_filter_agrees_with_the_rule(client, team, statuses):
    login_as(client, team["sales"])
    for status, contract in statuses.items():
        rows = list_contracts(team["sales"], ContractFilters(payment=status), None, company_today()).rows
        assert [row.number for row in rows] == [contract.number], status
        assert rows[0].payment_status == status
        page = client.get(f"/contracts/?payment={status}").get_data(as_text=True)
        assert contract.number in page and all(other.number not in page for other in statuses.values() if other is not contract)


def test_the_list_totals_cover_the_whole_filter_not_only_the_page(client, team, customer):
    for _ in range(27):
        make_contract(customer, payments=[(company_today(), "130.00")])
    login_as(client, team["sales"])
    page = client.get("/contracts/").get_data(as_text=True)
    assert "27 contracts" in page and "30,510.00" in page and "3,510.00" in page and "27,000.00" in page
    assert page.count("/contracts/") and "Next" in page
    assert "11.5 %" in page  # 130 of 1,130 collected


@pytest.mark.parametrize("role", ["sales", "head", "admin"])
def test_the_list_totals_are_read_from_an_index_alone(client, team, customer, role):
    """The count and sums of every role's default list come from a covering index (SQLite's plan),
    and each row links to its contract."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
    contract = make_contract(customer, payments=[(company_today(), "130.00")])
    login_as(client, team[role])
    statements = []

    def remember(_conn, _cursor, statement, parameters, _context, _executemany):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = client.get("/contracts/", headers={"HX-Request": "true", "HX-Target": "contract-rows"}).get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert f'<a href="/contracts/{contract.id}">{contract.number}</a>' in page and "1 contract" in page
    [(totals, parameters)] = [(sql, p) for sql, p in statements if "count(*)" in sql and "FROM contracts" in sql]
    plan = " / ".join(row[-1] for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + totals, parameters))
    assert "USING COVERING INDEX" in plan, plan


def test_the_list_is_scoped(client, team, customer):
    mine = make_contract(customer)
    theirs = make_contract(new_customer(team["outsider"], name="外部门客户"))
    login_as(client, team["sales"])
    page = client.get("/contracts/").get_data(as_text=True)
    assert mine.number in page and theirs.number not in page
    login_as(client, team["head"])
    page = client.get("/contracts/").get_data(as_text=True)
    assert mine.number in page and theirs.number not in page
    login_as(client, team["admin"])
    page = client.get("/contracts/").get_data(as_text=True)
    assert mine.number in page and theirs.number in page


def test_the_exports_hold_the_filtered_rows_with_real_numbers(client, team, statuses):
    login_as(client, team["head"])
    response = client.get("/contracts/export?payment=overdue")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == statuses["overdue"].number and rows[1][6] == 1130
    payments = load_workbook(io.BytesIO(client.get("/payments/export").data)).active
    assert sorted(row[5] for row in list(payments.iter_rows(values_only=True))[1:]) == [300, 1130]
    assert "300.00" in client.get("/payments/").get_data(as_text=True)


# --- deliveries ------------------------------------------------------------------------------------


def _delivery_form(contract, **fields):
    line = db.session.scalar(select(ContractLine).where(ContractLine.contract_id == contract.id))
    return {"planned_on": _days(2), "address_choice": "1", "new_address": "", "receiver": "李收货",
            "receiver_phone": "139", f"quantity_{line.id}": "4", **fields}, line


def test_a_delivery_goes_to_a_known_or_new_address_within_the_remaining_quantity(client, team, customer):
    contract = make_contract(customer)
    login_as(client, team["sales"])
    form = client.get(f"/contracts/{contract.id}/deliveries/new").get_data(as_text=True)
    assert "上海市徐汇区漕溪北路 1 号" in form
    data, line = _delivery_form(contract)
    assert client.post(f"/contracts/{contract.id}/deliveries/new", data=data).status_code == 303
    delivery = db.session.scalar(select(Delivery))
    assert delivery.address == "上海市徐汇区漕溪北路 1 号" and delivery.lines[0].quantity == D("4.000")
    data, _ = _delivery_form(contract, address_choice="0", new_address="苏州工业园区 8 号", **{f"quantity_{line.id}": "6"})
    assert client.post(f"/contracts/{contract.id}/deliveries/new", data=data).status_code == 303
    assert _count(Delivery) == 2


@pytest.mark.parametrize("fields, message", [
    ({"QTY": "6.001"}, "Only 6 remain to deliver."),
    ({"QTY": "0"}, "Enter the quantity of at least one line."),
    ({"planned_on": "2020-01-01"}, "A delivery cannot be before the contract was signed"),
    ({"address_choice": "0", "new_address": ""}, "Pick an address or type a new one."),
    ({"address_choice": "9"}, "Not a valid choice"),
])
def test_a_bad_delivery_is_refused_and_nothing_saved(client, team, customer, fields, message):
    contract = make_contract(customer)
    make_delivery(contract, quantities={1: 4})
    login_as(client, team["sales"])
    data, line = _delivery_form(contract)
    if "QTY" in fields:
        fields = {f"quantity_{line.id}": fields.pop("QTY"), **fields}
    response = client.post(f"/contracts/{contract.id}/deliveries/new", data={**data, **fields})
    assert response.status_code == 422 and message in response.get_data(as_text=True) and _count(Delivery) == 1


def test_overdue_deliveries_are_flagged_and_recorded_as_delivered(client, team, customer):
    contract = make_contract(customer, signed_on=company_today() - timedelta(days=10))
    late = make_delivery(contract, planned_on=company_today() - timedelta(days=1))
    login_as(client, team["sales"])
    assert "badge overdue" in client.get("/deliveries/?kind=overdue").get_data(as_text=True)
    assert client.post(f"/contracts/{contract.id}/deliveries/{late.id}/delivered",
                       data={"delivered_on": "2020-01-01"}).status_code == 422
    assert client.post(f"/contracts/{contract.id}/deliveries/{late.id}/delivered",
                       data={"delivered_on": company_today().isoformat()}).status_code == 303
    assert db.session.get(Delivery, late.id).delivered_on == company_today()
    assert "No delivery matches" in client.get("/deliveries/?kind=overdue").get_data(as_text=True)


def test_the_delivery_note_shows_quantities_and_no_prices(client, team, customer):
    contract = make_contract(customer, lines=[("阳光玫瑰葡萄", "7", "260.00")])
    delivery = make_delivery(contract)
    login_as(client, team["sales"])
    page = client.get(f"/contracts/{contract.id}/deliveries/{delivery.id}/note").get_data(as_text=True)
    assert f"{contract.number}-S1" in page and "阳光玫瑰葡萄" in page and "上海市浦东新区 1 号" in page and "李收货" in page
    assert "260" not in page and "1,820" not in page and "Signature" in page
    pdf = client.get(f"/contracts/{contract.id}/deliveries/{delivery.id}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"


# --- status steps -------------------------------------------------------------------------------------


def test_status_steps_follow_the_rules(client, team, customer):
    contract = make_contract(customer)
    login_as(client, team["sales"])
    # Not everything delivered yet, and no jump to completed.
    for target in ("delivered", "completed", "in_progress"):
        client.post(f"/contracts/{contract.id}/status", data={"to": target})
        assert _fresh(contract).status == "in_progress", target
    make_delivery(contract, delivered_on=company_today())
    assert client.post(f"/contracts/{contract.id}/status", data={"to": "delivered"}).status_code == 303
    assert _fresh(contract).status == "delivered"
    refused = client.post(f"/contracts/{contract.id}/status", data={"to": "completed"}, follow_redirects=True)
    assert "paid in full before it is completed" in refused.get_data(as_text=True) and _fresh(contract).status == "delivered"
    client.post(f"/contracts/{contract.id}/payments/new", data={"received_on": company_today().isoformat(), "amount": "1130", "method": "transfer"})
    client.post(f"/contracts/{contract.id}/status", data={"to": "completed"})
    assert _fresh(contract).status == "completed"
    assert client.get(f"/contracts/{contract.id}/cancel").status_code == 303  # final


def test_cancelling_needs_a_reason_and_stops_payments(client, team, customer):
    contract = make_contract(customer)
    login_as(client, team["sales"])
    response = client.post(f"/contracts/{contract.id}/cancel", data={"reason": ""})
    assert response.status_code == 422 and "Say why the contract is cancelled." in response.get_data(as_text=True)
    assert _fresh(contract).status == "in_progress"
    client.post(f"/contracts/{contract.id}/cancel", data={"reason": "客户需求取消"})
    assert (_fresh(contract).status, _fresh(contract).cancel_reason) == ("cancelled", "客户需求取消")
    client.post(f"/contracts/{contract.id}/payments/new", data={"received_on": company_today().isoformat(), "amount": "1", "method": "cash"})
    assert _count(Payment) == 0


# --- the scanned contract ------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(client, contract, content: bytes, name: str):
    return client.post(f"/contracts/{contract.id}/scan", data={"scan": (io.BytesIO(content), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_a_scan_is_stored_outside_static_and_served_only_in_scope(app, client, team, customer):
    contract = make_contract(customer)
    login_as(client, team["sales"])
    page = _upload(client, contract, PDF_BYTES, "合同扫描.pdf").get_data(as_text=True)
    assert "Scanned contract uploaded." in page
    stored = _fresh(contract)
    path = Path(app.instance_path) / "uploads" / "contract_scans" / stored.scan_file
    assert path.read_bytes() == PDF_BYTES and stored.scan_file != "合同扫描.pdf" and "static" not in str(path)
    response = client.get(f"/contracts/{contract.id}/scan")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment")
    response.close()
    login_as(client, team["head"])
    response = client.get(f"/contracts/{contract.id}/scan")
    assert response.status_code == 200
    response.close()
    for stranger in ("outsider", "colleague", "hr"):
        login_as(client, team[stranger])
        assert client.get(f"/contracts/{contract.id}/scan").status_code == 404, stranger


@pytest.mark.parametrize("content, name, message", [
    (b"MZ\x90\x00" + b"\x00" * 200, "合同.pdf", "Only a PDF or an image"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "scan.jpg", "Only a PDF or an image"),
    (b"<html><script>alert(1)</script></html>", "scan.png", "Only a PDF or an image"),
    (b"", "empty.pdf", "The file is empty."),
])
def test_a_file_that_is_not_a_pdf_or_image_is_refused(app, client, team, customer, content, name, message):
    contract = make_contract(customer)
    login_as(client, team["sales"])
    before = set((Path(app.instance_path) / "uploads").rglob("*")) if (Path(app.instance_path) / "uploads").exists() else set()
    page = _upload(client, contract, content, name).get_data(as_text=True)
    assert message in page and _fresh(contract).scan_file is None
    after = set((Path(app.instance_path) / "uploads").rglob("*")) if (Path(app.instance_path) / "uploads").exists() else set()
    assert {p for p in after - before if p.is_file()} == set()


def test_a_file_over_the_size_limit_is_refused(client, team, customer):
    set_setting("contracts.scan_max_mb", 1)
    db.session.commit()
    contract = make_contract(customer)
    login_as(client, team["sales"])
    page = _upload(client, contract, PDF_BYTES + b"0" * (1024 * 1024), "big.pdf").get_data(as_text=True)
    assert "larger than 1 MB" in page and _fresh(contract).scan_file is None


def _scan_files(app) -> set[str]:
    folder = Path(app.instance_path) / "uploads" / "contract_scans"
    return {path.name for path in folder.iterdir() if path.is_file()} if folder.exists() else set()


def _scan_rows() -> set[str]:
    return set(db.session.scalars(select(Contract.scan_file).where(Contract.scan_file.is_not(None))))


def test_every_scan_file_belongs_to_a_contract_after_upload_replace_and_archive(app, client, team, customer):
    shutil.rmtree(Path(app.instance_path) / "uploads" / "contract_scans", ignore_errors=True)  # earlier tests' files
    first, second = make_contract(customer), make_contract(customer)
    login_as(client, team["sales"])
    _upload(client, first, PDF_BYTES, "first.pdf")
    _upload(client, second, PDF_BYTES, "second.pdf")
    assert _scan_files(app) == _scan_rows() and len(_scan_rows()) == 2
    replaced = _fresh(first).scan_file
    _upload(client, first, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "again.png")
    _upload(client, first, PDF_BYTES, "third.pdf")
    assert _fresh(first).scan_name == "third.pdf" and replaced not in _scan_files(app)
    assert _scan_files(app) == _scan_rows() and len(_scan_rows()) == 2
    _upload(client, first, b"MZ" + b"\x00" * 64, "refused.pdf")  # refused: the saved scan stays
    assert _fresh(first).scan_name == "third.pdf" and _scan_files(app) == _scan_rows()
    assert client.post(f"/contracts/{second.id}/archive").status_code == 303
    assert _fresh(second).archived_at is not None
    assert _scan_files(app) == _scan_rows() and len(_scan_rows()) == 2  # an archived contract can be restored with its scan
    history = [entry.changes for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.record_type == "contracts", AuditEntry.record_id == first.id))]
    assert any(change.get("scan_name", [None, None])[1] == "again.png" for change in history)  # the history names it


# --- the customer page, My day, merging -------------------------------------------------------------


def test_the_customer_page_shows_the_purchase_history(client, team, customer):
    today = company_today()
    make_contract(customer, signed_on=today - timedelta(days=100), payments=[(today - timedelta(days=90), "1130.00")])
    make_contract(customer, signed_on=today - timedelta(days=10), lines=[("梨", "2", "50")], payments=[(today, "13.00")])
    make_contract(customer, signed_on=today - timedelta(days=5), status="cancelled")
    login_as(client, team["sales"])
    page = customer_panels(client, customer.id)
    assert "Purchase history" in page
    for text in ("1,243.00", "1,143.00", "100.00", (today - timedelta(days=100)).isoformat(), (today - timedelta(days=10)).isoformat()):
        assert text in page, text


def test_my_day_lists_instalments_and_deliveries_for_the_owner_and_the_head(client, team, customer):
    today = company_today()
    contract = make_contract(customer, signed_on=today - timedelta(days=30),
                             plan=[(today - timedelta(days=2), "300.00"), (today + timedelta(days=5), "830.00")],
                             payments=[(today - timedelta(days=3), "100.00")])
    make_delivery(contract, quantities={1: 2}, planned_on=today - timedelta(days=1))
    make_delivery(contract, quantities={1: 3}, planned_on=today + timedelta(days=6))
    make_delivery(contract, quantities={1: 1}, planned_on=today + timedelta(days=8))
    for who in ("sales", "head"):
        login_as(client, team[who])
        page = my_day_page(client)
        assert "200.00 due" in page and "830.00 due" in page, who
        assert f"{contract.number}-S1" in page and f"{contract.number}-S2" in page and f"{contract.number}-S3" not in page
    login_as(client, team["outsider"])
    assert contract.number not in my_day_page(client)
    login_as(client, team["admin"])  # the whole company's are worked from the contract lists
    assert "Payments and deliveries" not in my_day_page(client)


def test_open_instalments_split_into_overdue_and_due_each_cut_at_the_limit(team, customer):
    """Paid instalments and those after the window are left out; each list keeps its oldest."""
    from portal.blueprints.contracts.reminders import open_instalments

    today = company_today()
    paid = make_contract(customer, plan=[(today - timedelta(days=40), "1130.00")], payments=[(today - timedelta(days=41), "1130.00")])
    part = make_contract(customer, plan=[(today - timedelta(days=30), "500.00"), (today - timedelta(days=20), "630.00")],
                         payments=[(today - timedelta(days=25), "600.00")])
    late = [make_contract(customer, plan=[(today - timedelta(days=10 - n), "1130.00")]) for n in range(3)]
    soon = [make_contract(customer, plan=[(today + timedelta(days=n), "1130.00")]) for n in range(3)]
    make_contract(customer, plan=[(today + timedelta(days=8), "1130.00")])  # after the window
    overdue, due = open_instalments(team["sales"], today, today + timedelta(days=7), limit=3)
    assert [(item.contract_id, item.open_amount) for item in overdue] == [
        (part.id, Decimal("530.00")), (late[0].id, Decimal("1130.00")), (late[1].id, Decimal("1130.00"))]
    assert [item.contract_id for item in due] == [contract.id for contract in soon]
    assert {item.total for item in overdue} == {4} and {item.total for item in due} == {3}  # before the cut
    assert paid.id not in {item.contract_id for item in overdue + due}
    assert open_instalments(team["outsider"], today, today + timedelta(days=7)) == ([], [])


def test_merging_customers_moves_their_contracts(client, team, customer):
    from portal.blueprints.customers.operations import merge_customers

    duplicate = new_customer(team["sales"], name="华联超市（重复）")
    contract = make_contract(duplicate, payments=[(company_today(), "10")])
    merge_customers(customer, duplicate)
    db.session.commit()
    assert _fresh(contract).customer_id == customer.id
    assert db.session.scalar(select(Payment.customer_id)) == customer.id


def test_the_rule_and_the_list_give_one_status(statuses):
    """The status the detail page computes with the rule equals the list's for every contract."""
    from portal.blueprints.contracts.queries import live_instalments
    from portal.rules.contracts import amount_due_before

    today = company_today()
    for status, contract in statuses.items():
        due = amount_due_before([(i.due_on, i.amount) for i in live_instalments(contract.id)], today)
        assert payment_status(contract.amount_gross, contract.amount_received, due) == status
