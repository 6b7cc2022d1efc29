"""The period (and department) a report is asked for in the query string: a week, month, quarter
or year around a day, or a custom range; a malformed value falls back, a bad custom range is an error
the page shows."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.forms import bounded_int, date_or_none
from portal.rules.periods import PERIOD_KINDS, Period, month_period, quarter_period, up_to, week_period, year_period


@dataclass
class PeriodFilters:
    """Period (month, quarter, year around ``on``, or custom ``start``–``end``) and department."""

    kind: str
    on: date
    start: date | None
    end: date | None
    department: int | None
    error: str | None = None
    today: date | None = None

    @classmethod
    def from_args(cls, args, today: date, kinds=PERIOD_KINDS, max_years: int = 10) -> "PeriodFilters":
        kind = args.get("kind", "month")
        kind = kind if kind in kinds else "month"
        try:
            department = bounded_int(args.get("department", ""))
        except ValueError:
            department = None
        filters = cls(kind, date_or_none(args.get("on")) or today, date_or_none(args.get("start")), date_or_none(args.get("end")),
                      department, today=today)
        if kind == "custom":
            if filters.start is None or filters.end is None:
                filters.error = _l("Enter the first and the last day of the period.")
            elif filters.end < filters.start:
                filters.error = _l("The period cannot end before it starts.")
            elif filters.end > _years_after(filters.start, max_years):
                filters.error = _l("The period can be at most %(years)d years.", years=max_years)
        return filters

    @property
    def period(self) -> Period:
        if self.kind == "week":
            return week_period(self.on)
        if self.kind == "quarter":
            return quarter_period(self.on)
        if self.kind == "year":
            return year_period(self.on.year)
        if self.kind == "custom" and not self.error:
            return Period(self.start, self.end, "custom")
        return month_period(self.on)

    @property
    def shown(self) -> Period:
        """The period's days up to today, as its pages show them (a running period says "to date")."""
        return up_to(self.period, self.today) if self.today else self.period

    def as_args(self) -> dict:
        args = {"kind": self.kind}
        if self.kind == "custom":
            args.update(start=self.start.isoformat() if self.start else None, end=self.end.isoformat() if self.end else None)
        else:
            args["on"] = self.on.isoformat()
        if self.department:
            args["department"] = self.department
        return {key: value for key, value in args.items() if value}


def _years_after(day: date, years: int) -> date:
    """The day ``years`` after ``day`` (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period_filters_for(user, args, today: date, **options) -> PeriodFilters:
    """The period and department asked for, within what ``user`` may look at: a head their own
    department (another one answers 404), a salesperson no department choice, the administrator and
    HR any existing department (an unknown one answers 404)."""
    from flask import abort

    from portal.extensions import db
    from portal.models import Department, Role

    filters = PeriodFilters.from_args(args, today, **options)
    if user.role == Role.HEAD:
        if filters.department not in (None, user.department_id):
            abort(404)
        filters.department = user.department_id
    elif user.role == Role.SALES:
        filters.department = None
    elif filters.department is not None and db.session.get(Department, filters.department) is None:
        abort(404)
    return filters
