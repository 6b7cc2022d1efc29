"""My day's first lines: the month of a salesperson, or of a head's department."""
from sqlalchemy import select

from portal.models import Role, User
from portal.rules.performance import MonthAtAGlance, month_at_a_glance


def month_people(user):
    """Whose records the month counts, as a subquery of user ids: a salesperson's own; for a head,
    the department's salespeople and heads, active or not (the team performance page's people);
    None for other roles. A subquery for one person too: with a literal id SQLite reads every
    contract of the person for the week's instalments instead of the week's instalments."""
    if user.role == Role.SALES:
        return select(User.id).where(User.id == user.id)
    if user.role == Role.HEAD and user.department_id is not None:
        return select(User.id).where(User.department_id == user.department_id,
                                     User.role.in_([Role.SALES.value, Role.HEAD.value]))
    return None


def month_for(user, today) -> MonthAtAGlance | None:
    people = month_people(user)
    return None if people is None else month_at_a_glance(people, today)
