"""What reaches people outside the portal: each user's morning digest and calendar feed, and the
record of every digest sent."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, utcnow
from portal.extensions import db
from portal.models.base import BusinessRecord

MONEY = Numeric(14, 2)


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


class WebhookPlatform:
    WECOM = "wecom"
    DINGTALK = "dingtalk"


class DepartmentWebhook(BusinessRecord, db.Model):
    """A department's team-chat group robot (企业微信 or 钉钉) and what is posted to it: lost orders
    and signed contracts from an amount on, complaints past their deadline."""

    __tablename__ = "department_webhooks"
    RECORD_LABEL = _l("Team chat webhooks")
    __audit_exclude__ = BusinessRecord.__audit_exclude__ | {"url", "secret"}

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), unique=True, nullable=False)
    platform: Mapped[str] = mapped_column(String(10), nullable=False, default=WebhookPlatform.WECOM)
    # The robot's address holds its key: kept out of the audit trail.
    url: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    # A DingTalk robot's signing secret (加签), when it has one.
    secret: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    lost_order_from: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("10000"))
    contract_from: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal("100000"))
    overdue_complaints: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    department = relationship("Department")

    def audit_label(self) -> str:
        return self.department.name if self.department else str(self.department_id)


class WebhookStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class WebhookMessage(db.Model):
    """One message for a department's chat, written in the transaction of what caused it and
    posted after the commit; ``event_key`` (one per event) keeps it to one message."""

    __tablename__ = "webhook_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), nullable=False)
    url: Mapped[str] = mapped_column(String(500), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default=WebhookStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
