"""Complaints and suggestions (客户投诉/建议): intake, the handler, the response deadline, each step
with its note, the resolution and the customer's satisfaction."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.access import Area
from portal.database import UTCDateTime
from portal.extensions import db
from portal.models.base import BusinessRecord

# Admin-managed list of values (LookupValue.kind) for the complaint's category.
COMPLAINT_CATEGORY = "complaint_category"

COMPLAINT_KIND_LABELS = {"complaint": _l("Complaint"), "suggestion": _l("Suggestion"), "enquiry": _l("Enquiry")}
COMPLAINT_CHANNEL_LABELS = {
    "phone": _l("Phone"), "email": _l("E-mail"), "visit": _l("In person"), "website": _l("Website"), "wechat": _l("WeChat"),
}
SEVERITY_LABELS = {"normal": _l("Normal"), "serious": _l("Serious"), "urgent": _l("Urgent")}
COMPLAINT_STATUS_LABELS = {
    "new": _l("New"), "in_progress": _l("In progress"), "resolved": _l("Resolved"), "closed": _l("Closed"),
}


class Complaint(BusinessRecord, db.Model):
    __tablename__ = "complaints"
    __access_area__ = Area.CUSTOMER_DATA
    RECORD_LABEL = _l("Complaints")
    __table_args__ = (
        Index("ix_complaints_handler_status", "handler_id", "status", "respond_by"),
        Index("ix_complaints_department_status", "department_id", "status", "respond_by"),
        # A head's My day: the department's complaints still without a response, by deadline.
        Index("ix_complaints_department_unanswered", "department_id", "respond_by",
              sqlite_where=text("first_response_at IS NULL"), postgresql_where=text("first_response_at IS NULL")),
        Index("ix_complaints_received", "received_at"),
        Index("ix_complaints_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for an anonymous suggestion.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("lookup_values.id"), nullable=False)
    severity: Mapped[str] = mapped_column(String(20), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # received_at + the severity's hours (settings), fixed at intake.
    respond_by: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="new")
    handler_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    resolution: Mapped[str] = mapped_column(Text, nullable=False, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    customer = relationship("Customer")
    contract = relationship("Contract")
    category = relationship("LookupValue")
    handler = relationship("User", foreign_keys=[handler_id])
    department = relationship("Department")

    @classmethod
    def scope_owner_column(cls):
        return cls.handler_id

    def audit_label(self) -> str:
        return f"#{self.id}"


class ComplaintStep(BusinessRecord, db.Model):
    """One step of the handling: the status it moved to (or stayed in, for a note), the note, who, when."""

    __tablename__ = "complaint_steps"
    __table_args__ = (Index("ix_complaint_steps_complaint", "complaint_id", "at"),)
    RECORD_LABEL = _l("Complaint steps")

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    user = relationship("User")

    def audit_label(self) -> str:
        return self.status
