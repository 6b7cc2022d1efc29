"""Customer value grading (客户价值分级) runs with each graded customer's figures, churn warnings
(流失预警) and their dismissals. Runs and flags are computed data, replaced by each computation; the
grade itself lives on the customer (``Customer.value_grade``), so its changes are in the history."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.access import Area
from portal.database import UTCDateTime
from portal.extensions import db
from portal.models.base import BusinessRecord

MONEY = Numeric(14, 2)
VALUE_GRADES = ("AA", "AB", "BA", "BB")


class GradingRun(db.Model):
    """One computation of the grades: when, over which window, with which thresholds, and the totals."""

    __tablename__ = "grading_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    window_start: Mapped[date] = mapped_column(Date, nullable=False)
    window_end: Mapped[date] = mapped_column(Date, nullable=False)
    volume_share: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    margin_threshold: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    customers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    revenue: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    profit: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CustomerValue(db.Model):
    """A graded customer's figures in a run: its rank by revenue and the cumulative share it reaches."""

    __tablename__ = "customer_values"
    __table_args__ = (
        Index("ix_customer_values_run_rank", "run_id", "rank"),
        Index("ix_customer_values_run_grade", "run_id", "grade", "rank"),
        Index("ix_customer_values_run_department", "run_id", "department_id", "grade", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("grading_runs.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    revenue: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    profit: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    costed_quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3), nullable=False)
    cumulative_share: Mapped[Decimal] = mapped_column(Numeric(7, 4), nullable=False)
    grade: Mapped[str] = mapped_column(String(4), nullable=False)

    customer = relationship("Customer")


class ChurnFlag(db.Model):
    """A signed customer at risk of being lost, with the figures behind each rule that fired."""

    __tablename__ = "churn_flags"
    __table_args__ = (
        Index("ix_churn_flags_owner", "owner_id", "days_overdue"),
        Index("ix_churn_flags_department", "department_id", "days_overdue"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # Which rules fired: any of "interval", "quiet", "fall", comma-separated.
    rules: Mapped[str] = mapped_column(String(40), nullable=False)
    purchases: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_purchase_on: Mapped[date | None] = mapped_column(Date)
    average_interval: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    days_since_purchase: Mapped[int | None] = mapped_column(Integer)
    days_since_follow_up: Mapped[int | None] = mapped_column(Integer)
    amount_last: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    amount_before: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("0"))
    days_overdue: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    customer = relationship("Customer")


class ChurnDismissal(BusinessRecord, db.Model):
    """"Checked, not a risk": hides a customer's warning until its next purchase."""

    __tablename__ = "churn_dismissals"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Churn warnings checked")
    __table_args__ = (Index("ix_churn_dismissals_customer", "customer_id", "archived_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    # The last purchase when it was checked: a later purchase ends the dismissal.
    last_purchase_on: Mapped[date | None] = mapped_column(Date)
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    note: Mapped[str] = mapped_column(String(300), nullable=False, default="")

    def audit_label(self) -> str:
        return f"#{self.customer_id}"
