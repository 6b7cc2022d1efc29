"""The access log (访问日志): who exported which list, opened which customer, when and from where.

Kept apart from the audit trail: the audit trail records changes to records, this records reading
them. Rows are only ever added (an update or a delete through the ORM raises); the nightly prune
removes rows older than the kept number of days in one statement.
"""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, utcnow
from portal.extensions import db

EXPORT, CUSTOMER_PAGE, CONTACTS, PHONE = "export", "customer", "contacts", "phone"
ACCESS_KINDS = (EXPORT, CUSTOMER_PAGE, CONTACTS, PHONE)


class AccessLogEntry(db.Model):
    __tablename__ = "access_log"
    __table_args__ = (
        # A person's day (the list, the alerts' counts and medians) and a department's day.
        Index("ix_access_log_user_day", "user_id", "day", "kind", "row_count"),
        Index("ix_access_log_department_day", "department_id", "day", "user_id", "kind"),
        Index("ix_access_log_day", "day", "user_id", "kind", "row_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The company's calendar day of ``created_at``.
    day: Mapped[date] = mapped_column(Date, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # The person's department at the time, so a head sees their department's log.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    # What was read: the list exported (its address) or the page opened.
    target: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    record_id: Mapped[int | None] = mapped_column(Integer)
    filters: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    row_count: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")

    user = relationship("User", lazy="raise")


class AppendOnlyError(RuntimeError):
    """The access log is never changed nor deleted from, row by row."""


@event.listens_for(AccessLogEntry, "before_update")
def _no_update(mapper, connection, target):
    raise AppendOnlyError("the access log is append-only")


@event.listens_for(AccessLogEntry, "before_delete")
def _no_delete(mapper, connection, target):
    raise AppendOnlyError("the access log is append-only")
