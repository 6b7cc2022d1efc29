"""Factories shared by the follow-up, call, grade-policy and My day tests.

Kept apart from access_rules_followups.py, which access_matrix imports while it loads.
"""
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event

from portal.database import utcnow
from portal.extensions import db
from portal.models import Customer, FollowUp, FollowUpKind, Role
from portal.rules.customers import refresh_keys
from portal.rules.followups import ensure_default_grade_policies


def make_team(make_department, make_user) -> dict:
    """水果部: salespeople 刘洋 and 陈静, head 张伟, HR; 蔬菜部: salesperson 赵敏; an admin; the
    default grade policies. English pages, so assertions read the English messages."""
    fruit, veg = make_department("水果部"), make_department("蔬菜部")
    ensure_default_grade_policies()
    db.session.commit()
    return {
        "sales": make_user(Role.SALES, fruit, display_name="刘洋", language="en"),
        "colleague": make_user(Role.SALES, fruit, display_name="陈静", language="en"),
        "head": make_user(Role.HEAD, fruit, display_name="张伟", language="en"),
        "hr": make_user(Role.HR, fruit, language="en"),
        "outsider": make_user(Role.SALES, veg, display_name="赵敏", language="en"),
        "admin": make_user(Role.ADMIN, language="en"),
        "fruit": fruit,
        "veg": veg,
    }


def make_customer(owner, name="华联超市", department=None, **fields) -> Customer:
    """A customer owned by ``owner`` in ``department`` (default: the owner's)."""
    customer = Customer(
        name=name, owner_id=owner.id, department_id=(department or owner.department).id, **fields
    )
    refresh_keys(customer)
    db.session.add(customer)
    db.session.commit()
    return customer


def make_follow_up(customer, author, summary="电话沟通了需求", ago=timedelta(hours=1), **fields) -> FollowUp:
    follow_up = FollowUp(
        customer_id=customer.id,
        user_id=author.id,
        kind=fields.pop("kind", FollowUpKind.CALL_OUT.value),
        happened_at=fields.pop("happened_at", utcnow() - ago),
        summary=summary,
        **fields,
    )
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


@contextmanager
def count_statements(containing: str | None = None):
    """Counts the SQL statements run inside the block (those whose text holds ``containing``, if
    given): ``with count_statements() as statements: …; statements[0]``."""
    counter = [0]

    def before_execute(_connection, _cursor, statement, *_args):
        if containing is None or containing in statement:
            counter[0] += 1

    event.listen(db.engine, "before_cursor_execute", before_execute)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before_execute)
