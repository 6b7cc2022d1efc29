"""Access rules of contracts, payments and deliveries."""
from datetime import date, timedelta

from sqlalchemy import select

from access_matrix import CUSTOMER_SCOPED, OK, Rule
from contracts_factories import make_contract, make_delivery
from portal.extensions import db
from portal.models import ContractLine, Payment
from portal.rules.followups import company_today
from quotes_factories import make_quote

CONTRACT_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
# Starting a contract needs a contract role (HR: 403), then the customer's (or quote's) scope.
CONTRACT_NEW = {**CUSTOMER_SCOPED, "hr": {"own": 403, "same_department": 403, "other_department": 403}}


def _contract_records(world, scope, records):
    today = company_today()
    records.contract = make_contract(records.customer, signed_on=today - timedelta(days=20),
                                     plan=[(today - timedelta(days=10), "1130.00")], payments=[(today - timedelta(days=5), "100.00")])
    records.delivery = make_delivery(records.contract, quantities={1: 2})
    records.contract_line = db.session.scalar(select(ContractLine).where(ContractLine.contract_id == records.contract.id))
    records.payment = db.session.scalar(select(Payment).where(Payment.contract_id == records.contract.id))
    records.won_quote = make_quote(records.customer, lines=[("梨", "5", "20.00", "0")], status="won", decided_on=today)


def _contract(records):
    return {"contract_id": records.contract.id}


def _delivery(records):
    return {"contract_id": records.contract.id, "delivery_id": records.delivery.id}


RECORD_BUILDERS = [_contract_records]
# A day inside every record's life (signed 20 days ago), fixed when the rules load.
TODAY = (date.today() - timedelta(days=10)).isoformat()

RULES = [
    Rule("contracts.index", CONTRACT_ROLES),
    Rule("contracts.export", CONTRACT_ROLES),
    Rule("contracts.payments", CONTRACT_ROLES),
    Rule("contracts.payments_export", CONTRACT_ROLES),
    Rule("contracts.deliveries", CONTRACT_ROLES),
    Rule("contracts.deliveries_export", CONTRACT_ROLES),
    Rule("contracts.choose_customer", CONTRACT_ROLES),
    Rule("contracts.new", CONTRACT_NEW, url_args=lambda r: {"customer_id": r.customer.id}),
    Rule("contracts.new", CONTRACT_NEW, url_args=lambda r: {"customer_id": r.customer.id}, method="POST",
         data={"signed_on": TODAY, "tax_rate": "13"}),
    Rule("contracts.from_quote", CONTRACT_NEW, url_args=lambda r: {"quote_id": r.won_quote.id}),
    Rule("contracts.from_quote", CONTRACT_NEW, url_args=lambda r: {"quote_id": r.won_quote.id}, method="POST",
         data={"signed_on": TODAY, "tax_rate": "13"}),
    Rule("contracts.detail", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.edit", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.edit", CUSTOMER_SCOPED, url_args=_contract, method="POST", data={"usage": "食堂"}),
    Rule("contracts.line_add", CUSTOMER_SCOPED, url_args=_contract, method="POST", data={"name": "香蕉", "quantity": "1", "unit_price": "5"}),
    Rule("contracts.line_remove", CUSTOMER_SCOPED, url_args=lambda r: {"contract_id": r.contract.id, "line_id": r.contract_line.id}),
    Rule("contracts.line_remove", CUSTOMER_SCOPED, url_args=lambda r: {"contract_id": r.contract.id, "line_id": r.contract_line.id}, method="POST"),
    Rule("contracts.archive", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.change_status", CUSTOMER_SCOPED, url_args=_contract, method="POST", data={"to": "delivered"}),
    Rule("contracts.cancel", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.cancel", CUSTOMER_SCOPED, url_args=_contract, method="POST", data={"reason": "客户取消"}),
    Rule("contracts.plan", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.plan", CUSTOMER_SCOPED, url_args=_contract, method="POST",
         data={"instalments-0-due_on": TODAY, "instalments-0-amount": "1130.00"}),
    Rule("contracts.payment_new", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.payment_new", CUSTOMER_SCOPED, url_args=_contract, method="POST",
         data={"received_on": TODAY, "amount": "10", "method": "cash"}),
    Rule("contracts.payment_archive", CUSTOMER_SCOPED, url_args=lambda r: {"contract_id": r.contract.id, "payment_id": r.payment.id}),
    Rule("contracts.delivery_new", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.delivery_new", CUSTOMER_SCOPED, url_args=_contract, method="POST",
         data={"planned_on": TODAY, "new_address": "北京", "address_choice": "0"}),
    Rule("contracts.delivery_done", CUSTOMER_SCOPED, url_args=_delivery),
    Rule("contracts.delivery_done", CUSTOMER_SCOPED, url_args=_delivery, method="POST", data={"delivered_on": TODAY}),
    Rule("contracts.delivery_note", CUSTOMER_SCOPED, url_args=_delivery),
    Rule("contracts.delivery_pdf", CUSTOMER_SCOPED, url_args=_delivery),
    Rule("contracts.document", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.document_pdf", CUSTOMER_SCOPED, url_args=_contract),
    Rule("contracts.scan_upload", CUSTOMER_SCOPED, url_args=_contract, method="POST"),
    # No scan uploaded: 404 for everyone, which the file tests in test_contracts.py go beyond.
    Rule("contracts.scan", {role: {"own": 404, "same_department": 404, "other_department": 404} for role in ("sales", "head", "hr", "admin")}, url_args=_contract),
    Rule("audit.history", CUSTOMER_SCOPED, url_args=lambda r: {"record_type": "contracts", "record_id": r.contract.id}),
]
