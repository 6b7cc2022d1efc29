"""Follow-up scheduling by intention grade (根据不同的级别确定回访的频次及方式)."""
from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import FollowUpKind, GradePolicy

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
    if not grade:
        return None
    policy = db.session.scalar(
        select(GradePolicy).where(GradePolicy.grade == grade, GradePolicy.archived_at.is_(None))
    )
    return next_follow_up_date(policy.interval_days if policy else None, after)


def days_overdue(next_date: date | None, today: date) -> int:
    """Whole days past the planned follow-up date; 0 when not yet due or nothing planned."""
    if next_date is None or next_date >= today:
        return 0
    return (today - next_date).days


def is_overdue(next_date: date | None, today: date) -> bool:
    return days_overdue(next_date, today) > 0


def ensure_default_grade_policies() -> None:
    """Create the default A–D policies when none exist (first run, demo, tests)."""
    if db.session.scalar(select(GradePolicy.id).limit(1)) is not None:
        return
    for position, (grade, description, days, mode) in enumerate(DEFAULT_GRADE_POLICIES):
        db.session.add(
            GradePolicy(grade=grade, description=description, interval_days=days, preferred_mode=mode, position=position)
        )
    db.session.flush()
