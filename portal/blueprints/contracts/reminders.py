"""My day: deliveries and instalments due within 7 days, and overdue ones — the owner's, or the
department's for a head."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.access import Area, can_see_area, scope_clause
from portal.extensions import db
from portal.models import Contract, Customer, Delivery, Instalment, Role
from portal.reminders import LIST_LIMIT, ReminderSection, list_total, register_reminders
from portal.rules.contracts import CANCELLED, delivery_number
from portal.rules.followups import company_today

WINDOW_DAYS = 7


@dataclass
class DueInstalment:
    contract_id: int
    contract_number: str
    customer_name: str
    due_on: date
    open_amount: Decimal
    total: int  # of the list the instalment is in, before the cut


def open_instalments(user, today: date, until: date, limit: int = LIST_LIMIT) -> tuple[list[DueInstalment], list[DueInstalment]]:
    """(overdue, due) instalments that payments do not cover yet: due before ``today``, and due
    ``today`` … ``until``; each list oldest first and cut at ``limit``, each entry carrying its
    list's total.

    Payments cover instalments oldest due date first, so an instalment is open when the running
    total of the plan up to and including it (``Instalment.running_total``) exceeds the amount
    received; what is open of it is min(its amount, running total − received). One statement on the
    (contract, due date) index; numbers and names are joined for the rows kept only.
    """
    overdue = Instalment.due_on < today
    numbered = (
        select(
            Instalment.contract_id, Instalment.due_on, Instalment.amount, Instalment.running_total, Contract.amount_received,
            func.row_number().over(partition_by=overdue, order_by=(Instalment.due_on, Instalment.contract_id)).label("n"),
            func.count().over(partition_by=overdue).label("total"),
        )
        .join(Contract, Contract.id == Instalment.contract_id)
        .where(
            Instalment.archived_at.is_(None), Instalment.due_on <= until, Instalment.running_total > Contract.amount_received,
            Contract.archived_at.is_(None), Contract.status != CANCELLED, Contract.amount_received < Contract.amount_gross,
            scope_clause(Contract, user),
        )
        .subquery()
    )
    rows = db.session.execute(
        select(numbered.c.contract_id, Contract.number, Customer.name, numbered.c.due_on, numbered.c.amount,
               numbered.c.running_total, numbered.c.amount_received, numbered.c.total)
        .join(Contract, Contract.id == numbered.c.contract_id)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(numbered.c.n <= limit)
        .order_by(numbered.c.due_on, numbered.c.contract_id)
    ).all()
    lists = ([], [])
    for row in rows:
        entry = DueInstalment(row[0], row[1], row[2], row[3], min(Decimal(row[4]), Decimal(row[5]) - Decimal(row[6])), row[7])
        lists[0 if row[3] < today else 1].append(entry)
    return lists


def open_deliveries(user, since: date | None, until: date, limit: int = LIST_LIMIT) -> list:
    """Deliveries planned from ``since`` (or any time) to ``until`` and not delivered yet, cut at
    ``limit``; each row carries the total."""
    stmt = (
        select(Delivery.id, Delivery.contract_id, Delivery.sequence, Delivery.planned_on, Contract.number, Customer.name,
               func.count().over().label("total"))
        .join(Contract, Contract.id == Delivery.contract_id)
        .join(Customer, Customer.id == Delivery.customer_id)
        .where(Delivery.archived_at.is_(None), Delivery.delivered_on.is_(None), Delivery.planned_on <= until,
               Contract.status != CANCELLED, scope_clause(Delivery, user))
    )
    if since is not None:
        stmt = stmt.where(Delivery.planned_on >= since)
    return db.session.execute(stmt.order_by(Delivery.planned_on, Delivery.id).limit(limit)).all()


def contract_reminders(user, today: date) -> dict:
    """Open instalments and undelivered deliveries: overdue (due before today) and due today …
    today + 7 days, in the user's scope (the owner's own, a head's department)."""
    until = today + timedelta(days=WINDOW_DAYS)
    yesterday = today - timedelta(days=1)
    overdue_instalments, due_instalments = open_instalments(user, today, until)
    overdue_deliveries, due_deliveries = open_deliveries(user, None, yesterday), open_deliveries(user, today, until)
    return {
        "overdue_instalments": overdue_instalments,
        "overdue_instalments_total": list_total(overdue_instalments),
        "due_instalments": due_instalments,
        "due_instalments_total": list_total(due_instalments),
        "overdue_deliveries": overdue_deliveries,
        "overdue_deliveries_total": list_total(overdue_deliveries),
        "due_deliveries": due_deliveries,
        "due_deliveries_total": list_total(due_deliveries),
        "delivery_number": delivery_number,
        "today": today,
    }


@register_reminders(kept=True)
def contracts_section(user) -> ReminderSection | None:
    # The owner's (the handler's) and, for a head, the department's; the administrator works
    # these from the lists, where the whole company's fit.
    if not can_see_area(user, Area.CUSTOMER_DATA) or user.role not in (Role.SALES, Role.HEAD):
        return None
    context = contract_reminders(user, company_today())
    empty = not any(context[name] for name in ("overdue_instalments", "due_instalments", "overdue_deliveries", "due_deliveries"))
    return ReminderSection(_("Payments and deliveries"), "contracts/_reminders.html", context, order=16,
                           empty=empty, empty_label=_("overdue or due payments and deliveries"))
