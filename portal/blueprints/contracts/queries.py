"""Contract numbering, the scoped lists of contracts, payments and deliveries with their totals,
the payment status in SQL, delivered quantities and a customer's purchase history."""
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import Date, Integer, and_, bindparam, case, func, literal, or_, select

from portal.access import person_parameters, scope_clause, someone
from portal.extensions import db
from portal.forms import date_or_none, int_or_none, like_pattern
from portal.numbering import keyset_page, take_yearly_number
from portal.models import (
    Contract, ContractCounter, ContractLine, ContractStatus, Customer, Delivery,
    DeliveryLine, Instalment, Payment, Role, User,
)
from portal.rules.contracts import OVERDUE, PAID, PARTLY_PAID, PAYMENT_STATUSES, payment_status

PAGE_SIZE = 25


def take_contract_sequence(year: int) -> int:
    """The next contract number of ``year`` (gap-free; see ``portal.numbering``)."""
    return take_yearly_number(ContractCounter, year)


def due_before(today: date):
    """Σ of the contract's live instalments due before ``today`` (a correlated scalar subquery)."""
    return (
        select(func.coalesce(func.sum(Instalment.amount), 0))
        .where(Instalment.contract_id == Contract.id, Instalment.archived_at.is_(None), Instalment.due_on < today)
        .scalar_subquery()
    )


def payment_status_condition(status: str, today: date):
    """The SQL form of ``rules.contracts.payment_status``: the contracts whose payment status is
    ``status`` today."""
    received, total = Contract.amount_received, Contract.amount_gross
    late = received < due_before(today)
    if status == PAID:
        return received >= total
    if status == OVERDUE:
        return and_(received < total, late)
    if status == PARTLY_PAID:
        return and_(received > 0, received < total, ~late)
    return and_(received <= 0, received < total, ~late)


@dataclass
class ContractFilters:
    """The contract list's filters from the query string; a malformed value is ignored."""

    status: str = ""
    payment: str = ""
    q: str = ""
    owner: int | None = None
    customer: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> "ContractFilters":
        status, payment = args.get("status", ""), args.get("payment", "")
        return cls(
            status=status if status in {s.value for s in ContractStatus} else "",
            payment=payment if payment in PAYMENT_STATUSES else "",
            q=unicodedata.normalize("NFKC", args.get("q", "")).strip()[:100],
            owner=int_or_none(args.get("owner")),
            customer=int_or_none(args.get("customer")),
            date_from=date_or_none(args.get("from")),
            date_to=date_or_none(args.get("to")),
        )

    def as_args(self) -> dict:
        values = {
            "status": self.status, "payment": self.payment, "q": self.q, "owner": self.owner,
            "customer": self.customer, "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {key: value for key, value in values.items() if value not in (None, "")}


def _contract_conditions(user, filters: ContractFilters, today: date) -> list:
    conditions = [Contract.archived_at.is_(None), scope_clause(Contract, user)]
    if filters.status:
        conditions.append(Contract.status == filters.status)
    if filters.payment:
        conditions.append(payment_status_condition(filters.payment, today))
    if filters.q:
        conditions.append(or_(
            func.lower(Contract.number).like(like_pattern(filters.q.lower()), escape="\\"),
            Customer.name.like(like_pattern(filters.q), escape="\\"),
        ))
    if filters.owner:
        conditions.append(Contract.owner_id == filters.owner)
    if filters.customer:
        conditions.append(Contract.customer_id == filters.customer)
    if filters.date_from:
        conditions.append(Contract.signed_on >= filters.date_from)
    if filters.date_to:
        conditions.append(Contract.signed_on <= filters.date_to)
    return conditions


@dataclass
class ContractRow:
    """One row of the list: the columns read, plus the payment status the rule gives them."""

    id: int
    number: str
    signed_on: date
    status: str
    customer_id: int
    customer_name: str
    owner_name: str
    amount_gross: Decimal
    amount_received: Decimal
    payment_status: str

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount_gross - self.amount_received, Decimal("0"))


@dataclass
class ListPage:
    rows: list
    next_cursor: int | None
    count: int
    totals: dict


def list_contracts(user, filters: ContractFilters, after: int | None, today: date, page_size: int = PAGE_SIZE,
                   with_totals: bool = True) -> ListPage:
    """One keyset page (newest first) of the contracts ``user`` may see with each row's payment
    status, and the count, contract amount, received and outstanding of everything the filters
    select (two statements)."""
    conditions = _contract_conditions(user, filters, today)
    stmt = (
        select(Contract.id, Contract.number, Contract.signed_on, Contract.status, Contract.customer_id,
               Customer.name, User.display_name, Contract.amount_gross, Contract.amount_received,
               due_before(today))
        .join(Customer, Customer.id == Contract.customer_id)
        .join(User, User.id == Contract.owner_id)
        .where(*conditions)
    )
    found, next_cursor = keyset_page(stmt, Contract.id, after, page_size)
    rows = [ContractRow(*values[:9], payment_status=payment_status(values[7], values[8], values[9])) for values in found]
    totals = {}
    count = 0
    if with_totals:
        statement = select(func.count(), func.coalesce(func.sum(Contract.amount_gross), 0),
                           func.coalesce(func.sum(Contract.amount_received), 0)).select_from(Contract)
        if filters.q:
            statement = statement.join(Customer, Customer.id == Contract.customer_id)
        count, amount, received = db.session.execute(statement.where(*conditions)).one()
        amount, received = Decimal(amount), Decimal(received)
        totals = {"amount": amount, "received": received, "outstanding": max(amount - received, Decimal("0"))}
    return ListPage(rows=rows, next_cursor=next_cursor, count=count, totals=totals)


@dataclass
class RecordFilters:
    """Filters of the payments and deliveries lists: customer, owner, period, and a kind (the
    payment method, or the delivery state planned/overdue/delivered)."""

    kind: str = ""
    owner: int | None = None
    customer: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args, kinds) -> "RecordFilters":
        kind = args.get("kind", "")
        return cls(
            kind=kind if kind in kinds else "",
            owner=int_or_none(args.get("owner")),
            customer=int_or_none(args.get("customer")),
            date_from=date_or_none(args.get("from")),
            date_to=date_or_none(args.get("to")),
        )

    def as_args(self) -> dict:
        values = {"kind": self.kind, "owner": self.owner, "customer": self.customer,
                  "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None}
        return {key: value for key, value in values.items() if value not in (None, "")}


def list_payments(user, filters: RecordFilters, after: int | None, page_size: int = PAGE_SIZE,
                  with_totals: bool = True) -> ListPage:
    """Payments received that ``user`` may see (newest first), with the count and total received."""
    conditions = [Payment.archived_at.is_(None), scope_clause(Payment, user)]
    if filters.kind:
        conditions.append(Payment.method == filters.kind)
    if filters.owner:
        conditions.append(Payment.owner_id == filters.owner)
    if filters.customer:
        conditions.append(Payment.customer_id == filters.customer)
    if filters.date_from:
        conditions.append(Payment.received_on >= filters.date_from)
    if filters.date_to:
        conditions.append(Payment.received_on <= filters.date_to)
    stmt = (
        select(Payment.id, Payment.received_on, Payment.amount, Payment.method, Payment.note, Payment.contract_id,
               Contract.number.label("contract_number"), Payment.customer_id, Customer.name.label("customer_name"),
               User.display_name.label("owner_name"))
        .join(Contract, Contract.id == Payment.contract_id)
        .join(Customer, Customer.id == Payment.customer_id)
        .join(User, User.id == Payment.owner_id)
        .where(*conditions)
    )
    rows, next_cursor = keyset_page(stmt, Payment.id, after, page_size)
    count, totals = 0, {}
    if with_totals:
        count, amount = db.session.execute(
            select(func.count(), func.coalesce(func.sum(Payment.amount), 0)).select_from(Payment).where(*conditions)
        ).one()
        totals = {"received": Decimal(amount)}
    return ListPage(rows=rows, next_cursor=next_cursor, count=count, totals=totals)


DELIVERY_KINDS = ("planned", "overdue", "delivered")


def list_deliveries(user, filters: RecordFilters, after: int | None, today: date, page_size: int = PAGE_SIZE,
                    with_totals: bool = True) -> ListPage:
    """Deliveries ``user`` may see (newest first): planned (not yet, not late), overdue (planned
    before today, not delivered) or delivered; the period filters the planned date."""
    conditions = [Delivery.archived_at.is_(None), scope_clause(Delivery, user)]
    if filters.kind == "planned":
        conditions += [Delivery.delivered_on.is_(None), Delivery.planned_on >= today]
    elif filters.kind == "overdue":
        conditions += [Delivery.delivered_on.is_(None), Delivery.planned_on < today]
    elif filters.kind == "delivered":
        conditions.append(Delivery.delivered_on.is_not(None))
    if filters.owner:
        conditions.append(Delivery.owner_id == filters.owner)
    if filters.customer:
        conditions.append(Delivery.customer_id == filters.customer)
    if filters.date_from:
        conditions.append(Delivery.planned_on >= filters.date_from)
    if filters.date_to:
        conditions.append(Delivery.planned_on <= filters.date_to)
    stmt = (
        select(Delivery.id, Delivery.sequence, Delivery.planned_on, Delivery.delivered_on, Delivery.address,
               Delivery.receiver, Delivery.receiver_phone, Delivery.contract_id, Contract.number.label("contract_number"),
               Delivery.customer_id, Customer.name.label("customer_name"), User.display_name.label("owner_name"))
        .join(Contract, Contract.id == Delivery.contract_id)
        .join(Customer, Customer.id == Delivery.customer_id)
        .join(User, User.id == Delivery.owner_id)
        .where(*conditions)
    )
    rows, next_cursor = keyset_page(stmt, Delivery.id, after, page_size)
    count = db.session.scalar(select(func.count()).select_from(Delivery).where(*conditions)) if with_totals else 0
    return ListPage(rows=rows, next_cursor=next_cursor, count=count, totals={})


def live_lines(contract_id: int) -> list[ContractLine]:
    stmt = select(ContractLine).where(ContractLine.contract_id == contract_id, ContractLine.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(ContractLine.position, ContractLine.id)))


def live_instalments(contract_id: int) -> list[Instalment]:
    stmt = select(Instalment).where(Instalment.contract_id == contract_id, Instalment.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Instalment.due_on, Instalment.position, Instalment.id)))


def contract_payments(contract_id: int) -> list[Payment]:
    stmt = select(Payment).where(Payment.contract_id == contract_id, Payment.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Payment.received_on, Payment.id)))


def contract_deliveries(contract_id: int) -> list[Delivery]:
    stmt = select(Delivery).where(Delivery.contract_id == contract_id, Delivery.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(Delivery.sequence)))


def delivered_quantities(contract_id: int, *, excluding_delivery: int | None = None) -> dict[int, Decimal]:
    """Contract line id → quantity on the contract's live deliveries (planned or delivered)."""
    stmt = (
        select(DeliveryLine.contract_line_id, func.sum(DeliveryLine.quantity))
        .join(Delivery, Delivery.id == DeliveryLine.delivery_id)
        .where(Delivery.contract_id == contract_id, Delivery.archived_at.is_(None), DeliveryLine.archived_at.is_(None))
        .group_by(DeliveryLine.contract_line_id)
    )
    if excluding_delivery:
        stmt = stmt.where(Delivery.id != excluding_delivery)
    return {line_id: Decimal(total) for line_id, total in db.session.execute(stmt)}


def known_addresses(customer: Customer) -> list[str]:
    """Addresses to pick for a delivery: the customer's own, then those used on its earlier
    deliveries (most recent first), without repeats."""
    used = db.session.scalars(
        select(Delivery.address).where(Delivery.customer_id == customer.id, Delivery.archived_at.is_(None))
        .group_by(Delivery.address).order_by(func.max(Delivery.id).desc()).limit(20)
    ).all()
    addresses = []
    for address in [customer.address, *used]:
        if address and address not in addresses:
            addresses.append(address)
    return addresses


@dataclass
class PurchaseHistory:
    count: int
    total: Decimal
    received: Decimal
    first_on: date | None
    last_on: date | None
    recent: list

    @property
    def outstanding(self) -> Decimal:
        return max(self.total - self.received, Decimal("0"))


def purchase_history(customer_id: int, user, today: date, limit: int = 10) -> PurchaseHistory:
    """A customer's signed contracts ``user`` may see (cancelled ones left out of the figures):
    count, total, received, first and last signing date; and the latest contracts with their
    payment status. Two statements, built once per role and limit (``_purchase_statements``)."""
    figures_statement, recent_statement = _purchase_statements(Role(user.role), limit)
    parameters = {"customer_id": customer_id, "today": today, **person_parameters(user)}
    figures = db.session.execute(figures_statement, parameters).one()
    recent = db.session.execute(recent_statement, parameters).all()
    rows = [(row, payment_status(row.amount_gross, row.amount_received, row[6])) for row in recent]
    return PurchaseHistory(count=int(figures[0]), total=Decimal(figures[1]), received=Decimal(figures[2]),
                           first_on=figures[3], last_on=figures[4], recent=rows)


@lru_cache(maxsize=16)
def _purchase_statements(role: Role, limit: int):
    """(figures, latest contracts) of ``purchase_history`` for anyone of ``role`` (``someone``), the
    customer, the person and ``today`` bound when they run: every customer page runs them, and
    building them and their cache keys cost about as much as running them."""
    visible = [Contract.customer_id == bindparam("customer_id", type_=Integer), Contract.archived_at.is_(None),
               scope_clause(Contract, someone(role))]
    counted = case((Contract.status != ContractStatus.CANCELLED.value, literal(1)), else_=literal(0))
    live = Contract.status != ContractStatus.CANCELLED.value
    figures = (
        select(func.coalesce(func.sum(counted), 0),
               func.coalesce(func.sum(case((live, Contract.amount_gross), else_=0)), 0),
               func.coalesce(func.sum(case((live, Contract.amount_received), else_=0)), 0),
               func.min(case((live, Contract.signed_on))), func.max(case((live, Contract.signed_on))))
        .where(*visible)
    )
    recent = (
        select(Contract.id, Contract.number, Contract.signed_on, Contract.status, Contract.amount_gross,
               Contract.amount_received, due_before(bindparam("today", type_=Date)))
        .where(*visible).order_by(Contract.signed_on.desc(), Contract.id.desc()).limit(limit)
    )
    return figures, recent

