"""My day of a head (their department) and the administrator: who opened or exported more today
than the alert thresholds allow, with what they opened; customers whose owner has left."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.access import scope_clause
from portal.access_log import EXPORT_ROWS_ALERT, PAGE_VIEWS_ALERT, flush_access_log
from portal.blueprints.access_log.queries import day_counts, history_counts, opened_on
from portal.company_settings import get_setting
from portal.extensions import db
from portal.models import Customer, Role, User
from portal.reminders import LIST_LIMIT, ReminderSection, list_total, register_reminders
from portal.rules.access_log import MINIMUM_THRESHOLD, alert_threshold, raises_alert
from portal.rules.followups import company_today


@dataclass
class AccessAlert:
    user_id: int
    name: str
    pages: int
    page_threshold: int
    rows: int
    row_threshold: int
    opened: list

    @property
    def too_many_pages(self) -> bool:
        return raises_alert(self.pages, self.page_threshold)

    @property
    def too_many_rows(self) -> bool:
        return raises_alert(self.rows, self.row_threshold)


def access_alerts(user, day) -> list[AccessAlert]:
    """The people in ``user``'s scope whose pages opened or rows exported on ``day`` are above their
    threshold. Today's counts come from the day index; the 30-day medians are read only for those
    above the lowest possible threshold."""
    page_setting, row_setting = get_setting(PAGE_VIEWS_ALERT.key), get_setting(EXPORT_ROWS_ALERT.key)
    lowest_pages = page_setting if page_setting > 0 else MINIMUM_THRESHOLD
    lowest_rows = row_setting if row_setting > 0 else MINIMUM_THRESHOLD
    counts = [row for row in day_counts(user, day) if row.pages > lowest_pages or row.rows > lowest_rows]
    if not counts:
        return []
    history = history_counts([row.user_id for row in counts], day)
    names = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_([row.user_id for row in counts]))).all())
    alerts = []
    for row in counts:
        page_history, row_history = history[row.user_id]
        alert = AccessAlert(
            row.user_id, names.get(row.user_id, ""), row.pages, alert_threshold(page_setting, page_history),
            int(row.rows), alert_threshold(row_setting, row_history), [],
        )
        if alert.too_many_pages or alert.too_many_rows:
            alert.opened = opened_on(row.user_id, day, LIST_LIMIT) if alert.too_many_pages else []
            alerts.append(alert)
    return sorted(alerts, key=lambda alert: (-alert.pages, alert.name))


@register_reminders(first=True)
def access_alerts_section(user) -> ReminderSection | None:
    if user.role not in (Role.HEAD, Role.ADMIN):
        return None
    flush_access_log()
    day = company_today()
    alerts = access_alerts(user, day)
    if not alerts:
        return None
    return ReminderSection(
        _("Unusual reading of customer data"), "access_log/_reminders.html", {"alerts": alerts, "day": day}, order=3,
    )


def customers_of_inactive_owners(user, limit: int = LIST_LIMIT) -> list:
    """The live customers (outside the pool) in ``user``'s scope whose owner is deactivated, by name,
    each row carrying the total: (id, name, owner, total)."""
    # The few inactive accounts first, then their customers by the owner index: joining every
    # customer of the department to its owner read all of them (40 ms) to find none.
    inactive = db.session.scalars(select(User.id).where(User.active.is_(False))).all()
    if not inactive:
        return []
    stmt = (
        select(Customer.id, Customer.name, User.display_name.label("owner"), func.count().over().label("total"))
        .join(User, User.id == Customer.owner_id)
        .where(Customer.owner_id.in_(inactive), Customer.archived_at.is_(None), Customer.pool_since.is_(None),
               scope_clause(Customer, user))
        .order_by(Customer.name, Customer.id)
        .limit(limit)
    )
    return db.session.execute(stmt).all()


@register_reminders(first=True)
def orphaned_customers_section(user) -> ReminderSection | None:
    """A head's (and the administrator's) customers left with someone who has left, until there are none."""
    if user.role not in (Role.HEAD, Role.ADMIN):
        return None
    rows = customers_of_inactive_owners(user)
    if not rows:
        return None
    return ReminderSection(_("Customers of people who have left"), "access_log/_orphaned.html",
                           {"customers": rows, "total": list_total(rows)}, order=4)
