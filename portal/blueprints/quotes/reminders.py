"""My day: quotes about to expire, and sent quotes the customer has not heard about for a week."""
from datetime import timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select

from portal.access import Area, can_see_area, person_parameters, scope_clause, someone
from portal.database import utcnow
from portal.extensions import db
from portal.models import Customer, Quote, Role
from portal.reminders import LIST_LIMIT, ReminderSection, list_total, register_reminders
from portal.rules.followups import company_today
from portal.rules.quotes import OPEN_STATUSES, SENT

EXPIRY_WINDOW_DAYS = 7
QUIET_DAYS = 7


def quote_reminders(user, today, now, limit: int = LIST_LIMIT) -> dict:
    """Open quotes valid until today … today + 7 days, and quotes sent at least 7 days ago, still
    valid, whose customer has had no follow-up for 7 days. Newest revisions in the user's scope;
    each list cut at ``limit`` rows, each row carrying the list's total (``count() OVER ()``).
    Two statements, built once per role and limit (``_statements``)."""
    expiring, quiet = _statements(Role(user.role), limit)
    parameters = {"today": today, "until": today + timedelta(days=EXPIRY_WINDOW_DAYS),
                  "quiet_since": now - timedelta(days=QUIET_DAYS), **person_parameters(user)}
    expiring = db.session.execute(expiring, parameters).all()
    quiet = db.session.execute(quiet, parameters).all()
    return {"expiring": expiring, "expiring_total": list_total(expiring), "quiet": quiet, "quiet_total": list_total(quiet),
            "today": today}


@lru_cache(maxsize=16)
def _statements(role: Role, limit: int):
    """(expiring, quiet) for anyone of ``role`` (``someone``): the person, ``today``, ``until`` and
    ``quiet_since`` bound when they run. Built once: building them and their cache keys cost a
    third of running them."""
    today, quiet_since = bindparam("today", type_=Quote.valid_until.type), bindparam("quiet_since", type_=Quote.sent_at.type)
    base = (
        select(Quote.id, Quote.number, Quote.valid_until, Quote.sent_at, Customer.name.label("customer_name"),
               func.count().over().label("total"))
        .join(Customer, Customer.id == Quote.customer_id)
        .where(Quote.archived_at.is_(None), Quote.is_latest.is_(True), scope_clause(Quote, someone(role)))
    )
    expiring = (
        base.where(Quote.status.in_(OPEN_STATUSES), Quote.valid_until.between(today, bindparam("until", type_=Quote.valid_until.type)))
        .order_by(Quote.valid_until, Quote.id)
        .limit(limit)
    )
    quiet = (
        base.where(
            Quote.status == SENT, Quote.valid_until >= today, Quote.sent_at <= quiet_since,
            or_(Customer.last_follow_up_at.is_(None), Customer.last_follow_up_at < quiet_since),
        )
        .order_by(Quote.sent_at, Quote.id)
        .limit(limit)
    )
    return expiring, quiet


@register_reminders(kept=True)
def quotes_section(user) -> ReminderSection | None:
    if not can_see_area(user, Area.CUSTOMER_DATA):
        return None
    context = quote_reminders(user, company_today(), utcnow())
    return ReminderSection(_("Quotes to act on"), "quotes/_reminders.html", context, order=15,
                           empty=not (context["expiring"] or context["quiet"]), empty_label=_("expiring quotes"))
