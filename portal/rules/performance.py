"""Sales performance (销售业绩) metrics, each one SQL aggregate grouped by salesperson, so a page or
sheet runs a fixed number of statements however many salespeople it shows.

Period rule: a period is calendar days in the company's time zone, both ends included (see
``rules.periods``). Date columns (quote date, decided on, signed on, received on) are compared with
the days; moments (a customer's registration, a follow-up) with the company-time midnights that
bound the days, converted to UTC. Archived records never count. A salesperson's figures are those
of the records they own (the follow-ups they logged).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache

from flask_babel import get_timezone
from sqlalchemy import Date, Integer, and_, bindparam, case, func, or_, select, text, true
from sqlalchemy.orm import aliased

from portal.extensions import db
from portal.models import Contract, Customer, FollowUp, Instalment, Payment, Quote, SalesTarget
from portal.rules.followups import local_to_utc
from portal.rules.lost_orders import month_key
from portal.rules.periods import Period, month_period, week_period
from portal.rules.quotes import OPEN_STATUSES

ZERO = Decimal("0.00")
WON, LOST, DRAFT, CANCELLED = "won", "lost", "draft", "cancelled"


def rate(part: int, whole: int) -> Decimal | None:
    """part ÷ whole × 100, one decimal; None (shown "—") when nothing was decided, never 0 % or an error."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def ratio_of_amounts(part: Decimal, whole: Decimal) -> Decimal | None:
    """part ÷ whole × 100 for amounts (target attainment); None without a target."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def collection_rate(collected: Decimal, deal_amount: Decimal) -> Decimal | None:
    """回款率 = collected (回款额, payments received in the period) ÷ deal amount (成交额, contracts
    signed in the period) × 100, one decimal; None (shown "—") without a deal. Payments of earlier
    deals count too, so a month that collects more than it signs is over 100 %."""
    return ratio_of_amounts(collected, deal_amount)


@dataclass
class Metrics:
    """One salesperson's (or a sum of several's) figures for a period."""

    new_customers: int = 0
    follow_ups: dict = field(default_factory=lambda: defaultdict(int))
    quotes_issued: int = 0
    quoted_amount: Decimal = ZERO
    won: int = 0
    won_amount: Decimal = ZERO
    lost: int = 0
    lost_amount: Decimal = ZERO
    contracts: int = 0
    deal_amount: Decimal = ZERO
    collected: Decimal = ZERO
    first_deal_days: list = field(default_factory=list)
    target: Decimal = ZERO

    @property
    def follow_up_total(self) -> int:
        return sum(self.follow_ups.values())

    @property
    def close_rate(self) -> Decimal | None:
        """成交率 = won ÷ (won + lost) among quotes decided in the period."""
        return rate(self.won, self.won + self.lost)

    @property
    def lost_rate(self) -> Decimal | None:
        """丢单率 = lost ÷ (won + lost) among quotes decided in the period."""
        return rate(self.lost, self.won + self.lost)

    @property
    def collection_rate(self) -> Decimal | None:
        """回款率: see ``collection_rate``."""
        return collection_rate(self.collected, self.deal_amount)

    @property
    def average_deal(self) -> Decimal | None:
        """Average deal size = deal amount ÷ contracts signed in the period."""
        return (self.deal_amount / self.contracts).quantize(Decimal("0.01")) if self.contracts else None

    @property
    def days_to_first_deal(self) -> Decimal | None:
        """Average days from a customer's registration (first contact) to its first contract, over the
        customers whose first contract was signed in the period."""
        if not self.first_deal_days:
            return None
        return (Decimal(sum(self.first_deal_days)) / len(self.first_deal_days)).quantize(Decimal("0.1"))

    @property
    def attainment(self) -> Decimal | None:
        """Target attainment = deal amount ÷ target × 100."""
        return ratio_of_amounts(self.deal_amount, self.target)

    def add(self, other: "Metrics") -> "Metrics":
        """Sum of two: counts and amounts add; rates are recomputed from the sums, never averaged."""
        total = Metrics()
        for name in ("new_customers", "quotes_issued", "quoted_amount", "won", "won_amount", "lost", "lost_amount",
                     "contracts", "deal_amount", "collected", "target"):
            setattr(total, name, getattr(self, name) + getattr(other, name))
        for kind in set(self.follow_ups) | set(other.follow_ups):
            total.follow_ups[kind] = self.follow_ups.get(kind, 0) + other.follow_ups.get(kind, 0)
        total.first_deal_days = self.first_deal_days + other.first_deal_days
        return total


def total_of(metrics) -> Metrics:
    result = Metrics()
    for item in metrics:
        result = result.add(item)
    return result


def utc_bounds(period: Period) -> tuple[datetime, datetime]:
    """[first midnight, midnight after the last day) of the period in company time, as UTC."""
    start = local_to_utc(datetime.combine(period.start, time.min))
    end = local_to_utc(datetime.combine(period.end + timedelta(days=1), time.min))
    return start, end


def month_share(period: Period, year: int, month: int) -> Decimal:
    """The share of a month inside the period: days of the month in the period ÷ days of the month."""
    first = datetime(year, month, 1).date()
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    overlap = (min(last, period.end) - max(first, period.start)).days + 1
    return Decimal(max(overlap, 0)) / Decimal(last.day)


def salesperson_metrics(period: Period, user_ids: list[int]) -> dict[int, Metrics]:
    """Every metric of the period for each of ``user_ids`` (eight statements whatever their number).

    - new customers: customers registered in the period, by owner;
    - follow-ups by kind: follow-ups that happened in the period, by the user who logged them;
    - quotes issued: newest revisions dated in the period that left draft (count, amount with tax);
    - won / lost: newest revisions decided (won or lost) in the period (count, amount with tax);
    - deal amount 成交额: Σ total with tax of contracts signed in the period, cancelled ones left out;
    - collected: Σ payments received in the period;
    - days to first deal: see ``Metrics.days_to_first_deal``;
    - target: Σ monthly targets × ``month_share`` of each month in the period.
    """
    metrics = {user_id: Metrics() for user_id in user_ids}
    if not user_ids:
        return metrics
    start, end = utc_bounds(period)
    days = (period.start, period.end)

    for owner, count in db.session.execute(
        select(Customer.owner_id, func.count()).where(
            Customer.owner_id.in_(user_ids), Customer.archived_at.is_(None), Customer.created_at >= start, Customer.created_at < end
        ).group_by(Customer.owner_id)
    ):
        metrics[owner].new_customers = count
    for user, kind, count in db.session.execute(
        select(FollowUp.user_id, FollowUp.kind, func.count()).where(
            FollowUp.user_id.in_(user_ids), FollowUp.archived_at.is_(None), FollowUp.happened_at >= start, FollowUp.happened_at < end
        ).group_by(FollowUp.user_id, FollowUp.kind)
    ):
        metrics[user].follow_ups[kind] = count
    latest = [Quote.archived_at.is_(None), Quote.is_latest.is_(True), Quote.owner_id.in_(user_ids)]
    for owner, count, amount in db.session.execute(
        select(Quote.owner_id, func.count(), func.coalesce(func.sum(Quote.amount_gross), 0))
        .where(*latest, Quote.status != DRAFT, Quote.quote_date.between(*days)).group_by(Quote.owner_id)
    ):
        metrics[owner].quotes_issued, metrics[owner].quoted_amount = count, Decimal(amount)
    for owner, status, count, amount in db.session.execute(
        select(Quote.owner_id, Quote.status, func.count(), func.coalesce(func.sum(Quote.amount_gross), 0))
        .where(*latest, Quote.status.in_((WON, LOST)), Quote.decided_on.between(*days)).group_by(Quote.owner_id, Quote.status)
    ):
        if status == WON:
            metrics[owner].won, metrics[owner].won_amount = count, Decimal(amount)
        else:
            metrics[owner].lost, metrics[owner].lost_amount = count, Decimal(amount)
    signed = [Contract.archived_at.is_(None), Contract.status != CANCELLED, Contract.owner_id.in_(user_ids)]
    for owner, count, amount in db.session.execute(
        select(Contract.owner_id, func.count(), func.coalesce(func.sum(Contract.amount_gross), 0))
        .where(*signed, Contract.signed_on.between(*days)).group_by(Contract.owner_id)
    ):
        metrics[owner].contracts, metrics[owner].deal_amount = count, Decimal(amount)
    for owner, amount in db.session.execute(
        select(Payment.owner_id, func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.archived_at.is_(None), Payment.owner_id.in_(user_ids), Payment.received_on.between(*days))
        .group_by(Payment.owner_id)
    ):
        metrics[owner].collected = Decimal(amount)
    _first_deals(period, user_ids, metrics)
    months = _months(period)
    for user, year, month, amount in db.session.execute(
        select(SalesTarget.user_id, SalesTarget.year, SalesTarget.month, SalesTarget.amount).where(
            SalesTarget.user_id.in_(user_ids), SalesTarget.archived_at.is_(None),
            _month_in(months),
        )
    ):
        metrics[user].target += (Decimal(amount) * month_share(period, year, month)).quantize(Decimal("0.01"))
    return metrics


def _first_deals(period: Period, user_ids: list[int], metrics: dict[int, Metrics]) -> None:
    """``Metrics.first_deal_days`` of the period (see ``salesperson_metrics``): each of their
    customers' first contract (cancelled ones left out) when it falls in the period, i.e. the
    period's contracts of customers with no contract before it. Starting from the period's
    contracts reads a month's contracts, not every contract of every customer (0.4 s company-wide)."""
    zone = get_timezone()  # once: a department's month has hundreds of first deals (``local_date`` each)
    earlier = aliased(Contract)
    had_one_before = (
        select(earlier.id)
        .where(earlier.customer_id == Contract.customer_id, earlier.archived_at.is_(None), earlier.status != CANCELLED,
               earlier.signed_on < period.start)
        .exists()
    )
    for owner, registered, first_day in db.session.execute(
        select(Customer.owner_id, Customer.created_at, func.min(Contract.signed_on))
        .join(Customer, Customer.id == Contract.customer_id)
        .where(Customer.owner_id.in_(user_ids), Contract.archived_at.is_(None), Contract.status != CANCELLED,
               Contract.signed_on.between(period.start, period.end), ~had_one_before)
        .group_by(Customer.id, Customer.owner_id, Customer.created_at)
    ):
        registered = registered if registered.tzinfo else registered.replace(tzinfo=timezone.utc)
        metrics[owner].first_deal_days.append(max((first_day - registered.astimezone(zone).date()).days, 0))


class _Segments:
    """The days from the first to the last of several periods cut at every period's edges: each
    piece lies wholly inside or outside each period, so one statement grouped by piece gives the
    figures of all the periods (a row's piece is a CASE over the edges, cheap string comparisons
    on SQLite, rather than a date function per row)."""

    def __init__(self, periods):
        self.days = sorted({day for period in periods for day in (period.start, period.end + timedelta(days=1))})
        self.moments = [local_to_utc(datetime.combine(day, time.min)) for day in self.days]

    def of_day(self, column):
        return self._case(column, self.days)

    def of_moment(self, column):
        return self._case(column, self.moments)

    def day_range(self, column):
        return and_(column >= self.days[0], column < self.days[-1])

    def moment_range(self, column):
        return and_(column >= self.moments[0], column < self.moments[-1])

    @staticmethod
    def _case(column, edges):
        if len(edges) <= 2:  # one piece (a CASE still, never a bare 0: GROUP BY 0 names a column on PostgreSQL)
            return case((column.is_(None), 0), else_=0)
        return case(*[(column < edge, index) for index, edge in enumerate(edges[1:-1])], else_=len(edges) - 2)

    def pieces_in(self, period: Period) -> set[int]:
        end = period.end + timedelta(days=1)
        return {index for index in range(len(self.days) - 1) if period.start <= self.days[index] and self.days[index + 1] <= end}


def team_figures(period: Period, previous: Period, user_ids: list[int], today: date | None = None,
                 with_weeks: bool = True) -> tuple[dict[int, Metrics], dict[int, Metrics], list[Period], dict]:
    """What the performance page shows, read together: ``salesperson_metrics`` of the period and of
    the period before, and (``with_weeks``) ``weekly_activity`` of the period — the same figures,
    each statement grouped by the pieces of the days both periods and the weeks cover (see
    ``_Segments``) instead of one statement per period and one per week table."""
    weeks = _weeks(period, today) if with_weeks else []
    periods = [period, previous]
    metrics = [{user_id: Metrics() for user_id in user_ids} for _period in periods]
    activity: dict = defaultdict(WeekActivity)
    if not user_ids:
        return metrics[0], metrics[1], weeks, activity
    both = _Segments(periods)
    with_week_edges = _Segments(periods + weeks)
    in_period = [with_week_edges.pieces_in(one) for one in periods]
    in_week = [(week.start, with_week_edges.pieces_in(week)) for week in weeks]
    in_period_only = [both.pieces_in(one) for one in periods]

    def spread(piece, add, use_weeks=True):
        for index, pieces in enumerate(in_period if use_weeks else in_period_only):
            if piece in pieces:
                add(metrics[index], None)
        if use_weeks:
            for start, pieces in in_week:
                if piece in pieces:
                    add(None, start)

    piece = with_week_edges.of_moment(Customer.created_at)
    for owner, at, count in db.session.execute(
        select(Customer.owner_id, piece, func.count()).where(
            Customer.owner_id.in_(user_ids), Customer.archived_at.is_(None), with_week_edges.moment_range(Customer.created_at)
        ).group_by(Customer.owner_id, piece)
    ):
        def add(figures, week, owner=owner, count=count):
            if figures is not None:
                figures[owner].new_customers += count
            else:
                activity[(owner, week)].new_customers += count
        spread(at, add)
    piece = with_week_edges.of_moment(FollowUp.happened_at)
    for user, kind, at, count in db.session.execute(
        select(FollowUp.user_id, FollowUp.kind, piece, func.count()).where(
            FollowUp.user_id.in_(user_ids), FollowUp.archived_at.is_(None), with_week_edges.moment_range(FollowUp.happened_at)
        ).group_by(FollowUp.user_id, FollowUp.kind, piece)
    ):
        def add(figures, week, user=user, kind=kind, count=count):
            (figures[user] if figures is not None else activity[(user, week)]).follow_ups[kind] += count
        spread(at, add)
    latest = [Quote.archived_at.is_(None), Quote.is_latest.is_(True), Quote.owner_id.in_(user_ids)]
    piece = with_week_edges.of_day(Quote.quote_date)
    for owner, at, count, amount in db.session.execute(
        select(Quote.owner_id, piece, func.count(), func.coalesce(func.sum(Quote.amount_gross), 0))
        .where(*latest, Quote.status != DRAFT, with_week_edges.day_range(Quote.quote_date)).group_by(Quote.owner_id, piece)
    ):
        def add(figures, week, owner=owner, count=count, amount=Decimal(amount)):
            if figures is not None:
                figures[owner].quotes_issued += count
                figures[owner].quoted_amount += amount
            else:
                activity[(owner, week)].quotes += count
        spread(at, add)
    piece = both.of_day(Quote.decided_on)
    for owner, status, at, count, amount in db.session.execute(
        select(Quote.owner_id, Quote.status, piece, func.count(), func.coalesce(func.sum(Quote.amount_gross), 0))
        .where(*latest, Quote.status.in_((WON, LOST)), both.day_range(Quote.decided_on)).group_by(Quote.owner_id, Quote.status, piece)
    ):
        def add(figures, _week, owner=owner, status=status, count=count, amount=Decimal(amount)):
            if status == WON:
                figures[owner].won += count
                figures[owner].won_amount += amount
            else:
                figures[owner].lost += count
                figures[owner].lost_amount += amount
        spread(at, add, use_weeks=False)
    piece = both.of_day(Contract.signed_on)
    for owner, at, count, amount in db.session.execute(
        select(Contract.owner_id, piece, func.count(), func.coalesce(func.sum(Contract.amount_gross), 0))
        .where(Contract.archived_at.is_(None), Contract.status != CANCELLED, Contract.owner_id.in_(user_ids),
               both.day_range(Contract.signed_on)).group_by(Contract.owner_id, piece)
    ):
        def add(figures, _week, owner=owner, count=count, amount=Decimal(amount)):
            figures[owner].contracts += count
            figures[owner].deal_amount += amount
        spread(at, add, use_weeks=False)
    piece = both.of_day(Payment.received_on)
    for owner, at, amount in db.session.execute(
        select(Payment.owner_id, piece, func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.archived_at.is_(None), Payment.owner_id.in_(user_ids), both.day_range(Payment.received_on))
        .group_by(Payment.owner_id, piece)
    ):
        def add(figures, _week, owner=owner, amount=Decimal(amount)):
            figures[owner].collected += amount
        spread(at, add, use_weeks=False)
    for one, figures in zip(periods, metrics):
        _first_deals(one, user_ids, figures)
    months = sorted(set(_months(period)) | set(_months(previous)))
    for user, year, month, amount in db.session.execute(
        select(SalesTarget.user_id, SalesTarget.year, SalesTarget.month, SalesTarget.amount).where(
            SalesTarget.user_id.in_(user_ids), SalesTarget.archived_at.is_(None), _month_in(months))
    ):
        for one, figures in zip(periods, metrics):
            figures[user].target += (Decimal(amount) * month_share(one, year, month)).quantize(Decimal("0.01"))
    return metrics[0], metrics[1], weeks, activity


def _months(period: Period) -> list[tuple[int, int]]:
    months, day = [], period.start.replace(day=1)
    while day <= period.end:
        months.append((day.year, day.month))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _month_in(months):
    years = sorted({year for year, _month in months})
    return or_(*[and_(SalesTarget.year == year, SalesTarget.month.in_([m for y, m in months if y == year])) for year in years])


def monthly_targets(months: list[Period], user_ids: list[int]) -> list[Decimal]:
    """For each month: Σ the monthly targets (业绩目标) of ``user_ids``; 0 where none is set."""
    if not months or not user_ids:
        return [ZERO for _month in months]
    keys = [(month.start.year, month.start.month) for month in months]
    totals = defaultdict(lambda: ZERO)
    for year, month, amount in db.session.execute(
        select(SalesTarget.year, SalesTarget.month, func.sum(SalesTarget.amount))
        .where(SalesTarget.user_id.in_(user_ids), SalesTarget.archived_at.is_(None), _month_in(keys))
        .group_by(SalesTarget.year, SalesTarget.month)
    ):
        totals[(year, month)] = Decimal(amount)
    return [totals[key] for key in keys]


def monthly_trend(months: list[Period], user_ids: list[int]) -> list[tuple[Period, Decimal, Decimal | None]]:
    """For each month: (month, deal amount, close rate) of ``user_ids`` together — two statements
    grouped by month for the whole range."""
    if not months:
        return []
    first, last = months[0].start, months[-1].end
    amounts = defaultdict(lambda: ZERO)
    signed_month = month_key(Contract.signed_on)
    for key, amount in db.session.execute(
        select(signed_month, func.coalesce(func.sum(Contract.amount_gross), 0))
        .where(Contract.archived_at.is_(None), Contract.status != CANCELLED, Contract.owner_id.in_(user_ids),
               Contract.signed_on.between(first, last))
        .group_by(signed_month)
    ):
        amounts[key] = Decimal(amount)
    decided = defaultdict(lambda: [0, 0])
    decided_month = month_key(Quote.decided_on)
    for key, won, count in db.session.execute(
        select(decided_month, func.count(case((Quote.status == WON, 1))), func.count())
        .where(Quote.archived_at.is_(None), Quote.is_latest.is_(True), Quote.owner_id.in_(user_ids),
               Quote.status.in_((WON, LOST)), Quote.decided_on.between(first, last))
        .group_by(decided_month)
    ):
        decided[key] = [won, count - won]
    trend = []
    for month in months:
        key = month.start.strftime("%Y-%m")
        won, lost = decided[key]
        trend.append((month, amounts[key], rate(won, won + lost)))
    return trend


@dataclass
class WeekActivity:
    """One salesperson's week: follow-ups by kind, customers registered, quotes issued."""

    follow_ups: dict = field(default_factory=lambda: defaultdict(int))
    new_customers: int = 0
    quotes: int = 0


def weekly_activity(period: Period, user_ids: list[int], today: date | None = None, max_weeks: int = 13) -> tuple[list[Period], dict]:
    """The weeks (Monday–Sunday) the period touches up to ``today``, at most the last ``max_weeks``
    (this week ends today, ``to_date``), and for each (user id, week start) its ``WeekActivity``.
    Three statements: follow-ups and registrations are read as moments and put in the company-time
    week they fall in; quotes by their date (issued = left draft, newest revision)."""
    weeks = _weeks(period, today, max_weeks)
    activity: dict = defaultdict(WeekActivity)
    if not user_ids or not weeks:
        return weeks, activity
    span = Period(weeks[0].start, weeks[-1].end)
    start, end = utc_bounds(span)

    # Moments are grouped by their company-time day in SQL (a few hundred rows, not every
    # follow-up): the zone's offset at the start of the span shifts the stored UTC time.
    offset = int(get_timezone().utcoffset(datetime.combine(span.start, time(12))).total_seconds() // 60)

    def week_of(day):
        day = date.fromisoformat(day) if isinstance(day, str) else day
        return day - timedelta(days=day.weekday())

    follow_up_day = _local_day(FollowUp.happened_at, offset)
    for user, kind, day, count in db.session.execute(
        select(FollowUp.user_id, FollowUp.kind, follow_up_day, func.count()).where(
            FollowUp.user_id.in_(user_ids), FollowUp.archived_at.is_(None), FollowUp.happened_at >= start, FollowUp.happened_at < end)
        .group_by(FollowUp.user_id, FollowUp.kind, follow_up_day)
    ):
        activity[(user, week_of(day))].follow_ups[kind] += count
    created_day = _local_day(Customer.created_at, offset)
    for owner, day, count in db.session.execute(
        select(Customer.owner_id, created_day, func.count()).where(
            Customer.owner_id.in_(user_ids), Customer.archived_at.is_(None), Customer.created_at >= start, Customer.created_at < end)
        .group_by(Customer.owner_id, created_day)
    ):
        activity[(owner, week_of(day))].new_customers += count
    for owner, quote_date, count in db.session.execute(
        select(Quote.owner_id, Quote.quote_date, func.count()).where(
            Quote.owner_id.in_(user_ids), Quote.archived_at.is_(None), Quote.is_latest.is_(True), Quote.status != DRAFT,
            Quote.quote_date.between(span.start, span.end)).group_by(Quote.owner_id, Quote.quote_date)
    ):
        activity[(owner, week_of(quote_date))].quotes += count
    return weeks, activity


def _weeks(period: Period, today: date | None, max_weeks: int = 13) -> list[Period]:
    """See ``weekly_activity``: the weeks the period touches up to ``today``, the last ``max_weeks``."""
    from portal.rules.periods import up_to

    last = period.end if today is None else min(period.end, today)
    weeks, day = [], week_period(last)
    while last >= period.start and day.end >= period.start and len(weeks) < max_weeks:
        weeks.insert(0, day if today is None else up_to(day, today))
        day = week_period(day.start - timedelta(days=1))
    return weeks


def _local_day(column, offset_minutes: int):
    """The company-time date of a stored (naive UTC) moment, in SQL."""
    if db.engine.dialect.name == "postgresql":
        return func.date(column + text(f"interval '{offset_minutes} minutes'"))
    return func.date(column, f"{offset_minutes:+d} minutes")


@dataclass
class MonthAtAGlance:
    """The month so far of one salesperson or of a department (My day's first lines)."""

    figures: Metrics  # deal amount, won, lost and target of the month
    open_quotes: int = 0
    open_quoted_amount: Decimal = ZERO
    due_this_week: Decimal = ZERO

    @property
    def deal_amount(self) -> Decimal:
        return self.figures.deal_amount

    @property
    def target(self) -> Decimal:
        return self.figures.target

    @property
    def attainment(self) -> Decimal | None:
        return self.figures.attainment

    @property
    def close_rate(self) -> Decimal | None:
        return self.figures.close_rate


def month_at_a_glance(people, today: date, **parameters) -> MonthAtAGlance:
    """The month of ``today`` for the records owned by ``people`` (a subquery selecting user ids,
    its bound parameters given as ``parameters``), in one statement of grouped aggregates read side
    by side:

    - deal amount 成交额: Σ total with tax of contracts signed this month (cancelled ones left out),
      as ``salesperson_metrics``;
    - target: Σ of the people's targets for this month (the whole month: the month is the period);
    - 成交率 = won ÷ (won + lost) among newest revisions decided this month (``Metrics.close_rate``);
    - open quotes: newest revisions still draft or sent and valid today or later, their number and
      Σ total with tax;
    - due this week: Σ of what payments do not cover yet of instalments due Monday … Sunday of this
      week, an instalment's open part being min(amount, running total − amount received), on
      contracts not cancelled.
    Archived records never count.

    The statement is built once per ``people`` (module-level subqueries with bound parameters) and
    reused, so a request pays neither for building it nor for its cache key.
    """
    month, week = month_period(today), week_period(today)
    row = db.session.execute(_month_statement(people), {
        **parameters, "month_start": month.start, "month_end": month.end, "week_start": week.start, "week_end": week.end,
        "today": today, "year": today.year, "month": today.month,
    }).one()
    figures = Metrics(deal_amount=_money(row[0]), won=int(row[1]), lost=int(row[2]), target=_money(row[6]))
    return MonthAtAGlance(figures, open_quotes=int(row[3]), open_quoted_amount=_money(row[4]), due_this_week=_money(row[5]))


@lru_cache(maxsize=8)
def _month_statement(people):
    days = (bindparam("month_start", type_=Date), bindparam("month_end", type_=Date))
    today = bindparam("today", type_=Date)
    deals = (
        select(func.coalesce(func.sum(Contract.amount_gross), 0).label("amount"))
        .where(Contract.owner_id.in_(people), Contract.archived_at.is_(None), Contract.status != CANCELLED,
               Contract.signed_on.between(*days))
        .subquery()
    )
    latest = (Quote.owner_id.in_(people), Quote.is_latest.is_(True), Quote.archived_at.is_(None))
    decided = (
        select(func.coalesce(func.sum(case((Quote.status == WON, 1), else_=0)), 0).label("won"),
               func.coalesce(func.sum(case((Quote.status == LOST, 1), else_=0)), 0).label("lost"))
        .where(*latest, Quote.decided_on.between(*days), Quote.status.in_((WON, LOST)))
        .subquery()
    )
    open_quotes = (
        select(func.count().label("count"), func.coalesce(func.sum(Quote.amount_gross), 0).label("amount"))
        .where(*latest, Quote.status.in_(OPEN_STATUSES), Quote.valid_until >= today)
        .subquery()
    )
    uncovered = Instalment.running_total - Contract.amount_received
    week = Instalment.due_on.between(bindparam("week_start", type_=Date), bindparam("week_end", type_=Date))
    due = (
        select(func.coalesce(func.sum(case((uncovered < Instalment.amount, uncovered), else_=Instalment.amount)), 0).label("amount"))
        .join(Contract, Contract.id == Instalment.contract_id)
        .where(Contract.owner_id.in_(people), Contract.archived_at.is_(None), Contract.status != CANCELLED,
               Instalment.archived_at.is_(None), week, uncovered > 0,
               # Says nothing new, but tells PostgreSQL's planner that few contracts take part: it
               # otherwise hashed all 60,000 contracts against the week's few hundred instalments.
               Contract.id.in_(select(Instalment.contract_id).where(week)))
        .subquery()
    )
    targets = (
        select(func.coalesce(func.sum(SalesTarget.amount), 0).label("amount"))
        .where(SalesTarget.user_id.in_(people), SalesTarget.archived_at.is_(None),
               SalesTarget.year == bindparam("year", type_=Integer), SalesTarget.month == bindparam("month", type_=Integer))
        .subquery()
    )
    # Each aggregate is one row: they are read side by side (joined on true, no cartesian growth).
    return (
        select(deals.c.amount, decided.c.won, decided.c.lost, open_quotes.c.count, open_quotes.c.amount, due.c.amount,
               targets.c.amount)
        .select_from(deals).join(decided, true()).join(open_quotes, true()).join(due, true()).join(targets, true())
    )


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
