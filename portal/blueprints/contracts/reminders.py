"""My day: deliveries and instalments due within 7 days, and overdue ones — the owner's, or the
department's for a head."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import Date, bindparam, func, select

from portal.access import Area, can_see_area, person_parameters, scope_clause, someone
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
    (contract, due date) index, built once per role and limit (``_instalments_statement``);
    numbers and names are joined for the rows kept only.
    """
    rows = db.session.execute(_instalments_statement(Role(user.role), limit),
                              {"today": today, "until": until, **person_parameters(user)}).all()
    lists = ([], [])
    for row in rows:
        entry = DueInstalment(row[0], row[1], row[2], row[3], min(Decimal(row[4]), Decimal(row[5]) - Decimal(row[6])), row[7])
        lists[0 if row[3] < today else 1].append(entry)
    return lists


@lru_cache(maxsize=16)
def _instalments_statement(role: Role, limit: int):
    """``open_instalments``' statement for anyone of ``role`` (``someone``): the person, ``today``
    and ``until`` bound when it runs. Built once: building it and its cache key cost a third of
    running it."""
    today, until = bindparam("today", type_=Date), bindparam("until", type_=Date)
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
            scope_clause(Contract, someone(role)),
        )
        .subquery()
    )
    return (
        select(numbered.c.contract_id, Contract.number, Customer.name, numbered.c.due_on, numbered.c.amount,
               numbered.c.running_total, numbered.c.amount_received, numbered.c.total)
        .join(Contract, Contract.id == numbered.c.contract_id)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(numbered.c.n <= limit)
        .order_by(numbered.c.due_on, numbered.c.contract_id)
    )


def open_deliveries(user, since: date | None, until: date, limit: int = LIST_LIMIT) -> list:
    """Deliveries planned from ``since`` (or any time) to ``until`` and not delivered yet, cut at
    ``limit``; each row carries the total."""
    return db.session.execute(_deliveries_statement(Role(user.role), since is not None, limit),
                              {"since": since, "until": until, **person_parameters(user)}).all()


@lru_cache(maxsize=16)
def _deliveries_statement(role: Role, from_since: bool, limit: int):
    """``open_deliveries``' statement for anyone of ``role``, built once (as ``_instalments_statement``)."""
    stmt = (
        select(Delivery.id, Delivery.contract_id, Delivery.sequence, Delivery.planned_on, Contract.number, Customer.name,
               func.count().over().label("total"))
        .join(Contract, Contract.id == Delivery.contract_id)
        .join(Customer, Customer.id == Delivery.customer_id)
        .where(Delivery.archived_at.is_(None), Delivery.delivered_on.is_(None), Delivery.planned_on <= bindparam("until", type_=Date),
               Contract.status != CANCELLED, scope_clause(Delivery, someone(role)))
    )
    if from_since:
        stmt = stmt.where(Delivery.planned_on >= bindparam("since", type_=Date))
    return stmt.order_by(Delivery.planned_on, Delivery.id).limit(limit)


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
