"""My day: quotes about to expire, and sent quotes the customer has not heard about for a week."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from portal.access import Area, can_see_area, scope_clause
from portal.database import utcnow
from portal.extensions import db
from portal.models import Customer, Quote
from portal.reminders import LIST_LIMIT, ReminderSection, list_total, register_reminders
from portal.rules.followups import company_today
from portal.rules.quotes import OPEN_STATUSES, SENT

EXPIRY_WINDOW_DAYS = 7
QUIET_DAYS = 7


def quote_reminders(user, today, now, limit: int = LIST_LIMIT) -> dict:
    """Open quotes valid until today … today + 7 days, and quotes sent at least 7 days ago, still
    valid, whose customer has had no follow-up for 7 days. Newest revisions in the user's scope;
    each list cut at ``limit`` rows, each row carrying the list's total (``count() OVER ()``)."""
    base = (
        select(Quote.id, Quote.number, Quote.valid_until, Quote.sent_at, Customer.name.label("customer_name"),
               func.count().over().label("total"))
        .join(Customer, Customer.id == Quote.customer_id)
        .where(Quote.archived_at.is_(None), Quote.is_latest.is_(True), scope_clause(Quote, user))
    )
    expiring = db.session.execute(
        base.where(Quote.status.in_(OPEN_STATUSES), Quote.valid_until.between(today, today + timedelta(days=EXPIRY_WINDOW_DAYS)))
        .order_by(Quote.valid_until, Quote.id)
        .limit(limit)
    ).all()
    quiet_since = now - timedelta(days=QUIET_DAYS)
    quiet = db.session.execute(
        base.where(
            Quote.status == SENT, Quote.valid_until >= today, Quote.sent_at <= quiet_since,
            or_(Customer.last_follow_up_at.is_(None), Customer.last_follow_up_at < quiet_since),
        )
        .order_by(Quote.sent_at, Quote.id)
        .limit(limit)
    ).all()
    return {"expiring": expiring, "expiring_total": list_total(expiring), "quiet": quiet, "quiet_total": list_total(quiet),
            "today": today}


@register_reminders(kept=True)
def quotes_section(user) -> ReminderSection | None:
    if not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    context = quote_reminders(user, company_today(), utcnow())
    return ReminderSection(_("Quotes to act on"), "quotes/_reminders.html", context, order=15,
                           empty=not (context["expiring"] or context["quiet"]), empty_label=_("expiring quotes"))
