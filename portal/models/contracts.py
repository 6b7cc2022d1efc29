"""Sales contracts (销售合同) with their lines, payment plan, payments received and deliveries.

A contract's number comes from ``ContractCounter`` in the transaction that saves it (gap-free per
year, like quotes). The amount received is kept on the contract, raised in the transaction that
records a payment, so lists total and filter it without adding payments up. Owner and department
are copied onto payments and deliveries so each list is scoped by its own columns.
"""
from datetime import date
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, and_, event, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column, relationship

from portal.access import Area
from portal.extensions import db
from portal.models.base import BusinessRecord

MONEY = Numeric(14, 2)
QUANTITY = Numeric(12, 3)
PERCENT = Numeric(5, 2)


class ContractStatus(StrEnum):
    """执行中 in progress → 已交货 delivered → 已完成 completed; 已取消 cancelled from either of the
    first two (``portal.rules.contracts.ALLOWED_TRANSITIONS``)."""

    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


CONTRACT_STATUS_LABELS = {
    ContractStatus.IN_PROGRESS.value: _l("In progress"),
    ContractStatus.DELIVERED.value: _l("Delivered"),
    ContractStatus.COMPLETED.value: _l("Completed"),
    ContractStatus.CANCELLED.value: _l("Cancelled"),
}

PAYMENT_METHOD_LABELS = {
    "cash": _l("Cash"),
    "transfer": _l("Bank transfer"),
    "acceptance": _l("Acceptance bill"),
    "other": _l("Other"),
}


class ContractCounter(db.Model):
    """The last contract number used in a year: raised in the transaction that saves the contract."""

    __tablename__ = "contract_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Contract(BusinessRecord, db.Model):
    __tablename__ = "contracts"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Contracts")
    __table_args__ = (
        UniqueConstraint("year", "sequence", name="uq_contracts_number"),
        Index("ix_contracts_owner_id_id", "owner_id", "id"),
        Index("ix_contracts_department_id_id", "department_id", "id"),
        Index("ix_contracts_customer_signed", "customer_id", "signed_on"),
        # The performance metrics read a salesperson's contracts of a period from this alone.
        Index("ix_contracts_owner_signed", "owner_id", "signed_on", "status", "archived_at", "amount_gross"),
        # The list's count and totals for the administrator and heads read these alone (covering).
        Index("ix_contracts_totals", "archived_at", "signed_on", "status", "amount_gross", "amount_received"),
        Index("ix_contracts_department_totals", "department_id", "archived_at", "signed_on", "status",
              "amount_gross", "amount_received"),
        # …and a salesperson's (the list's default view: a thousand contracts, no table reads).
        Index("ix_contracts_owner_totals", "owner_id", "archived_at", "signed_on", "status",
              "amount_gross", "amount_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    # The won quote it was made from: one contract per quote.
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    signed_on: Mapped[date] = mapped_column(Date, nullable=False)
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT, nullable=False)
    payment_terms: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    delivery_terms: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    usage: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=ContractStatus.IN_PROGRESS.value)
    cancel_reason: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    amount_net: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    amount_tax: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    amount_gross: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    # Σ payments received, raised with each payment.
    amount_received: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    # The scanned contract: a random file name under instance/contract_scans, and what it is.
    scan_file: Mapped[str | None] = mapped_column(String(80))
    scan_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    scan_type: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    scan_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    customer = relationship("Customer")
    contact = relationship("Contact")
    quote = relationship("Quote")
    owner = relationship("User", foreign_keys=[owner_id])
    department = relationship("Department")

    def audit_label(self) -> str:
        return self.number


class ContractLine(BusinessRecord, db.Model):
    """A model bought (具体型号): quantity × unit price × (1 − discount), rounded to the fen once.
    The product's unit cost is kept as it was on the day the line was written, for margins."""

    __tablename__ = "contract_lines"
    __table_args__ = (Index("ix_contract_lines_contract_id", "contract_id", "position"),)
    RECORD_LABEL = _l("Contract lines")

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    spec: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False)
    unit: Mapped[str] = mapped_column(String(20), nullable=False, default="")
    unit_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(PERCENT, nullable=False, default=Decimal("0"))
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    unit_cost: Mapped[Decimal | None] = mapped_column(MONEY)

    contract = relationship("Contract")
    product = relationship("Product")

    def audit_label(self) -> str:
        return self.name


class Instalment(BusinessRecord, db.Model):
    """One due amount of the payment plan; the plan's amounts add up to the contract total."""

    __tablename__ = "instalments"
    __table_args__ = (
        Index("ix_instalments_contract_due", "contract_id", "archived_at", "due_on", "amount", "running_total"),
        # A week's instalments of any contract (My day's money due this week).
        Index("ix_instalments_due", "due_on", "archived_at", "contract_id", "amount", "running_total"),
    )
    __audit_exclude__ = BusinessRecord.__audit_exclude__ | {"running_total"}
    RECORD_LABEL = _l("Instalments")

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    # The plan's total up to and including this instalment, in the order payments cover it (due
    # date, position, id): the instalment is open while it exceeds the contract's amount received.
    # Kept by ``_keep_running_totals`` whenever a plan's instalments are saved.
    running_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"), server_default="0")

    contract = relationship("Contract")

    def audit_label(self) -> str:
        return f"{self.due_on} {self.amount}"


class Payment(BusinessRecord, db.Model):
    """Money received (回款) on a contract; applied to the oldest open instalment first."""

    __tablename__ = "payments"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Payments received")
    __table_args__ = (
        Index("ix_payments_contract_id", "contract_id", "received_on"),
        Index("ix_payments_owner_id_id", "owner_id", "id"),
        Index("ix_payments_owner_received", "owner_id", "received_on", "archived_at", "amount"),
        Index("ix_payments_department_received", "department_id", "received_on", "amount"),
        Index("ix_payments_received", "received_on", "archived_at", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contract = relationship("Contract")
    customer = relationship("Customer")
    owner = relationship("User", foreign_keys=[owner_id])

    def audit_label(self) -> str:
        return f"{self.received_on} {self.amount}"


class Delivery(BusinessRecord, db.Model):
    """A delivery (交货) of some of a contract's lines to an address; delivered once the date is set."""

    __tablename__ = "deliveries"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Deliveries")
    __table_args__ = (
        Index("ix_deliveries_contract_id", "contract_id"),
        Index("ix_deliveries_owner_planned", "owner_id", "delivered_on", "planned_on"),
        Index("ix_deliveries_department_planned", "department_id", "delivered_on", "planned_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    # 1, 2, … within the contract: the delivery note reads <contract number>-S<n>.
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    planned_on: Mapped[date] = mapped_column(Date, nullable=False)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    receiver: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    receiver_phone: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    notes: Mapped[str] = mapped_column(String(500), nullable=False, default="")

    contract = relationship("Contract")
    customer = relationship("Customer")
    lines: Mapped[list["DeliveryLine"]] = relationship(
        back_populates="delivery",
        primaryjoin="and_(DeliveryLine.delivery_id == Delivery.id, DeliveryLine.archived_at.is_(None))",
        order_by="DeliveryLine.id",
        viewonly=True,
    )

    def audit_label(self) -> str:
        return f"{self.planned_on} #{self.id}"


class DeliveryLine(BusinessRecord, db.Model):
    """The quantity of one contract line a delivery carries."""

    __tablename__ = "delivery_lines"
    __table_args__ = (Index("ix_delivery_lines_contract_line", "contract_line_id", "archived_at", "quantity"),)
    RECORD_LABEL = _l("Delivery lines")

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), nullable=False, index=True)
    contract_line_id: Mapped[int] = mapped_column(ForeignKey("contract_lines.id"), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(QUANTITY, nullable=False)

    delivery = relationship("Delivery", back_populates="lines")
    contract_line = relationship("ContractLine")

    def audit_label(self) -> str:
        return f"{self.quantity}"


def running_totals_statement(contract_ids):
    """UPDATE the live instalments of ``contract_ids`` to their running totals (see
    ``Instalment.running_total``): the sum of the live instalments of the same contract that come
    before or at each one in (due date, position, id) order."""
    earlier = aliased(Instalment)
    at_or_before = or_(
        earlier.due_on < Instalment.due_on,
        and_(earlier.due_on == Instalment.due_on,
             or_(earlier.position < Instalment.position, and_(earlier.position == Instalment.position, earlier.id <= Instalment.id))),
    )
    total = (
        # Rounded to the fen: SQLite adds in floating point.
        select(func.round(func.coalesce(func.sum(earlier.amount), 0), 2))
        .where(earlier.contract_id == Instalment.contract_id, earlier.archived_at.is_(None), at_or_before)
        .scalar_subquery()
    )
    return (
        update(Instalment)
        .where(Instalment.contract_id.in_(sorted(contract_ids)), Instalment.archived_at.is_(None))
        .values(running_total=total)
        .execution_options(synchronize_session=False)
    )


@event.listens_for(Session, "after_flush")
def _keep_running_totals(session: Session, _flush_context) -> None:
    """Whichever route, seeder or test saved instalments, their plans' running totals follow."""
    changed = [obj for obj in (*session.new, *session.dirty) if isinstance(obj, Instalment)]
    if not changed:
        return
    session.connection().execute(running_totals_statement({instalment.contract_id for instalment in changed}))
    session.info.setdefault("instalments_to_expire", []).extend(changed)


@event.listens_for(Session, "after_flush_postexec")
def _expire_running_totals(session: Session, _flush_context) -> None:
    """The totals were written by SQL: the next read of a saved instalment's total loads it."""
    for instalment in session.info.pop("instalments_to_expire", []):
        session.expire(instalment, ["running_total"])
