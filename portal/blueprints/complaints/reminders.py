"""My day: complaints past their response deadline without a response — the handler's own, and the
department's for a head."""
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select

from portal.access import Area, can_see_area, person_parameters, scope_clause, someone
from portal.blueprints.complaints.queries import overdue_condition
from portal.database import utcnow
from portal.extensions import db
from portal.models import Complaint, Customer, Role, User
from portal.reminders import LIST_LIMIT, ReminderSection, list_total, register_reminders


def overdue_complaints(user, now, limit: int = LIST_LIMIT) -> list:
    """Rows (id, respond_by, customer_name — None when anonymous —, handler_name, total) of the
    complaints past their deadline in the user's scope, the most overdue first, cut at ``limit``."""
    return db.session.execute(_statement(Role(user.role), limit), {"now": now, **person_parameters(user)}).all()


@lru_cache(maxsize=16)
def _statement(role: Role, limit: int):
    """``overdue_complaints``' statement for anyone of ``role`` (``someone``), the person and
    ``now`` bound when it runs; built once (building it cost a fifth of running it)."""
    return (
        select(Complaint.id, Complaint.respond_by, Customer.name.label("customer_name"),
               User.display_name.label("handler_name"), func.count().over().label("total"))
        .outerjoin(Customer, Customer.id == Complaint.customer_id)
        .join(User, User.id == Complaint.handler_id)
        .where(Complaint.archived_at.is_(None), scope_clause(Complaint, someone(role)),
               overdue_condition(bindparam("now", type_=Complaint.respond_by.type)))
        .order_by(Complaint.respond_by, Complaint.id).limit(limit)
    )


@register_reminders
def complaints_section(user) -> ReminderSection | None:
    # The owner's (the handler's) and, for a head, the department's; the administrator works
    # these from the lists, where the whole company's fit.
    if not can_see_area(user, Area.CUSTOMER_DATA) or user.role not in (Role.SALES, Role.HEAD):
        return None
    complaints = overdue_complaints(user, utcnow())
    return ReminderSection(_("Complaints past their deadline"), "complaints/_reminders.html",
                           {"complaints": complaints, "total": list_total(complaints)}, order=12,
                           empty=not complaints, empty_label=_("complaints past their deadline"))
