"""A head's digest: the department's figures of one company day, and what became overdue on it."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, select

from portal.extensions import db
from portal.models import Contract, Customer, FollowUp, Instalment, LookupValue, LostOrder, Payment, Quote, QuoteStatus
from portal.rules.contracts import CANCELLED
from portal.rules.followups import local_to_utc


@dataclass
class DayFigures:
    day: date
    new_customers: int = 0
    follow_ups: int = 0
    quotes_won: int = 0
    won_amount: Decimal = Decimal("0")
    lost_orders: int = 0
    lost_amount: Decimal = Decimal("0")
    lost_reasons: list[tuple[str, int]] = field(default_factory=list)  # (reason, count), most first
    money_received: Decimal = Decimal("0")
    follow_ups_became_overdue: int = 0
    instalments_became_overdue: int = 0

    @property
    def empty(self) -> bool:
        return not any((self.new_customers, self.follow_ups, self.quotes_won, self.lost_orders, self.money_received,
                        self.follow_ups_became_overdue, self.instalments_became_overdue))


def company_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a company day in UTC: local midnight to the next local midnight."""
    return local_to_utc(datetime.combine(day, time.min)), local_to_utc(datetime.combine(day + timedelta(days=1), time.min))


def department_day(department_id: int, day: date) -> DayFigures:
    """The department's ``day``: customers created, follow-ups made (by the department's customers),
    quotes won (decided that day) and their amount with tax, lost orders with their amount and
    reasons, money received; and what became overdue on it: customers whose next follow-up was
    planned for ``day`` and instalments due on ``day`` not covered by the payments received
    (running total of the plan > amount received)."""
    start, end = company_day_bounds(day)
    figures = DayFigures(day)
    figures.new_customers = db.session.scalar(
        select(func.count(Customer.id)).where(Customer.department_id == department_id, Customer.archived_at.is_(None),
                                              Customer.created_at >= start, Customer.created_at < end)) or 0
    figures.follow_ups = db.session.scalar(
        select(func.count(FollowUp.id)).join(Customer, Customer.id == FollowUp.customer_id)
        .where(Customer.department_id == department_id, FollowUp.archived_at.is_(None),
               FollowUp.happened_at >= start, FollowUp.happened_at < end)) or 0
    figures.quotes_won, figures.won_amount = db.session.execute(
        select(func.count(Quote.id), func.coalesce(func.sum(Quote.amount_gross), 0))
        .where(Quote.department_id == department_id, Quote.archived_at.is_(None), Quote.status == QuoteStatus.WON.value,
               Quote.decided_on == day)).one()
    lost = db.session.execute(
        select(LookupValue.name, func.count(LostOrder.id), func.coalesce(func.sum(LostOrder.amount), 0))
        .join(LookupValue, LookupValue.id == LostOrder.reason_id)
        .where(LostOrder.department_id == department_id, LostOrder.archived_at.is_(None), LostOrder.lost_on == day)
        .group_by(LookupValue.name).order_by(func.count(LostOrder.id).desc(), LookupValue.name)).all()
    figures.lost_reasons = [(name, count) for name, count, _amount in lost]
    figures.lost_orders = sum(count for _name, count, _amount in lost)
    figures.lost_amount = sum((Decimal(amount) for _name, _count, amount in lost), Decimal("0"))
    figures.money_received = Decimal(db.session.scalar(
        select(func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.department_id == department_id, Payment.archived_at.is_(None), Payment.received_on == day)) or 0)
    figures.follow_ups_became_overdue = db.session.scalar(
        select(func.count(Customer.id)).where(Customer.department_id == department_id, Customer.archived_at.is_(None),
                                              Customer.next_follow_up_on == day)) or 0
    figures.instalments_became_overdue = db.session.scalar(
        select(func.count(Instalment.id)).join(Contract, and_(Contract.id == Instalment.contract_id))
        .where(Contract.department_id == department_id, Contract.archived_at.is_(None), Contract.status != CANCELLED,
               Instalment.archived_at.is_(None), Instalment.due_on == day,
               Instalment.running_total > Contract.amount_received)) or 0
    figures.won_amount = Decimal(figures.won_amount)
    return figures
