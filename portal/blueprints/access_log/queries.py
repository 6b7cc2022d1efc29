"""The access log's reads: one person's or a department's day, and the day's counts per person."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.access import scope_clause
from portal.extensions import db
from portal.models import Customer, Role, User
from portal.models.access_log import ACCESS_KINDS, CUSTOMER_PAGE, EXPORT, AccessLogEntry
from portal.rules.access_log import MEDIAN_DAYS
from portal.rules.followups import company_today

PAGE_SIZE = 100


@dataclass(frozen=True)
class LogFilters:
    day: date
    user_id: int | None = None
    kind: str = ""

    @classmethod
    def from_args(cls, args) -> "LogFilters":
        try:
            day = date.fromisoformat(args.get("day", "")[:10])
        except ValueError:
            day = company_today()
        try:
            user_id = int(args.get("user", "")) or None
        except ValueError:
            user_id = None
        if user_id is not None and not 0 < user_id < 2**31:
            user_id = None
        kind = args.get("kind", "")
        return cls(day, user_id, kind if kind in ACCESS_KINDS else "")

    def as_args(self) -> dict:
        args = {"day": self.day.isoformat()}
        if self.user_id:
            args["user"] = self.user_id
        if self.kind:
            args["kind"] = self.kind
        return args


def people_for(user) -> list[User]:
    """The people whose log ``user`` may read: a head's department's, everyone for the administrator."""
    stmt = select(User).order_by(User.display_name, User.id)
    if user.role != Role.ADMIN:
        stmt = stmt.where(User.department_id == user.department_id) if user.department_id else stmt.where(False)
    return list(db.session.scalars(stmt))


def log_page(user, filters: LogFilters, before: int | None = None, page_size: int = PAGE_SIZE):
    """(rows, next cursor): the day's entries in ``user``'s scope, newest first, with the person's name."""
    stmt = (
        select(AccessLogEntry, User.display_name.label("person"))
        .join(User, User.id == AccessLogEntry.user_id)
        .where(AccessLogEntry.day == filters.day, scope_clause(AccessLogEntry, user))
    )
    if filters.user_id:
        stmt = stmt.where(AccessLogEntry.user_id == filters.user_id)
    if filters.kind:
        stmt = stmt.where(AccessLogEntry.kind == filters.kind)
    if before:
        stmt = stmt.where(AccessLogEntry.id < before)
    rows = db.session.execute(stmt.order_by(AccessLogEntry.id.desc()).limit(page_size + 1)).all()
    next_cursor = rows[page_size - 1][0].id if len(rows) > page_size else None
    return rows[:page_size], next_cursor


def day_counts(user, day: date) -> list:
    """Per person in ``user``'s scope with any entry on ``day``: (user_id, pages opened, rows exported)."""
    pages = func.count().filter(AccessLogEntry.kind == CUSTOMER_PAGE)
    rows = func.coalesce(func.sum(AccessLogEntry.row_count).filter(AccessLogEntry.kind == EXPORT), 0)
    stmt = (
        select(AccessLogEntry.user_id, pages.label("pages"), rows.label("rows"))
        .where(AccessLogEntry.day == day, scope_clause(AccessLogEntry, user))
        .group_by(AccessLogEntry.user_id)
    )
    return db.session.execute(stmt).all()


def history_counts(user_ids: list[int], day: date) -> dict[int, tuple[list[int], list[int]]]:
    """Per person: (pages opened per day, rows exported per day) over the 30 days before ``day``
    (days with entries only), read through the person-and-day index."""
    if not user_ids:
        return {}
    pages = func.count().filter(AccessLogEntry.kind == CUSTOMER_PAGE)
    rows = func.coalesce(func.sum(AccessLogEntry.row_count).filter(AccessLogEntry.kind == EXPORT), 0)
    stmt = (
        select(AccessLogEntry.user_id, AccessLogEntry.day, pages, rows)
        .where(AccessLogEntry.user_id.in_(user_ids), AccessLogEntry.day >= day - timedelta(days=MEDIAN_DAYS),
               AccessLogEntry.day < day)
        .group_by(AccessLogEntry.user_id, AccessLogEntry.day)
    )
    history: dict[int, tuple[list[int], list[int]]] = {user_id: ([], []) for user_id in user_ids}
    for user_id, _day, page_count, row_count in db.session.execute(stmt):
        history[user_id][0].append(page_count)
        history[user_id][1].append(int(row_count or 0))
    return history


def opened_on(user_id: int, day: date, limit: int) -> list:
    """The customers ``user_id`` opened on ``day``, most recent first: (customer id, name, times)."""
    stmt = (
        select(Customer.id, Customer.name, func.count().label("times"), func.max(AccessLogEntry.id).label("last"))
        .join(Customer, Customer.id == AccessLogEntry.record_id)
        .where(AccessLogEntry.user_id == user_id, AccessLogEntry.day == day, AccessLogEntry.kind == CUSTOMER_PAGE)
        .group_by(Customer.id, Customer.name)
        .order_by(func.max(AccessLogEntry.id).desc())
        .limit(limit)
    )
    return db.session.execute(stmt).all()
