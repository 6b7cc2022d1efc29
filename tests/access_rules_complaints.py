"""Access rules of complaints."""
from access_matrix import CUSTOMER_SCOPED, OK, Rule
from complaints_factories import make_complaint

COMPLAINT_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
HEADS_AND_ADMIN = {"sales": 403, "head": OK, "hr": 403, "admin": OK}
# Reassigning: heads and admin only (a salesperson 403 before the scope is looked at).
REASSIGN = {**CUSTOMER_SCOPED, "sales": {"own": 403, "same_department": 403, "other_department": 403},
            "hr": {"own": 403, "same_department": 403, "other_department": 403}}
# Intake for a customer: the role first, then the customer's scope.
NEW_FOR = {**CUSTOMER_SCOPED, "hr": {"own": 403, "same_department": 403, "other_department": 403}}


def _complaint_records(world, scope, records):
    records.complaint = make_complaint(records.customer)


def _complaint(records):
    return {"complaint_id": records.complaint.id}


RECORD_BUILDERS = [_complaint_records]

RULES = [
    Rule("complaints.index", COMPLAINT_ROLES),
    Rule("complaints.export", COMPLAINT_ROLES),
    Rule("complaints.new", COMPLAINT_ROLES),
    Rule("complaints.new", NEW_FOR, url_args=lambda r: {"customer": r.customer.id}),
    Rule("complaints.summary", HEADS_AND_ADMIN),
    Rule("complaints.detail", CUSTOMER_SCOPED, url_args=_complaint),
    Rule("complaints.step", CUSTOMER_SCOPED, url_args=_complaint, method="POST", data={"note": "已联系客户"}),
    Rule("complaints.reassign", REASSIGN, url_args=_complaint, method="POST", data={"handler_id": "0"}),
    Rule("audit.history", CUSTOMER_SCOPED, url_args=lambda r: {"record_type": "complaints", "record_id": r.complaint.id}),
]
