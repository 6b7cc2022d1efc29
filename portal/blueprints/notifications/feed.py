"""A user's private calendar feed (iCalendar): follow-ups planned, deliveries planned, instalments
due and quotes expiring from 7 days back to 60 days ahead, in the user's scope, as all-day events
with the customer's name, phone and a link.

The feed's address holds a random token; only its SHA-256 is stored, and the lookup compares the
hashes in constant time. Revoking the token or deactivating the user ends the feed.
"""
import hashlib
import hmac
import secrets
from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import and_, select

from portal.access import scope_clause
from portal.database import utcnow
from portal.extensions import db
from portal.models import Contract, Customer, Delivery, Instalment, NotificationPreference, Quote, User
from portal.rules.contracts import CANCELLED, delivery_number
from portal.rules.quotes import SENT

DAYS_BACK, DAYS_AHEAD = 7, 60
# Events of one kind at most (an administrator's feed covers the whole company).
FEED_LIMIT = 2000


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def user_for_token(token: str) -> User | None:
    """The active user whose feed token this is, or None."""
    digest = token_hash(token)
    row = db.session.execute(
        select(NotificationPreference.feed_token_hash, User)
        .join(User, User.id == NotificationPreference.user_id)
        .where(NotificationPreference.feed_token_hash == digest)
    ).first()
    if row is None or not hmac.compare_digest(row[0], digest):
        return None
    user = row[1]
    return user if user.active and user.archived_at is None else None


def feed_window(today: date) -> tuple[date, date]:
    """[today − 7 days, today + 60 days], both included."""
    return today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)


def _event(uid: str, day: date, summary: str, description: str, url: str) -> Event:
    event = Event()
    event.add("uid", f"{uid}@portal")
    event.add("dtstamp", utcnow())
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", f"{description}\n{url}".strip())
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def _phone(customer) -> str:
    return customer.mobile or customer.phone or ""


def build_feed(user: User, today: date) -> bytes:
    """The user's calendar (call within a request in the user's language: summaries are translated
    and links are absolute)."""
    start, end = feed_window(today)
    calendar = Calendar()
    calendar.add("prodid", "-//Sales portal//Calendar feed//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Sales portal: %(name)s", name=user.display_name))
    calendar.add("x-published-ttl", "PT1H")

    customers = db.session.execute(
        select(Customer.id, Customer.name, Customer.mobile, Customer.phone, Customer.next_follow_up_on)
        .where(scope_clause(Customer, user), Customer.archived_at.is_(None), Customer.next_follow_up_on.between(start, end))
        .order_by(Customer.next_follow_up_on, Customer.id).limit(FEED_LIMIT)
    ).all()
    for row in customers:
        calendar.add_component(_event(
            f"follow-up-{row.id}-{row.next_follow_up_on.isoformat()}", row.next_follow_up_on,
            _("Follow up: %(customer)s", customer=row.name), _phone(row),
            url_for("customers.detail", customer_id=row.id, _external=True)))

    deliveries = db.session.execute(
        select(Delivery.id, Delivery.contract_id, Delivery.sequence, Delivery.planned_on, Delivery.address,
               Contract.number, Customer.name, Customer.mobile, Customer.phone)
        .join(Contract, Contract.id == Delivery.contract_id).join(Customer, Customer.id == Delivery.customer_id)
        .where(scope_clause(Delivery, user), Delivery.archived_at.is_(None), Delivery.delivered_on.is_(None),
               Contract.status != CANCELLED, Delivery.planned_on.between(start, end))
        .order_by(Delivery.planned_on, Delivery.id).limit(FEED_LIMIT)
    ).all()
    for row in deliveries:
        calendar.add_component(_event(
            f"delivery-{row.id}", row.planned_on,
            _("Delivery %(number)s: %(customer)s", number=delivery_number(row.number, row.sequence), customer=row.name),
            " · ".join(part for part in (_phone(row), row.address) if part),
            url_for("contracts.detail", contract_id=row.contract_id, _external=True) + "#deliveries"))

    instalments = db.session.execute(
        select(Instalment.id, Instalment.due_on, Instalment.amount, Contract.id.label("contract_id"), Contract.number,
               Customer.name, Customer.mobile, Customer.phone)
        .join(Contract, Contract.id == Instalment.contract_id).join(Customer, Customer.id == Contract.customer_id)
        .where(scope_clause(Contract, user), Instalment.archived_at.is_(None), Contract.archived_at.is_(None),
               Contract.status != CANCELLED, Instalment.running_total > Contract.amount_received,
               Instalment.due_on.between(start, end))
        .order_by(Instalment.due_on, Instalment.id).limit(FEED_LIMIT)
    ).all()
    for row in instalments:
        calendar.add_component(_event(
            f"instalment-{row.id}-{row.due_on.isoformat()}", row.due_on,
            _("Payment due %(number)s: %(customer)s", number=row.number, customer=row.name),
            _phone(row), url_for("contracts.detail", contract_id=row.contract_id, _external=True) + "#payments"))

    quotes = db.session.execute(
        select(Quote.id, Quote.number, Quote.valid_until, Customer.name, Customer.mobile, Customer.phone)
        .join(Customer, Customer.id == Quote.customer_id)
        .where(scope_clause(Quote, user), Quote.archived_at.is_(None), Quote.is_latest.is_(True), Quote.status == SENT,
               Quote.valid_until.between(start, end))
        .order_by(Quote.valid_until, Quote.id).limit(FEED_LIMIT)
    ).all()
    for row in quotes:
        calendar.add_component(_event(
            f"quote-{row.id}-{row.valid_until.isoformat()}", row.valid_until,
            _("Quote %(number)s expires: %(customer)s", number=row.number, customer=row.name),
            _phone(row), url_for("quotes.detail", quote_id=row.id, _external=True)))
    return calendar.to_ical()
