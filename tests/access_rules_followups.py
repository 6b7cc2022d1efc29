"""Access rules for follow-ups, inbound calls and the grade policy."""
from access_matrix import ADMIN_ONLY, CUSTOMER_SCOPED, OK, Rule
from followups_factories import make_customer, make_follow_up
from portal.extensions import db
from portal.models import GradePolicy

CALL_ROLES = {"sales": OK, "head": OK, "hr": 403, "admin": OK}


def _follow_up_records(world, scope, records):
    owner = {"own": world.actor, "same_department": world.colleague, "other_department": world.outsider}[scope]
    department = world.department_b if scope == "other_department" else world.department_a
    customer = make_customer(owner, department=department)
    records.follow_up_customer = customer
    records.follow_up = make_follow_up(customer, owner)
    policy = GradePolicy(grade="Z", interval_days=5)
    db.session.add(policy)
    db.session.commit()
    records.grade_policy = policy


RECORD_BUILDERS = [_follow_up_records]


def _customer(r):
    return {"customer_id": r.follow_up_customer.id}


def _follow_up(r):
    return {"customer_id": r.follow_up_customer.id, "follow_up_id": r.follow_up.id}


RULES = [
    Rule("followups.index", CUSTOMER_SCOPED, url_args=_customer),
    Rule("followups.export", CUSTOMER_SCOPED, url_args=_customer),
    Rule(
        "followups.create",
        CUSTOMER_SCOPED,
        url_args=_customer,
        method="POST",
        data={"kind": "call_out", "happened_at": "2024-05-06T10:00", "summary": "回访"},
    ),
    Rule("followups.edit", CUSTOMER_SCOPED, url_args=_follow_up),
    Rule("followups.archive", CUSTOMER_SCOPED, url_args=_follow_up),
    Rule("calls.new", CALL_ROLES),
    Rule("calls.match", CALL_ROLES),
    Rule("settings.grades", ADMIN_ONLY),
    Rule("settings.company", ADMIN_ONLY),
    Rule("settings.company", ADMIN_ONLY, method="POST", data={"company__name": "测试公司"}),
    Rule("settings.grade_edit", ADMIN_ONLY, url_args=lambda r: {"policy_id": r.grade_policy.id}),
    Rule("settings.grade_archive", ADMIN_ONLY, url_args=lambda r: {"policy_id": r.grade_policy.id}),
]
