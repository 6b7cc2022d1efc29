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
    """``YYYY-MM`` of a date column, on SQLite and PostgreSQL."""
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


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


def competitor_share(period: Period, department_id: int | None) -> list[Rate]:
    """Per competitor: quotes lost to it ÷ all quotes decided in the period (won + lost), so the
    shares of all competitors add up to the overall 丢单率 (less 需求取消 and unnamed losses)."""
    overall = lost_rate(period, department_id)[0]
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
