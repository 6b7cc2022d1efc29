"""Access rules of grading, churn warnings and the staffing estimate."""
from access_matrix import CUSTOMER_SCOPED, OK, Rule

ANALYSTS = {"sales": 403, "head": OK, "hr": 403, "admin": OK}
CHURN = {"sales": OK, "head": OK, "hr": 403, "admin": OK}
# Acting on one customer's warning: the role, then the customer's scope.
ON_CUSTOMER = {**CUSTOMER_SCOPED, "hr": {"own": 403, "same_department": 403, "other_department": 403}}

RULES = [
    Rule("grading.index", ANALYSTS),
    Rule("grading.customers", ANALYSTS),
    Rule("grading.recompute", ANALYSTS, method="POST"),
    Rule("grading.staffing", ANALYSTS),
    Rule("grading.churn", CHURN),
    Rule("grading.churn_recompute", CHURN, method="POST"),
    Rule("grading.win_back", ON_CUSTOMER, url_args=lambda r: {"customer_id": r.customer.id}, method="POST"),
    Rule("grading.dismiss", ON_CUSTOMER, url_args=lambda r: {"customer_id": r.customer.id}, method="POST"),
]
