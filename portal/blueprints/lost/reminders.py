"""My day for a head: the department's lost orders not reviewed yet (reasons are checked while fresh)."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import LostOrder, Role
from portal.reminders import ReminderSection, register_reminders


@register_reminders
def lost_inbox_section(user) -> ReminderSection | None:
    if user.role != Role.HEAD or user.department_id is None:
        return None
    waiting = db.session.scalar(
        select(func.count()).select_from(LostOrder).where(
            LostOrder.department_id == user.department_id, LostOrder.reviewed_at.is_(None), LostOrder.archived_at.is_(None)
        )
    )
    return ReminderSection(_("Lost orders to review"), "lost/_inbox_reminder.html", {"waiting": waiting}, order=12,
                           empty=not waiting, empty_label=_("lost orders to review"))
