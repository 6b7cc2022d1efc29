"""My day's first lines: the month of a salesperson, or of a head's department."""
from sqlalchemy import bindparam, select

from portal.models import Role, User
from portal.rules.performance import MonthAtAGlance, month_at_a_glance

# Whose records the month counts. One person through a subquery too: with a literal id SQLite reads
# every contract of the person for the week's instalments instead of the week's instalments.
ONE_PERSON = select(User.id).where(User.id == bindparam("person_id")).scalar_subquery()
# A head's department: its salespeople and heads, active or not (the team performance page's people).
DEPARTMENT_PEOPLE = select(User.id).where(
    User.department_id == bindparam("department_id"), User.role.in_([Role.SALES.value, Role.HEAD.value])
).scalar_subquery()


def month_for(user, today) -> MonthAtAGlance | None:
    """The month so far of a salesperson, or of a head's department; None for other roles."""
    if user.role == Role.SALES:
        return month_at_a_glance(ONE_PERSON, today, person_id=user.id)
    if user.role == Role.HEAD and user.department_id is not None:
        return month_at_a_glance(DEPARTMENT_PEOPLE, today, department_id=user.department_id)
    return None
