"""Customer value grading (AA/AB/BA/BB), churn early warning and the staffing estimate, as plain
functions over figures the SQL aggregates give them."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

HUNDRED = Decimal("100")


@dataclass
class GradedCustomer:
    customer_id: int
    rank: int
    revenue: Decimal
    profit: Decimal
    costed_quantity: Decimal
    cumulative_share: Decimal  # 0–1, after this customer
    grade: str

    @property
    def profit_per_unit(self) -> Decimal | None:
        return (self.profit / self.costed_quantity).quantize(Decimal("0.01")) if self.costed_quantity else None


def grade_customers(rows, volume_share: Decimal, margin_threshold: Decimal) -> list[GradedCustomer]:
    """Grade customers from their figures over the window.

    ``rows``: (customer id, revenue, gross profit, costed quantity) per customer with revenue > 0,
    where revenue = Σ contract line amounts (without tax) of contracts signed in the window (cancelled
    ones left out), gross profit = Σ (line amount − quantity × unit cost at the time of sale) and
    costed quantity = Σ quantity, both over the lines whose unit cost is known.

    Volume (first letter): customers sorted by revenue, largest first; a customer is A while the
    cumulative revenue before it is below ``volume_share`` % of the total — so the customer that
    reaches or crosses the line is A, and the next is B. Customers with the same revenue get the same
    letter (ordered by id among themselves, the first decides).

    Margin (second letter): A when gross profit per unit sold = gross profit ÷ costed quantity is
    above ``margin_threshold``, else B (B too when no line has a known cost).
    """
    ordered = sorted(rows, key=lambda row: (-Decimal(row[1]), row[0]))
    total = sum((Decimal(row[1]) for row in ordered), Decimal("0"))
    line = total * Decimal(volume_share) / HUNDRED
    graded, running, previous_revenue, previous_letter = [], Decimal("0"), None, None
    for rank, (customer_id, revenue, profit, quantity) in enumerate(ordered, start=1):
        revenue, profit, quantity = Decimal(revenue), Decimal(profit), Decimal(quantity)
        if previous_revenue is not None and revenue == previous_revenue:
            volume = previous_letter
        else:
            volume = "A" if running < line else "B"
        running += revenue
        per_unit = profit / quantity if quantity else None
        margin = "A" if per_unit is not None and per_unit > Decimal(margin_threshold) else "B"
        share = (running / total) if total else Decimal("0")
        graded.append(GradedCustomer(customer_id, rank, revenue, profit, quantity, share.quantize(Decimal("0.0001")), volume + margin))
        previous_revenue, previous_letter = revenue, volume
    return graded


INTERVAL, QUIET, FALL = "interval", "quiet", "fall"


@dataclass
class ChurnSignal:
    rules: list
    days_overdue: int
    average_interval: Decimal | None
    days_since_purchase: int | None
    days_since_follow_up: int | None
    interval_applies: bool


def churn_signal(*, purchase_days: int, first_on: date | None, last_on: date | None, today: date,
                 last_follow_up_on: date | None, known_since: date, amount_last: Decimal, amount_before: Decimal,
                 factor: Decimal, quiet_days: int, fall_percent: Decimal) -> ChurnSignal:
    """Which warnings a signed customer raises today:

    (a) ``interval``: with at least 3 purchases (distinct days), days since the last purchase >
        ``factor`` × its own average interval = (last − first) ÷ (purchases − 1) days;
    (b) ``quiet``: no follow-up for more than ``quiet_days`` days (counted from when the customer was
        registered if it never had one);
    (c) ``fall``: the last 12 months' amount fell by more than ``fall_percent`` % against the 12
        months before: (before − last) ÷ before × 100 > fall_percent (only when there was an amount before).

    days overdue = the largest of (days since last purchase − factor × interval) and (days without a
    follow-up − quiet days) among the rules that fired; 0 for a fall alone.
    """
    rules, overdue = [], 0
    average = None
    since_purchase = (today - last_on).days if last_on else None
    interval_applies = purchase_days >= 3 and first_on is not None and last_on is not None
    if interval_applies:
        average = (Decimal((last_on - first_on).days) / (purchase_days - 1)).quantize(Decimal("0.1"))
        limit = Decimal(factor) * average
        if since_purchase > limit:
            rules.append(INTERVAL)
            overdue = max(overdue, int(since_purchase - limit))
    since_follow_up = (today - (last_follow_up_on or known_since)).days
    if since_follow_up > quiet_days:
        rules.append(QUIET)
        overdue = max(overdue, since_follow_up - quiet_days)
    before, last = Decimal(amount_before), Decimal(amount_last)
    if before > 0 and (before - last) * HUNDRED / before > Decimal(fall_percent):
        rules.append(FALL)
    return ChurnSignal(rules, overdue, average, since_purchase, since_follow_up if last_follow_up_on else None, interval_applies)


def visits_per_year(interval_days: int | None) -> Decimal:
    """Visits a customer needs in a year = 365 ÷ its intention grade's follow-up interval (0 without one)."""
    if not interval_days:
        return Decimal("0")
    return Decimal(365) / Decimal(interval_days)


def salespeople_needed(visits: Decimal, visits_per_person: int) -> Decimal:
    """工作量法: salespeople needed = visits required per year ÷ visits one salesperson makes per year."""
    return (Decimal(visits) / Decimal(visits_per_person)).quantize(Decimal("0.1"))
