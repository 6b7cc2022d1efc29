"""Complaint rules as plain functions: the response deadline, overdue, the allowed steps and the
summary figures (first-response time, share answered in time, satisfaction)."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

NEW, IN_PROGRESS, RESOLVED, CLOSED = "new", "in_progress", "resolved", "closed"
STATUSES = (NEW, IN_PROGRESS, RESOLVED, CLOSED)
# The next step from each status; a note alone keeps the status.
NEXT_STATUS = {NEW: IN_PROGRESS, IN_PROGRESS: RESOLVED, RESOLVED: CLOSED}
SEVERITIES = ("normal", "serious", "urgent")
KINDS = ("complaint", "suggestion", "enquiry")
CHANNELS = ("phone", "email", "visit", "website", "wechat")


def response_deadline(received_at: datetime, severity: str, hours: dict[str, int]) -> datetime:
    """respond by = received at + the severity's hours (settings; defaults 紧急 4 h, 严重 24 h,
    一般 24 h). Counted in real hours, so a deadline crosses midnight and weekends as the clock does."""
    return received_at + timedelta(hours=hours[severity])


def is_overdue(respond_by: datetime, first_response_at: datetime | None, now: datetime) -> bool:
    """Overdue: no first response yet and the deadline has passed (a response at the deadline is in time)."""
    return first_response_at is None and now > respond_by


def answered_in_time(respond_by: datetime, first_response_at: datetime | None) -> bool:
    return first_response_at is not None and first_response_at <= respond_by


def can_move(current: str, target: str) -> bool:
    """Only to the next status: 新建 → 处理中 → 已解决 → 已关闭."""
    return NEXT_STATUS.get(current) == target


def step_problem(target: str, note: str, resolution: str, satisfaction: int | None) -> str | None:
    """What a step lacks: a resolution to resolve, a satisfaction of 1–5 to close, a note otherwise."""
    if target == RESOLVED and not resolution.strip():
        return "resolution"
    if target == CLOSED and (satisfaction is None or not 1 <= satisfaction <= 5):
        return "satisfaction"
    if target not in (RESOLVED, CLOSED) and not note.strip():
        return "note"
    return None


@dataclass
class Summary:
    """Figures of a set of complaints (see ``summarise``)."""

    count: int = 0
    by_category: dict = field(default_factory=lambda: defaultdict(int))
    by_status: dict = field(default_factory=lambda: defaultdict(int))
    by_month: dict = field(default_factory=lambda: defaultdict(int))
    responded: int = 0
    in_time: int = 0
    response_hours_total: Decimal = Decimal("0")
    rated: int = 0
    satisfaction_total: int = 0
    overdue: int = 0

    @property
    def average_response_hours(self) -> Decimal | None:
        """Average first-response time in hours, over the complaints answered; None when none was."""
        return (self.response_hours_total / self.responded).quantize(Decimal("0.1")) if self.responded else None

    @property
    def in_time_share(self) -> Decimal | None:
        """Share answered within the deadline = answered in time ÷ all received (an unanswered
        complaint counts against it), as a percentage; None for none received."""
        return (Decimal(self.in_time) * 100 / self.count).quantize(Decimal("0.1")) if self.count else None

    @property
    def average_satisfaction(self) -> Decimal | None:
        """Average of the 1–5 ratings given when closing; None when none was rated."""
        return (Decimal(self.satisfaction_total) / self.rated).quantize(Decimal("0.01")) if self.rated else None


def summarise(rows, now: datetime, month_of) -> Summary:
    """``rows``: (category, status, received_at, respond_by, first_response_at, satisfaction);
    ``month_of(received_at)`` gives the ``YYYY-MM`` key in company time."""
    summary = Summary()
    for category, status, received_at, respond_by, first_response_at, satisfaction in rows:
        summary.count += 1
        summary.by_category[category] += 1
        summary.by_status[status] += 1
        summary.by_month[month_of(received_at)] += 1
        if first_response_at is not None:
            summary.responded += 1
            seconds = Decimal((first_response_at - received_at).total_seconds())
            summary.response_hours_total += max(seconds, Decimal(0)) / 3600
        if answered_in_time(respond_by, first_response_at):
            summary.in_time += 1
        if is_overdue(respond_by, first_response_at, now):
            summary.overdue += 1
        if satisfaction is not None:
            summary.rated += 1
            summary.satisfaction_total += satisfaction
    return summary
