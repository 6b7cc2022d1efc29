"""My day: complaints past their response deadline without a response — the handler's own, and the
department's for a head."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.access import Area, can_see_area, scope_clause
from portal.blueprints.complaints.queries import overdue_condition
from portal.database import utcnow
from portal.extensions import db
from portal.models import CUSTOMER_NAME_COLUMNS, Complaint, Role
from portal.reminders import ReminderSection, register_reminders

LIMIT = 50


def overdue_complaints(user, now) -> list[Complaint]:
    return list(db.session.scalars(
        select(Complaint).options(joinedload(Complaint.customer).load_only(*CUSTOMER_NAME_COLUMNS),
                                  joinedload(Complaint.handler))
        .where(Complaint.archived_at.is_(None), scope_clause(Complaint, user), overdue_condition(now))
        .order_by(Complaint.respond_by).limit(LIMIT)
    ))


@register_reminders
def complaints_section(user) -> ReminderSection | None:
    # The owner's (the handler's) and, for a head, the department's; the administrator works
    # these from the lists, where the whole company's fit.
    if not can_see_area(user, Area.CUSTOMER_DATA) or user.role not in (Role.SALES, Role.HEAD):
        return None
    return ReminderSection(_("Complaints past their deadline"), "complaints/_reminders.html",
                           {"complaints": overdue_complaints(user, utcnow())}, order=12)
