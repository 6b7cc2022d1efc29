"""Follow-up scheduling rules as plain functions, with fixed dates."""
from datetime import date, datetime, timedelta, timezone

import pytest

from followups_factories import make_customer, make_follow_up
from portal.database import utcnow
from portal.extensions import db
from portal.models import GradePolicy, Role
from portal.rules.followups import (
    birthday_key,
    birthday_window,
    days_overdue,
    days_until_birthday,
    effective_next_date,
    ensure_default_grade_policies,
    grade_policies,
    is_overdue,
    local_date,
    local_to_utc,
    month_in_company_time,
    next_date_too_early,
    next_follow_up_date,
    next_follow_up_for_grade,
    refresh_schedule,
    wall_clock,
)

MAY_6 = date(2024, 5, 6)


def test_next_date_is_the_date_plus_the_interval():
    assert next_follow_up_date(7, MAY_6) == date(2024, 5, 13)
    assert next_follow_up_date(30, date(2024, 2, 15)) == date(2024, 3, 16)  # leap February
    assert next_follow_up_date(None, MAY_6) is None


@pytest.mark.parametrize(
    "planned, today, days",
    [(None, MAY_6, 0), (date(2024, 5, 7), MAY_6, 0), (MAY_6, MAY_6, 0), (date(2024, 5, 5), MAY_6, 1),
     (date(2023, 12, 31), date(2024, 1, 2), 2)],
)
def test_days_overdue_counts_whole_days_after_the_planned_date(planned, today, days):
    assert days_overdue(planned, today) == days
    assert is_overdue(planned, today) is (days > 0)


def test_next_date_may_not_precede_the_follow_up():
    assert next_date_too_early(date(2024, 5, 5), MAY_6)
    assert not next_date_too_early(MAY_6, MAY_6)
    assert not next_date_too_early(None, MAY_6)


def test_grade_policy_drives_the_default_next_date():
    assert ensure_default_grade_policies() is True
    assert ensure_default_grade_policies() is False
    assert list(grade_policies()) == ["A", "B", "C", "D"]
    assert next_follow_up_for_grade("A", MAY_6) == date(2024, 5, 13)
    assert next_follow_up_for_grade("D", MAY_6) == date(2024, 8, 4)
    assert next_follow_up_for_grade("Z", MAY_6) is None  # no such grade
    assert next_follow_up_for_grade(None, MAY_6) is None
    policy = db.session.scalar(db.select(GradePolicy).where(GradePolicy.grade == "A"))
    policy.interval_days = 3
    assert next_follow_up_for_grade("A", MAY_6) == date(2024, 5, 9)
    policy.archived_at = utcnow()
    assert next_follow_up_for_grade("A", MAY_6) is None
    # A typed date wins; without one the grade decides.
    assert effective_next_date(date(2024, 6, 1), "B", MAY_6) == date(2024, 6, 1)
    assert effective_next_date(None, "B", MAY_6) == date(2024, 5, 20)


def test_birthday_window_wraps_at_new_year():
    assert birthday_key(date(2024, 12, 24)) == 1224
    assert birthday_window(date(2024, 5, 6)) == (506, 512)
    assert birthday_window(date(2024, 12, 29)) == (1229, 104)
    assert birthday_window(date(2024, 2, 26)) == (226, 303)  # 29 Feb inside
    assert days_until_birthday(1231, date(2024, 12, 29)) == 2
    assert days_until_birthday(102, date(2024, 12, 29)) == 4
    assert days_until_birthday(1229, date(2024, 12, 29)) == 0
    assert days_until_birthday(229, date(2025, 2, 27)) == 2  # 1 March outside a leap year


def test_times_typed_in_shanghai_are_stored_in_utc():
    stored = local_to_utc(datetime(2024, 5, 6, 1, 30))
    assert stored == datetime(2024, 5, 5, 17, 30, tzinfo=timezone.utc)
    # Stored the evening before in UTC, it still belongs to 6 May in the company.
    assert local_date(stored) == MAY_6
    assert wall_clock(stored) == datetime(2024, 5, 6, 1, 30)


def test_a_moment_falls_in_its_month_in_company_time():
    month_of = month_in_company_time()
    # 00:30 on 1 June in Shanghai is still 31 May in UTC.
    assert month_of(datetime(2024, 5, 31, 16, 30, tzinfo=timezone.utc)) == "2024-06"
    assert month_of(datetime(2024, 5, 31, 15, 59, tzinfo=timezone.utc)) == "2024-05"
    assert month_of(datetime(2023, 12, 31, 16, 0, tzinfo=timezone.utc)) == "2024-01"
    moments = [datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(hours=7 * step) for step in range(2000)]
    assert [month_of(moment) for moment in moments] == [local_date(moment).strftime("%Y-%m") for moment in moments]


def test_schedule_follows_the_newest_follow_up(make_department, make_user):
    seller = make_user(Role.SALES, make_department())
    customer = make_customer(seller)
    older = make_follow_up(customer, seller, ago=timedelta(days=5), next_follow_up_on=date(2024, 1, 10))
    newer = make_follow_up(customer, seller, ago=timedelta(days=1), next_follow_up_on=date(2024, 2, 10))
    make_follow_up(customer, seller, ago=timedelta(days=30), next_follow_up_on=date(2023, 12, 1))  # back-dated
    refresh_schedule(customer)
    assert (customer.last_follow_up_at, customer.next_follow_up_on) == (newer.happened_at, date(2024, 2, 10))
    newer.archived_at = utcnow()
    refresh_schedule(customer)
    assert (customer.last_follow_up_at, customer.next_follow_up_on) == (older.happened_at, date(2024, 1, 10))
