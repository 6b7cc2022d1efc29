"""What reaches people outside the portal: each user's morning digest and calendar feed, and the
record of every digest sent."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, utcnow
from portal.extensions import db
from portal.models.base import BusinessRecord


class NotificationPreference(BusinessRecord, db.Model):
    """One user's choices: the address the morning digest goes to (off when empty or turned off),
    and the hash of their calendar feed's token (no feed when empty)."""

    __tablename__ = "notification_preferences"
    RECORD_LABEL = _l("Notification settings")
    __audit_exclude__ = BusinessRecord.__audit_exclude__ | {"feed_token_hash"}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True, nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    digest_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # SHA-256 of the feed token (hex); the token itself is shown once, when it is created.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    feed_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")

    def audit_label(self) -> str:
        return self.user.username if self.user else str(self.user_id)


class DigestStatus:
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Nothing to say that day: no e-mail, and the day counts as done.
    EMPTY = "empty"


class DigestSend(db.Model):
    """One user's digest of one company day: claimed by a run, then sent, failed (with the SMTP
    error, retried by the next run) or empty. The unique (user, day) keeps it to one a day."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_digest_sends_user_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=DigestStatus.SENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    email: Mapped[str] = mapped_column(String(254), nullable=False, default="")
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
