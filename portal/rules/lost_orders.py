"""Lost-order figures (丢单分析): periods, counts and amounts by dimension, the lost-order rate and
the price gap to competitors. Each figure is one SQL aggregate, shared by the analysis page, its
drill-down lists and its export.

Which records count: lost orders (``LostOrder``, from a quote or recorded without one) not archived,
whose ``lost_on`` falls in the period (both ends included), in the chosen department (all when
None). Amounts are our amounts (a quote's total with tax, or the estimate of a record without one).
"""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, distinct, func, literal, select

from portal.extensions import db
from portal.rules.periods import PERIOD_KINDS, Period, month_period, months_of, quarter_period, year_period  # noqa: F401
from portal.models import Competitor, LookupValue, LostOrder, Product, Quote, QuoteLine, User

DIMENSIONS = ("reason", "competitor", "salesperson", "product", "category", "month")


def month_key(column):
    """``YYYY-MM`` of a date column, on SQLite and PostgreSQL. SQLite keeps a date as its ISO text
    (YYYY-MM-DD), whose first seven characters are the month: half the cost of ``strftime``."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.substr(column, 1, 7)


def lost_conditions(period: Period, department_id: int | None) -> list:
    conditions = [LostOrder.archived_at.is_(None), LostOrder.lost_on.between(period.start, period.end)]
    if department_id is not None:
        conditions.append(LostOrder.department_id == department_id)
    return conditions


# A lost order's products: its quote's live lines, or the product of a record without a quote;
# ``conditions`` (the period's) are applied inside, so only the period's orders are expanded.
def _product_rows(conditions=()):
    from_lines = (
        select(LostOrder.id.label("lost_id"), QuoteLine.product_id.label("product_id"), QuoteLine.amount.label("amount"))
        .join(QuoteLine, and_(QuoteLine.quote_id == LostOrder.quote_id, QuoteLine.archived_at.is_(None)))
        .where(QuoteLine.product_id.is_not(None), *conditions)
    )
    from_records = select(LostOrder.id, LostOrder.product_id, LostOrder.amount).where(
        LostOrder.quote_id.is_(None), LostOrder.product_id.is_not(None), *conditions
    )
    return from_lines.union_all(from_records).subquery("lost_products")


@dataclass
class Bucket:
    key: object  # the id (or month) the drill-down filters on; None for "none"
    label: str
    count: int
    amount: Decimal


def lost_by(dimension: str, period: Period, department_id: int | None) -> list[Bucket]:
    """Count and amount of lost orders per ``dimension`` value, largest amount first (months in
    order). count = number of lost orders; amount = Σ their amounts. For product and category, a
    lost order counts once for each product it names and the amount is that product's line
    amount (without tax) or the record's estimate."""
    conditions = lost_conditions(period, department_id)
    count, amount = func.count(distinct(LostOrder.id)), func.coalesce(func.sum(LostOrder.amount), 0)
    if dimension == "reason":
        key, label = LostOrder.reason_id, LookupValue.name
        stmt = select(key, label, count, amount).join(LookupValue, LookupValue.id == LostOrder.reason_id)
    elif dimension == "competitor":
        key, label = LostOrder.competitor_id, func.coalesce(Competitor.name, literal(""))
        stmt = select(key, label, count, amount).outerjoin(Competitor, Competitor.id == LostOrder.competitor_id)
    elif dimension == "salesperson":
        key, label = LostOrder.owner_id, User.display_name
        stmt = select(key, label, count, amount).join(User, User.id == LostOrder.owner_id)
    elif dimension in ("product", "category"):
        products = _product_rows(conditions)
        amount = func.coalesce(func.sum(products.c.amount), 0)
        if dimension == "product":
            key, label = Product.id, Product.name
        else:
            key, label = Product.category_id, func.coalesce(LookupValue.name, literal(""))
        stmt = (
            select(key, label, count, amount)
            .join(products, products.c.lost_id == LostOrder.id)
            .join(Product, Product.id == products.c.product_id)
        )
        if dimension == "category":
            stmt = stmt.outerjoin(LookupValue, LookupValue.id == Product.category_id)
    elif dimension == "month":
        key = label = month_key(LostOrder.lost_on)
        stmt = select(key, label, count, amount)
    else:
        raise ValueError(dimension)
    rows = db.session.execute(stmt.select_from(LostOrder).where(*conditions).group_by(key, label)).all()
    buckets = [Bucket(row[0], row[1] or "", row[2], Decimal(row[3])) for row in rows]
    if dimension == "month":
        return sorted(buckets, key=lambda bucket: bucket.key)
    return sorted(buckets, key=lambda bucket: (-bucket.amount, -bucket.count, bucket.label))


def lost_by_month_and_reason(period: Period, department_id: int | None) -> dict[str, dict[int, int]]:
    """For the stacked chart: month → reason id → number of lost orders."""
    month = month_key(LostOrder.lost_on)
    rows = db.session.execute(
        select(month, LostOrder.reason_id, func.count()).where(*lost_conditions(period, department_id)).group_by(month, LostOrder.reason_id)
    ).all()
    table: dict[str, dict[int, int]] = {}
    for key, reason_id, count in rows:
        table.setdefault(key, {})[reason_id] = count
    return table


@dataclass
class Rate:
    key: object
    label: str
    won: int
    lost: int

    @property
    def decided(self) -> int:
        return self.won + self.lost

    @property
    def rate(self) -> Decimal | None:
        """lost ÷ (won + lost); None (shown "—") when nothing was decided."""
        if not self.decided:
            return None
        return (Decimal(self.lost) / Decimal(self.decided) * 100).quantize(Decimal("0.1"))


def _decided_conditions(period: Period, department_id: int | None) -> list:
    conditions = [
        Quote.archived_at.is_(None), Quote.is_latest.is_(True), Quote.status.in_(("won", "lost")),
        Quote.decided_on.between(period.start, period.end),
    ]
    if department_id is not None:
        conditions.append(Quote.department_id == department_id)
    return conditions


def lost_rate(period: Period, department_id: int | None, by: str | None = None) -> list[Rate]:
    """丢单率 = lost ÷ (won + lost) among the newest revisions of quotes decided (won or lost) in
    the period, overall (``by`` None), per month of the decision, per salesperson, or per product
    (a quote counts once for each product on its lines)."""
    # A quote is one row unless its lines are joined in (by product): count rows, or distinct ids.
    counted = (lambda status: func.count(distinct(case((Quote.status == status, Quote.id))))) if by == "product" else (
        lambda status: func.count(case((Quote.status == status, 1)))
    )
    won, lost = counted("won"), counted("lost")
    conditions = _decided_conditions(period, department_id)
    if by is None:
        row = db.session.execute(select(won, lost).where(*conditions)).one()
        return [Rate(None, "", row[0], row[1])]
    if by == "month":
        key = month_key(Quote.decided_on)
        stmt = select(key, key, won, lost)
    elif by == "salesperson":
        key = Quote.owner_id
        stmt = select(key, User.display_name, won, lost).join(User, User.id == Quote.owner_id)
    elif by == "product":
        key = QuoteLine.product_id
        stmt = (
            select(key, Product.name, won, lost)
            .join(QuoteLine, and_(QuoteLine.quote_id == Quote.id, QuoteLine.archived_at.is_(None)))
            .join(Product, Product.id == QuoteLine.product_id)
        )
    else:
        raise ValueError(by)
    rows = db.session.execute(stmt.select_from(Quote).where(*conditions).group_by(key, stmt.selected_columns[1])).all()
    rates = [Rate(row[0], row[1] or "", row[2], row[3]) for row in rows]
    if by == "month":
        return sorted(rates, key=lambda rate: rate.key)
    return sorted(rates, key=lambda rate: (-(rate.rate or 0), -rate.decided, rate.label))


def competitor_share(period: Period, department_id: int | None, overall: Rate | None = None) -> list[Rate]:
    """Per competitor: quotes lost to it ÷ all quotes decided in the period (won + lost), so the
    shares of all competitors add up to the overall 丢单率 (less 需求取消 and unnamed losses).
    ``overall``: the period's ``lost_rate`` when the caller has it already."""
    overall = overall or lost_rate(period, department_id)[0]
    lost = func.count(distinct(Quote.id))
    rows = db.session.execute(
        select(LostOrder.competitor_id, Competitor.name, lost)
        .select_from(Quote)
        .join(LostOrder, LostOrder.quote_id == Quote.id)
        .join(Competitor, Competitor.id == LostOrder.competitor_id)
        .where(*_decided_conditions(period, department_id), Quote.status == "lost", LostOrder.archived_at.is_(None))
        .group_by(LostOrder.competitor_id, Competitor.name)
    ).all()
    rates = [Rate(row[0], row[1], overall.decided - row[2], row[2]) for row in rows]
    return sorted(rates, key=lambda rate: (-rate.lost, rate.label))


@dataclass
class PriceGap:
    compared: int
    average_percent: Decimal | None


def price_gap(period: Period, department_id: int | None) -> PriceGap:
    """Where both are known (our amount and the competitor's price, both above zero): the average
    of (ours − theirs) ÷ theirs × 100 over those lost orders. Positive: we were dearer."""
    gap = (LostOrder.amount - LostOrder.competitor_price) * 100 / LostOrder.competitor_price
    row = db.session.execute(
        select(func.count(), func.avg(gap)).where(
            *lost_conditions(period, department_id), LostOrder.competitor_price > 0, LostOrder.amount > 0
        )
    ).one()
    return PriceGap(row[0], Decimal(str(row[1])).quantize(Decimal("0.1")) if row[1] is not None else None)


@dataclass
class CompetitorPrices:
    key: int
    label: str
    compared: int
    ours: Decimal
    theirs: Decimal
    average_percent: Decimal | None


def price_gap_by_competitor(period: Period, department_id: int | None) -> list[CompetitorPrices]:
    """Per competitor, over the lost orders where both prices are known (as in ``price_gap``):
    compared = their number, ours = Σ our amounts, theirs = Σ the competitor's prices, and the
    average of (ours − theirs) ÷ theirs × 100 per order. Most orders compared first."""
    known = (*lost_conditions(period, department_id), LostOrder.competitor_price > 0, LostOrder.amount > 0)
    gap = (LostOrder.amount - LostOrder.competitor_price) * 100 / LostOrder.competitor_price
    rows = db.session.execute(
        select(Competitor.id, Competitor.name, func.count(), func.sum(LostOrder.amount), func.sum(LostOrder.competitor_price),
               func.avg(gap))
        .join(Competitor, Competitor.id == LostOrder.competitor_id)
        .where(*known)
        .group_by(Competitor.id, Competitor.name)
    ).all()
    prices = [
        CompetitorPrices(key, name, count, Decimal(ours), Decimal(theirs),
                         Decimal(str(average)).quantize(Decimal("0.1")) if average is not None else None)
        for key, name, count, ours, theirs, average in rows
    ]
    return sorted(prices, key=lambda row: (-row.compared, row.label))


@dataclass
class Totals:
    count: int
    amount: Decimal
    rate: Rate


def totals(period: Period, department_id: int | None) -> Totals:
    """Lost orders and their amount in the period, and the overall 丢单率."""
    row = db.session.execute(
        select(func.count(), func.coalesce(func.sum(LostOrder.amount), 0)).where(*lost_conditions(period, department_id))
    ).one()
    return Totals(row[0], Decimal(row[1]), lost_rate(period, department_id)[0])


def drill_down_condition(dimension: str, key):
    """The lost orders behind one bucket of ``lost_by(dimension)``, as a condition on LostOrder."""
    if dimension == "reason":
        return LostOrder.reason_id == key
    if dimension == "competitor":
        return LostOrder.competitor_id.is_(None) if key is None else LostOrder.competitor_id == key
    if dimension == "salesperson":
        return LostOrder.owner_id == key
    if dimension == "month":
        return month_key(LostOrder.lost_on) == key
    if dimension in ("product", "category"):
        products = _product_rows((LostOrder.archived_at.is_(None),))
        column = Product.id if dimension == "product" else Product.category_id
        matching = select(products.c.lost_id).join(Product, Product.id == products.c.product_id).where(
            column.is_(None) if key is None else column == key
        )
        return LostOrder.id.in_(matching)
    raise ValueError(dimension)


def product_amounts(dimension: str, key, period: Period, department_id: int | None) -> dict[int, Decimal]:
    """For a product or category bucket: each lost order's amount for that product (its line
    amounts, or the record's estimate), so the drill-down list adds up to the bucket's amount."""
    products = _product_rows(lost_conditions(period, department_id))
    column = Product.id if dimension == "product" else Product.category_id
    rows = db.session.execute(
        select(products.c.lost_id, func.sum(products.c.amount))
        .join(Product, Product.id == products.c.product_id)
        .where(column.is_(None) if key is None else column == key)
        .group_by(products.c.lost_id)
    ).all()
    return {lost_id: Decimal(amount) for lost_id, amount in rows}


@dataclass
class Analysis:
    """Every figure of the analysis page (see ``analysis``)."""

    current: Totals
    before: Totals
    tables: dict  # dimension → list[Bucket], as ``lost_by``
    by_month_and_reason: dict  # as ``lost_by_month_and_reason``
    rates: dict  # "month", "salesperson", "product" → list[Rate], as ``lost_rate(by=…)``
    competitor_shares: list
    gap: PriceGap
    prices: list


def _by_amount(buckets):
    return sorted(buckets, key=lambda bucket: (-bucket.amount, -bucket.count, bucket.label))


def analysis(period: Period, department_id: int | None) -> Analysis:
    """The page's figures in nine statements instead of twenty: the same definitions as ``lost_by``,
    ``lost_by_month_and_reason``, ``lost_rate``, ``totals``, ``price_gap``, ``price_gap_by_competitor``
    and ``competitor_share``, read from one statement per grouping and added up in Python:

    - lost orders by (month, reason): the month and reason tables, the stacked chart, the total;
    - by competitor, with the sums over orders whose both prices are known: the competitor table,
      the price gap by competitor and overall (average of (ours − theirs) ÷ theirs × 100);
    - by salesperson; by product; by category; the period before's count and amount;
    - newest revisions decided in the period and the period before, by (salesperson, month,
      period): 丢单率 overall, by month, by salesperson, and the period before's;
    - by product of the decided quotes; quotes lost to each competitor.
    """
    conditions = lost_conditions(period, department_id)
    month = month_key(LostOrder.lost_on)
    by_month, by_reason, by_month_reason = {}, {}, {}
    count_all, amount_all = 0, Decimal(0)
    for key, reason_id, name, count, amount in db.session.execute(
        select(month, LostOrder.reason_id, LookupValue.name, func.count(), func.coalesce(func.sum(LostOrder.amount), 0))
        .join(LookupValue, LookupValue.id == LostOrder.reason_id)
        .where(*conditions).group_by(month, LostOrder.reason_id, LookupValue.name)
    ):
        amount = Decimal(amount)
        for table, bucket_key, label in ((by_month, key, key), (by_reason, reason_id, name)):
            bucket = table.setdefault(bucket_key, Bucket(bucket_key, label or "", 0, Decimal(0)))
            bucket.count += count
            bucket.amount += amount
        by_month_reason.setdefault(key, {})[reason_id] = count
        count_all, amount_all = count_all + count, amount_all + amount

    known = and_(LostOrder.competitor_price > 0, LostOrder.amount > 0)
    gap = (LostOrder.amount - LostOrder.competitor_price) * 100 / LostOrder.competitor_price
    competitors, prices = [], []
    compared_all, gap_sum = 0, Decimal(0)
    for key, name, count, amount, compared, ours, theirs, gap_total in db.session.execute(
        select(LostOrder.competitor_id, func.coalesce(Competitor.name, literal("")), func.count(),
               func.coalesce(func.sum(LostOrder.amount), 0), func.count(case((known, 1))),
               func.sum(case((known, LostOrder.amount))), func.sum(case((known, LostOrder.competitor_price))),
               func.sum(case((known, gap))))
        .outerjoin(Competitor, Competitor.id == LostOrder.competitor_id)
        .where(*conditions).group_by(LostOrder.competitor_id, Competitor.name)
    ):
        competitors.append(Bucket(key, name or "", count, Decimal(amount)))
        if compared:
            gap_total = Decimal(str(gap_total))  # SQLite sums the percentages as a float
            compared_all, gap_sum = compared_all + compared, gap_sum + gap_total
            if key is not None:
                prices.append(CompetitorPrices(key, name, compared, Decimal(ours), Decimal(theirs),
                                               (gap_total / compared).quantize(Decimal("0.1"))))
    price_gap_all = PriceGap(compared_all, (gap_sum / compared_all).quantize(Decimal("0.1")) if compared_all else None)

    before_count, before_amount = db.session.execute(
        select(func.count(), func.coalesce(func.sum(LostOrder.amount), 0)).where(*lost_conditions(period.previous(), department_id))
    ).one()

    previous = period.previous()
    decided = [Quote.archived_at.is_(None), Quote.is_latest.is_(True), Quote.status.in_(("won", "lost")),
               Quote.decided_on.between(previous.start, period.end)]
    if department_id is not None:
        decided.append(Quote.department_id == department_id)
    in_period = case((Quote.decided_on >= period.start, 1), else_=0)
    decided_month = month_key(Quote.decided_on)
    now, then = Rate(None, "", 0, 0), Rate(None, "", 0, 0)
    rate_months, rate_people = {}, {}
    for owner, name, key, current, won, count in db.session.execute(
        select(Quote.owner_id, User.display_name, decided_month, in_period, func.count(case((Quote.status == "won", 1))), func.count())
        .join(User, User.id == Quote.owner_id)
        .where(*decided).group_by(Quote.owner_id, User.display_name, decided_month, in_period)
    ):
        rates = [now, rate_months.setdefault(key, Rate(key, key, 0, 0)), rate_people.setdefault(owner, Rate(owner, name or "", 0, 0))] \
            if current else [then]
        for rate in rates:
            rate.won += won
            rate.lost += count - won

    return Analysis(
        current=Totals(count_all, amount_all, now),
        before=Totals(before_count, Decimal(before_amount), then),
        tables={
            "reason": _by_amount(by_reason.values()),
            "competitor": _by_amount(competitors),
            "salesperson": lost_by("salesperson", period, department_id),
            "product": lost_by("product", period, department_id),
            "category": lost_by("category", period, department_id),
            "month": sorted(by_month.values(), key=lambda bucket: bucket.key),
        },
        by_month_and_reason=by_month_reason,
        rates={
            "month": sorted(rate_months.values(), key=lambda rate: rate.key),
            "salesperson": sorted(rate_people.values(), key=lambda rate: (-(rate.rate or 0), -rate.decided, rate.label)),
            "product": lost_rate(period, department_id, by="product"),
        },
        competitor_shares=competitor_share(period, department_id, overall=now),
        gap=price_gap_all,
        prices=sorted(prices, key=lambda row: (-row.compared, row.label)),
    )
