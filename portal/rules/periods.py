"""Reporting periods: a week, month, quarter, year or custom range of days, and the one before.

Periods are calendar days in the company's time zone; both ends are included.
"""
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_KINDS = ("month", "quarter", "year", "custom")
# The performance pages also look at a week.
ALL_PERIOD_KINDS = ("week", "month", "quarter", "year", "custom")


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # included
    kind: str = "custom"
    # Cut at today by ``up_to``: the period has not ended, its figures are "to date" (至今).
    to_date: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period just before: the previous month, quarter or year; for a custom period the
        same number of days ending the day before it starts."""
        if self.kind == "week":
            return week_period(self.start - timedelta(days=1))
        if self.kind == "month":
            return month_period(self.start - timedelta(days=1))
        if self.kind == "quarter":
            return quarter_period(self.start - timedelta(days=1))
        if self.kind == "year":
            return year_period(self.start.year - 1)
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), "custom")


def up_to(period: Period, today: date) -> Period:
    """The days of ``period`` that have come: a period that has not ended (today is in it, its last
    day too) ends today and is ``to_date``; one that has ended is whole; one that has not begun is
    empty (it ends the day before it starts)."""
    if period.end < today:
        return period
    return Period(period.start, max(today, period.start - timedelta(days=1)), period.kind, to_date=True)


def week_period(day: date) -> Period:
    """Monday to Sunday around ``day``."""
    start = day - timedelta(days=day.weekday())
    return Period(start, start + timedelta(days=6), "week")


def month_period(day: date) -> Period:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period(start, following - timedelta(days=1), "month")


def quarter_period(day: date) -> Period:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    last_month_start = date(day.year, first_month + 2, 1)
    return Period(start, month_period(last_month_start).end, "quarter")


def year_period(year: int) -> Period:
    return Period(date(year, 1, 1), date(year, 12, 31), "year")


def months_of(period: Period) -> list[str]:
    """The ``YYYY-MM`` keys of every month the period touches, in order."""
    keys, day = [], period.start.replace(day=1)
    while day <= period.end and period.start <= period.end:
        keys.append(day.strftime("%Y-%m"))
        day = (day + timedelta(days=32)).replace(day=1)
    return keys
