"""The audit trail: one row per create, update, archive, restore, merge or handover."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, utcnow
from portal.extensions import db


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_record", "record_type", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    record_type: Mapped[str] = mapped_column(String(40), nullable=False)
    record_id: Mapped[int] = mapped_column(Integer, nullable=False)
    record_label: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    # The record's version after this change, so a stale form can list what changed since.
    record_version: Mapped[int | None] = mapped_column(Integer)
    # {field: [old, new]} with values as JSON-safe strings/numbers.
    changes: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)

    user = relationship("User", lazy="joined")
