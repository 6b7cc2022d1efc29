"""My day: quotes about to expire, and sent quotes the customer has not heard about for a week."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from portal.access import Area, can_see_area, scope_clause
from portal.database import utcnow
from portal.extensions import db
from portal.models import CUSTOMER_NAME_COLUMNS, Customer, Quote
from portal.reminders import ReminderSection, register_reminders
from portal.rules.followups import company_today
from portal.rules.quotes import OPEN_STATUSES, SENT

EXPIRY_WINDOW_DAYS = 7
QUIET_DAYS = 7
LIMIT = 50


def quote_reminders(user, today, now) -> dict:
    """Open quotes valid until today … today + 7 days, and quotes sent at least 7 days ago, still
    valid, whose customer has had no follow-up for 7 days. Newest revisions in the user's scope."""
    base = (
        select(Quote)
        .join(Customer, Customer.id == Quote.customer_id)
        .options(contains_eager(Quote.customer).load_only(*CUSTOMER_NAME_COLUMNS))
        .where(Quote.archived_at.is_(None), Quote.is_latest.is_(True), scope_clause(Quote, user))
    )
    expiring = db.session.scalars(
        base.where(Quote.status.in_(OPEN_STATUSES), Quote.valid_until.between(today, today + timedelta(days=EXPIRY_WINDOW_DAYS)))
        .order_by(Quote.valid_until, Quote.id)
        .limit(LIMIT)
    ).all()
    quiet_since = now - timedelta(days=QUIET_DAYS)
    quiet = db.session.scalars(
        base.where(
            Quote.status == SENT, Quote.valid_until >= today, Quote.sent_at <= quiet_since,
            or_(Customer.last_follow_up_at.is_(None), Customer.last_follow_up_at < quiet_since),
        )
        .order_by(Quote.sent_at, Quote.id)
        .limit(LIMIT)
    ).all()
    return {"expiring": expiring, "quiet": quiet, "today": today}


@register_reminders
def quotes_section(user) -> ReminderSection | None:
    if not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    return ReminderSection(_("Quotes to act on"), "quotes/_reminders.html", quote_reminders(user, company_today(), utcnow()), order=15)
