"""Access rules of the lost-order analysis, its drill-down, recording and review."""
from access_matrix import CUSTOMER_SCOPED, OK, Rule

from portal.extensions import db
from portal.lookups import ensure_default_entries, lookup_entries
from portal.models import LOST_REASON, CustomerLoss, LostOrder
from portal.rules.followups import company_today

ANALYSTS = {"sales": 403, "head": OK, "hr": 403, "admin": OK}
CUSTOMER_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
# Recording needs a customer role (HR 403), then the customer's scope.
RECORD = {**CUSTOMER_SCOPED, "hr": {"own": 403, "same_department": 403, "other_department": 403}}
# Reviewing is for heads (their department) and admin.
REVIEW = {
    "sales": {"own": 403, "same_department": 403, "other_department": 403},
    "head": {"own": OK, "same_department": OK, "other_department": 404},
    "hr": {"own": 403, "same_department": 403, "other_department": 403},
    "admin": {"own": OK, "same_department": OK, "other_department": OK},
}


def _lost_records(world, scope, records):
    ensure_default_entries(LOST_REASON)
    db.session.flush()
    customer = records.customer
    records.lost_order = LostOrder(customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
                                   lost_on=company_today(), reason_id=lookup_entries(LOST_REASON)[0].id, amount=100)
    db.session.add(records.lost_order)
    records.loss = CustomerLoss(customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id,
                                lost_on=company_today(), reason_id=records.lost_order.reason_id)
    db.session.add(records.loss)
    db.session.commit()


RECORD_BUILDERS = [_lost_records]

RULES = [
    Rule("lost.analysis", ANALYSTS),
    Rule("lost.export", ANALYSTS),
    Rule("lost.orders", CUSTOMER_ROLES),
    Rule("lost.new", RECORD, url_args=lambda r: {"customer_id": r.customer.id}),
    Rule("lost.review", REVIEW, url_args=lambda r: {"lost_order_id": r.lost_order.id}, method="POST"),
    Rule("lost.customers", CUSTOMER_ROLES),
    Rule("lost.mark_customer", RECORD, url_args=lambda r: {"customer_id": r.customer.id}),
    Rule("lost.win_back", RECORD, url_args=lambda r: {"loss_id": r.loss.id}, method="POST"),
]
