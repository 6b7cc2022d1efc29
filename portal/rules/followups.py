"""Follow-up scheduling by intention grade (根据不同的级别确定回访的频次及方式)."""
from datetime import date, datetime, timedelta, timezone

from flask_babel import get_timezone, to_user_timezone, to_utc
from sqlalchemy import bindparam, inspect, select

from portal.database import utcnow
from portal.extensions import db
from portal.models import FollowUp, FollowUpKind, GradePolicy

# The grades a new installation starts with: grade, description, days between follow-ups, mode.
DEFAULT_GRADE_POLICIES = [
    ("A", "成交可能性大", 7, FollowUpKind.VISIT.value),
    ("B", "有明确意向", 14, FollowUpKind.CALL_OUT.value),
    ("C", "意向一般", 30, FollowUpKind.WECHAT.value),
    ("D", "暂无意向", 90, FollowUpKind.CALL_OUT.value),
]


def grade_policies() -> dict[str, GradePolicy]:
    """Active grade policies by grade."""
    rows = db.session.scalars(
        select(GradePolicy).where(GradePolicy.archived_at.is_(None)).order_by(GradePolicy.position, GradePolicy.grade)
    )
    return {row.grade: row for row in rows}


def next_follow_up_date(interval_days: int | None, after: date) -> date | None:
    """``after`` + the grade's interval in days; None when the grade has no policy."""
    if interval_days is None:
        return None
    return after + timedelta(days=interval_days)


def next_follow_up_for_grade(grade: str | None, after: date) -> date | None:
    """The default next follow-up date for a customer of ``grade`` last contacted on ``after``."""
    policy = policy_for_grade(grade)
    return next_follow_up_date(policy.interval_days if policy else None, after)


# Built once: every customer page looks its grade's policy up.
_POLICY_FOR_GRADE = select(GradePolicy).where(GradePolicy.grade == bindparam("grade"), GradePolicy.archived_at.is_(None))


def policy_for_grade(grade: str | None) -> GradePolicy | None:
    """The active policy of ``grade``; None for no grade or a grade without an active policy."""
    if not grade:
        return None
    return db.session.scalar(_POLICY_FOR_GRADE, {"grade": grade})


def days_overdue(next_date: date | None, today: date) -> int:
    """Whole days past the planned follow-up date; 0 when not yet due or nothing planned."""
    if next_date is None or next_date >= today:
        return 0
    return (today - next_date).days


def is_overdue(next_date: date | None, today: date) -> bool:
    """True when the planned date lies before ``today``."""
    return days_overdue(next_date, today) > 0


def ensure_default_grade_policies() -> bool:
    """Create the default A–D policies when none exist (first run, demo, tests); True if it did."""
    if db.session.scalar(select(GradePolicy.id).limit(1)) is not None:
        return False
    for position, (grade, description, days, mode) in enumerate(DEFAULT_GRADE_POLICIES):
        db.session.add(
            GradePolicy(grade=grade, description=description, interval_days=days, preferred_mode=mode, position=position)
        )
    db.session.flush()
    return True


def effective_next_date(typed: date | None, grade: str | None, happened_on: date) -> date | None:
    """The next follow-up date a follow-up sets: the date typed, else ``happened_on`` + the grade's interval."""
    return typed or next_follow_up_for_grade(grade, happened_on)


def next_date_too_early(next_date: date | None, happened_on: date) -> bool:
    """True when a planned next date lies before the follow-up it is planned from."""
    return next_date is not None and next_date < happened_on


def latest_follow_up(customer_id: int) -> FollowUp | None:
    """The customer's newest active follow-up (by time, then id)."""
    return db.session.scalar(
        select(FollowUp)
        .where(FollowUp.customer_id == customer_id, FollowUp.archived_at.is_(None))
        .order_by(FollowUp.happened_at.desc(), FollowUp.id.desc())
        .limit(1)
    )


def refresh_schedule(customer) -> None:
    """Let the customer's schedule follow its newest active follow-up.

    ``last_follow_up_at`` = that follow-up's time and ``next_follow_up_on`` = its next date, so a
    back-dated entry does not move the plan and archiving the newest entry restores the one before.
    With no follow-up left, ``last_follow_up_at`` is cleared and the planned date kept.

    Follow-ups logged on one customer at the same moment each move its schedule: a saved customer's
    row is locked first (``FOR NO KEY UPDATE``, which the follow-up's own foreign-key lock does not
    block), so on PostgreSQL the later writer waits for the earlier and reads its version instead
    of failing the version check (409). SQLite's write transactions queue already (``BEGIN
    IMMEDIATE``), so there the lock's statement is not sent.
    """
    if db.engine.dialect.name != "sqlite" and inspect(customer).persistent:
        db.session.refresh(customer, ["version"], with_for_update={"key_share": True})
    db.session.flush()
    latest = latest_follow_up(customer.id)
    if latest is None:
        customer.last_follow_up_at = None
        return
    customer.last_follow_up_at = latest.happened_at
    customer.next_follow_up_on = latest.next_follow_up_on


def birthday_key(day: date) -> int:
    """Month × 100 + day, the form ``Contact.birthday_md`` stores: 24 December → 1224."""
    return day.month * 100 + day.day


def birthday_window(today: date, days: int = 7) -> tuple[int, int]:
    """The ``birthday_md`` range of ``today`` and the ``days - 1`` days after it.

    When the window crosses the new year the start is greater than the end (1229 → 104): the
    range then means ``md >= start OR md <= end``.
    """
    return birthday_key(today), birthday_key(today + timedelta(days=days - 1))


def days_until_birthday(birthday_md: int, today: date) -> int:
    """Days from ``today`` to the next birthday with that month-day (29 Feb counts as 1 Mar in other years)."""
    month, day = divmod(birthday_md, 100)
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February outside a leap year
            candidate = date(year, 3, 1)
        if candidate >= today:
            return (candidate - today).days
    raise ValueError(f"not a month-day: {birthday_md}")


def company_now() -> datetime:
    """Now in the company time zone (Asia/Shanghai unless configured otherwise), aware."""
    return to_user_timezone(utcnow())


def company_today() -> date:
    """Today's date in the company time zone (what "due today" and "overdue" are measured against)."""
    return company_now().date()


def local_to_utc(local: datetime) -> datetime:
    """A wall-clock time typed in the company time zone as an aware UTC datetime."""
    return to_utc(local).replace(tzinfo=timezone.utc)


def local_date(moment: datetime) -> date:
    """The company-time-zone date of an aware datetime (a call at 01:00 UTC+8 is that day, not the day before)."""
    return to_user_timezone(moment).date()


def month_in_company_time():
    """A function giving the ``YYYY-MM`` of an aware datetime in the company time zone, for
    summaries over thousands of rows: the zone is looked up once, where ``local_date`` looks it up
    through the request's context on every call (most of a year's complaint summary's time)."""
    zone = get_timezone()

    def month_of(moment: datetime) -> str:
        local = moment.astimezone(zone)
        return f"{local.year:04d}-{local.month:02d}"

    return month_of


def wall_clock(moment: datetime) -> datetime:
    """An aware datetime as the naive company-time-zone wall-clock time a form shows, to the minute."""
    return to_user_timezone(moment).replace(tzinfo=None, second=0, microsecond=0)
