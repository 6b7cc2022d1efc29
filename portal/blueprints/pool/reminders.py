"""My day: the owner's customers the pool will take within 3 days, with the date."""
from datetime import timedelta

from flask_babel import gettext as _

from portal.access import Area, can_see_area
from portal.blueprints.pool.compute import owned_customers_with_plans
from portal.database import utcnow
from portal.models import Role
from portal.reminders import ReminderSection, register_reminders

WARNING_DAYS = 3


def about_to_be_recycled(user_id: int, now, days: int = WARNING_DAYS) -> list:
    """(customer row, plan) of the owner's customers due to return to the pool before now + ``days``."""
    soon = now + timedelta(days=days)
    due = [(row, plan) for row, plan in owned_customers_with_plans(owner_id=user_id, due_by=soon) if plan is not None and plan.due_at <= soon]
    return sorted(due, key=lambda item: item[1].due_at)


@register_reminders
def pool_section(user) -> ReminderSection | None:
    if not can_see_area(user, Area.CUSTOMER_DATA) or user.role != Role.SALES:
        return None
    due = about_to_be_recycled(user.id, utcnow())
    if not due:
        return None
    return ReminderSection(_("Returning to the pool soon"), "pool/_reminders.html", {"due": due}, order=14)
