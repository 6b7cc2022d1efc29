"""Sales targets (业绩目标): one amount per salesperson per month; quarters and years add months up."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.access import Area
from portal.extensions import db
from portal.models.base import BusinessRecord


class SalesTarget(BusinessRecord, db.Model):
    __tablename__ = "sales_targets"
    __access_area__ = Area.PERFORMANCE
    RECORD_LABEL = _l("Sales targets")
    __table_args__ = (UniqueConstraint("user_id", "year", "month", name="uq_sales_targets_user_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    month: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False)

    user = relationship("User")

    def audit_label(self) -> str:
        return f"{self.year}-{self.month:02d}"
