"""The customer pool (公海): recycling rules and every move in or out of the pool."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime
from portal.extensions import db
from portal.models.base import BusinessRecord


class PoolRule(BusinessRecord, db.Model):
    """A recycling rule: ``grade:A`` … ``grade:D`` — back to the pool after ``days`` without a
    follow-up; ``stage:intended`` — back after ``days`` without a contract."""

    __tablename__ = "pool_rules"
    RECORD_LABEL = _l("Pool rules")

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    days: Mapped[int] = mapped_column(Integer, nullable=False)

    def audit_label(self) -> str:
        return self.key


class PoolEvent(db.Model):
    """A customer recycled into the pool (with the rule), claimed from it, or assigned by a head."""

    __tablename__ = "pool_events"
    __table_args__ = (
        Index("ix_pool_events_user_kind_at", "user_id", "kind", "at"),
        Index("ix_pool_events_customer_at", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    # recycle: the owner who lost it; claim: who claimed; assign: who received it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    rule: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    customer = relationship("Customer")
    user = relationship("User", foreign_keys=[user_id])
