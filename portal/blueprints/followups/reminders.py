"""My day sections built on follow-ups (客户提醒): due today, overdue, birthdays, overdue per person.

Each section runs a fixed number of statements whatever the number of rows: the due and overdue
lists read the (owner_id, next_follow_up_on) or (department_id, next_follow_up_on) index through
``scope_clause`` and load each owner in the same statement; team counts are one GROUP BY.
"""
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Integer, and_, bindparam, case, func, or_, select

from portal.access import person_parameters, scope_clause, someone
from portal.extensions import db
from portal.models import Contact, Customer, Department, Role, User
from portal.reminders import LIST_LIMIT, ReminderSection, list_total, register_reminders
from portal.rules.followups import birthday_window, company_today, days_overdue, days_until_birthday

BIRTHDAY_DAYS = 7
CUSTOMER_ROLES = (Role.SALES.value, Role.HEAD.value)


DUE_COLUMNS = (
    Customer.id,
    Customer.name,
    Customer.intention_grade,
    Customer.mobile,
    Customer.phone,
    Customer.last_follow_up_at,
    Customer.next_follow_up_on,
)


@dataclass
class DueFollowUps:
    today: date
    due_today: list  # rows of DUE_COLUMNS
    overdue: list[tuple]  # (row, days overdue), oldest first
    due_count: int
    overdue_count: int
    limit: int


def _count_when(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def due_follow_ups(user, today: date, limit: int = LIST_LIMIT) -> DueFollowUps:
    """The user's customers (a head: the department's) planned for ``today`` and those past their date.

    Overdue = ``next_follow_up_on < today``, listed oldest date first with
    ``days_overdue = today − next_follow_up_on``; each list is cut at ``limit``. Three statements,
    built once per role and limit and reused (``_due_statements``).
    """
    due_today, overdue, counts = _due_statements(Role(user.role), limit)
    parameters = {"today": today, **person_parameters(user)}
    due_today = db.session.execute(due_today, parameters).all()
    overdue = db.session.execute(overdue, parameters).all()
    due_count, overdue_count = db.session.execute(counts, parameters).one()
    return DueFollowUps(
        today=today,
        due_today=list(due_today),
        overdue=[(customer, days_overdue(customer.next_follow_up_on, today)) for customer in overdue],
        due_count=due_count,
        overdue_count=overdue_count,
        limit=limit,
    )


@lru_cache(maxsize=8)
def _due_statements(role: Role, limit: int):
    """(due today, overdue, counts) for anyone of ``role``, the person, their department and today
    bound at execution (``person_id``, ``department_id``, ``today``). Built once and reused, a
    request pays neither for building them nor for their cache keys (My day's most frequent
    statements: 3 of a salesperson's 6). The scope is ``scope_clause``'s, for ``someone`` of the role."""
    today = bindparam("today", type_=Date)
    in_scope = and_(scope_clause(Customer, someone(role)), Customer.archived_at.is_(None))
    # Only the columns the lists show.
    listed = select(*DUE_COLUMNS, User.display_name.label("owner_name")).join(User, User.id == Customer.owner_id).where(in_scope)
    return (
        listed.where(Customer.next_follow_up_on == today).order_by(Customer.name, Customer.id).limit(limit),
        listed.where(Customer.next_follow_up_on < today).order_by(Customer.next_follow_up_on, Customer.id).limit(limit),
        select(_count_when(Customer.next_follow_up_on == today), _count_when(Customer.next_follow_up_on < today)).where(
            in_scope, Customer.next_follow_up_on <= today
        ),
    )


@dataclass
class WorkloadRow:
    label: str
    due_today: int
    overdue: int


def team_workload(department_id: int, today: date) -> list[WorkloadRow]:
    """Per active salesperson (and head) of the department: customers due today and overdue, most overdue first.

    One GROUP BY statement; people with nothing due are listed with zeros.
    """
    joined = and_(
        Customer.owner_id == User.id,
        Customer.department_id == department_id,
        Customer.archived_at.is_(None),
        Customer.next_follow_up_on <= today,
    )
    overdue = _count_when(Customer.next_follow_up_on < today)
    rows = db.session.execute(
        select(User.display_name, _count_when(Customer.next_follow_up_on == today), overdue)
        .select_from(User)
        .outerjoin(Customer, joined)
        .where(User.department_id == department_id, User.active.is_(True), User.role.in_(CUSTOMER_ROLES))
        .group_by(User.id, User.display_name)
        .order_by(overdue.desc(), User.display_name)
    ).all()
    return [WorkloadRow(name, due, late) for name, due, late in rows]


def department_workload(today: date) -> list[WorkloadRow]:
    """Per active department: customers due today and overdue, most overdue first. One GROUP BY statement."""
    joined = and_(
        Customer.department_id == Department.id,
        Customer.archived_at.is_(None),
        Customer.next_follow_up_on <= today,
    )
    overdue = _count_when(Customer.next_follow_up_on < today)
    rows = db.session.execute(
        select(Department.name, _count_when(Customer.next_follow_up_on == today), overdue)
        .select_from(Department)
        .outerjoin(Customer, joined)
        .where(Department.archived_at.is_(None))
        .group_by(Department.id, Department.name)
        .order_by(overdue.desc(), Department.name)
    ).all()
    return [WorkloadRow(name, due, late) for name, due, late in rows]


@dataclass
class Birthdays:
    rows: list[tuple]  # (row, days until the birthday); a row has the contact's id, name, title,
    # birthday_md and its customer's customer_id and customer_name
    total: int


def upcoming_birthdays(user, today: date, days: int = BIRTHDAY_DAYS, limit: int = LIST_LIMIT) -> Birthdays:
    """The contacts of the user's customers whose birthday falls on ``today`` or the ``days − 1``
    days after, soonest first, cut at ``limit``, and how many there are. Across the new year the
    window wraps (29 Dec – 4 Jan: ``md >= 1229 OR md <= 104``). One statement on the
    ``birthday_md`` index, built once per role, kind of window and limit.
    """
    start, end = birthday_window(today, days)
    rows = db.session.execute(_birthdays_statement(Role(user.role), start > end, limit),
                              {"start": start, "end": end, **person_parameters(user)}).all()
    return Birthdays([(row, days_until_birthday(row.birthday_md, today)) for row in rows], list_total(rows))


@lru_cache(maxsize=16)
def _birthdays_statement(role: Role, wraps: bool, limit: int):
    """``upcoming_birthdays``' statement for anyone of ``role`` (``someone``) and a window that
    crosses the new year or not, the person and the window (``start``, ``end``: month × 100 +
    day) bound when it runs; built once (building it cost a seventh of running it)."""
    md, start, end = Contact.birthday_md, bindparam("start", type_=Integer), bindparam("end", type_=Integer)
    in_window = or_(md >= start, md <= end) if wraps else md.between(start, end)
    stmt = (
        select(Contact.id, Contact.name, Contact.title, Contact.birthday_md, Customer.id.label("customer_id"),
               Customer.name.label("customer_name"), func.count().over().label("total"))
        .join(Customer, Customer.id == Contact.customer_id)
        .where(
            in_window,
            Contact.archived_at.is_(None),
            Customer.archived_at.is_(None),
            scope_clause(Customer, someone(role)),
        )
        # This year's dates first, then those after the new year.
        .order_by(case((md >= start, 0), else_=1), md, Contact.name)
        .limit(limit)
    )
    if role is not Role.SALES:
        # A department has tens of thousands of customers and a week of birthdays a few thousand
        # contacts: naming the week's contacts first makes SQLite start from the birthday index
        # (10 ms) instead of walking every customer of the department (50 ms).
        stmt = stmt.where(Contact.id.in_(select(Contact.id).where(in_window)))
    return stmt


def overdue_list_url() -> str:
    """The customer list filtered to overdue follow-ups."""
    return url_for("customers.index", overdue=1)


# A salesperson's own calls to make are what My day opens with; a head's department list (thousands
# of customers) comes after the first paint with the other department lists, kept a few minutes.
@register_reminders(first=(Role.SALES,), folded_label=_l("follow-ups due or overdue"), kept=True)
def follow_ups_due_section(user) -> ReminderSection | None:
    if user.role not in CUSTOMER_ROLES:
        return None
    title = _("Follow-ups due") if user.role == Role.SALES else _("Follow-ups due in my department")
    due = due_follow_ups(user, company_today())
    context = {"due": due, "show_owner": user.role == Role.HEAD, "see_all_url": overdue_list_url()}
    return ReminderSection(title, "home/_follow_ups_due.html", context, order=10,
                           empty=not (due.due_count or due.overdue_count), empty_label=_("follow-ups due or overdue"))


@register_reminders(kept=True)
def workload_section(user) -> ReminderSection | None:
    if user.role == Role.HEAD and user.department_id is not None:
        rows = team_workload(user.department_id, company_today())
        return ReminderSection(_("Follow-ups by salesperson"), "home/_workload.html", {"rows": rows, "heading": _("Salesperson")},
                               order=20, empty=_nothing_due(rows), empty_label=_("follow-ups due in the team"))
    if user.role == Role.ADMIN:
        rows = department_workload(company_today())
        return ReminderSection(_("Follow-ups by department"), "home/_workload.html", {"rows": rows, "heading": _("Department")},
                               order=20, empty=_nothing_due(rows), empty_label=_("follow-ups due in the departments"))
    return None


@register_reminders(kept=True)
def birthdays_section(user) -> ReminderSection | None:
    if user.role not in CUSTOMER_ROLES:
        return None
    birthdays = upcoming_birthdays(user, company_today())
    return ReminderSection(_("Birthdays this week"), "home/_birthdays.html", {"birthdays": birthdays}, order=30,
                           empty=not birthdays.rows, empty_label=_("birthdays this week"))


def _nothing_due(rows: list[WorkloadRow]) -> bool:
    return not any(row.due_today or row.overdue for row in rows)
