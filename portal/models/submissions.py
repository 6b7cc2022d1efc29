"""One-time keys of create forms: a form posted twice with the same key creates once, and the
second post is answered with what the first created (see ``portal.submissions``)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.database import UTCDateTime, utcnow
from portal.extensions import db


class SubmissionKey(db.Model):
    __tablename__ = "submission_keys"
    __table_args__ = (Index("ix_submission_keys_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique index makes a second insert of the same key wait for the first transaction and
    # then fail, on SQLite and PostgreSQL alike.
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(100), nullable=False)
    # Where the first answer sent the user: its redirect, or the page a fragment was posted from.
    result_url: Mapped[str] = mapped_column(String(2000), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
