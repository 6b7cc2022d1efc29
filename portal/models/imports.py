"""Customer imports (导入客户): one job per uploaded workbook, checked and committed in the
background; the job row carries the progress, the preview and the result, so a reload finds them."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.database import UTCDateTime, utcnow
from portal.extensions import db


class ImportJob(db.Model):
    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # checking → ready (preview) → importing → done; failed at any step (message says why);
    # interrupted when the run stopped with its process (``interrupted_step`` says which one).
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="checking")
    file_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    stored_file: Mapped[str] = mapped_column(String(80), nullable=False)
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # [{"row", "sheet", "column", "message"}], the first 1,000.
    errors: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    error_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # [{"row", "name", "matches": [{"id", "name", "reasons"}], "same_as_row"}]
    duplicates: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    merged: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    contacts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The run working on the job ("host:pid:random") and its last sign of life: a checking or
    # importing job whose heartbeat is older than JOB_STALE_AFTER_SECONDS was interrupted.
    owner: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interrupted_step: Mapped[str | None] = mapped_column(String(20))
    # The duplicate decisions confirmed for the write ({"row": "skip" | "new" | customer id}),
    # kept so an interrupted write runs again with them.
    decisions: Mapped[dict | None] = mapped_column(JSON)

    user = relationship("User")
