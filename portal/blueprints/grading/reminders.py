"""My day: the owner's signed customers with a churn warning."""
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.access import Area, can_see_area
from portal.extensions import db
from portal.models import ChurnFlag, Role
from portal.reminders import ReminderSection, register_reminders

LIMIT = 20


@register_reminders
def churn_section(user) -> ReminderSection | None:
    if not can_see_area(user, Area.CUSTOMER_DATA) or user.role != Role.SALES:
        return None
    flags = db.session.scalars(
        select(ChurnFlag).options(joinedload(ChurnFlag.customer)).where(ChurnFlag.owner_id == user.id)
        .order_by(ChurnFlag.days_overdue.desc()).limit(LIMIT)
    ).all()
    if not flags:
        return None
    return ReminderSection(_("Customers at risk of leaving"), "grading/_reminders.html", {"flags": flags}, order=18)
