"""Complaint rules: the deadline across a day boundary, overdue, the steps, the summary figures on a
fixed data set."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from portal.rules.complaints import (
    CLOSED, IN_PROGRESS, NEW, RESOLVED, answered_in_time, can_move, is_overdue, response_deadline, step_problem, summarise,
)

HOURS = {"urgent": 4, "serious": 24, "normal": 24}
UTC = timezone.utc


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026 given in Shanghai time, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_the_deadline_crosses_midnight_in_company_time():
    received = shanghai(30, 22, 30)  # 22:30 on the 30th in Shanghai
    assert response_deadline(received, "urgent", HOURS) == shanghai(30, 22, 30) + timedelta(hours=4)  # 02:30 on 1 December
    assert response_deadline(received, "urgent", HOURS) == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    assert response_deadline(received, "normal", HOURS) == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)


def test_overdue_only_without_a_response_after_the_deadline():
    respond_by = shanghai(30, 12)
    assert not is_overdue(respond_by, None, respond_by)  # at the deadline: not yet
    assert is_overdue(respond_by, None, respond_by + timedelta(minutes=1))
    assert not is_overdue(respond_by, respond_by + timedelta(hours=5), respond_by + timedelta(hours=6))  # answered, late
    assert answered_in_time(respond_by, respond_by) and not answered_in_time(respond_by, respond_by + timedelta(seconds=1))
    assert not answered_in_time(respond_by, None)


@pytest.mark.parametrize("current, target, allowed", [
    (NEW, IN_PROGRESS, True), (IN_PROGRESS, RESOLVED, True), (RESOLVED, CLOSED, True),
    (NEW, RESOLVED, False), (NEW, CLOSED, False), (CLOSED, NEW, False), (RESOLVED, IN_PROGRESS, False),
])
def test_steps_go_one_at_a_time(current, target, allowed):
    assert can_move(current, target) is allowed


def test_what_a_step_needs():
    assert step_problem(RESOLVED, "", "  ", None) == "resolution"
    assert step_problem(RESOLVED, "", "换货", None) is None
    assert step_problem(CLOSED, "", "", None) == "satisfaction"
    assert step_problem(CLOSED, "", "", 6) == "satisfaction" and step_problem(CLOSED, "", "", 0) == "satisfaction"
    assert step_problem(CLOSED, "", "", 5) is None
    assert step_problem("", "", "", None) == "note" and step_problem(IN_PROGRESS, "已联系", "", None) is None


def test_the_summary_of_a_fixed_set():
    now = shanghai(30, 18)
    rows = [
        # category, status, received, respond by, first response, satisfaction
        ("产品质量", CLOSED, shanghai(1, 9), shanghai(2, 9), shanghai(1, 11), 5),    # 2 h, in time
        ("产品质量", CLOSED, shanghai(3, 9), shanghai(3, 13), shanghai(3, 19), 3),   # 10 h, late (urgent)
        ("交期", IN_PROGRESS, shanghai(10, 9), shanghai(11, 9), shanghai(10, 12), None),  # 3 h, in time
        ("服务态度", NEW, shanghai(29, 8), shanghai(30, 8), None, None),             # overdue now
    ]
    summary = summarise(rows, now, lambda moment: "2026-11")
    assert summary.count == 4 and dict(summary.by_category) == {"产品质量": 2, "交期": 1, "服务态度": 1}
    assert dict(summary.by_status) == {CLOSED: 2, IN_PROGRESS: 1, NEW: 1}
    assert summary.average_response_hours == Decimal("5.0")  # (2 + 10 + 3) ÷ 3
    assert summary.in_time_share == Decimal("50.0")  # 2 of 4
    assert summary.average_satisfaction == Decimal("4.00")
    assert summary.overdue == 1
    empty = summarise([], now, lambda moment: "")
    assert empty.average_response_hours is None and empty.in_time_share is None and empty.average_satisfaction is None
