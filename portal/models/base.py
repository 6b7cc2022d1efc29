"""Column mixins every business record shares: timestamps, a version against lost updates,
archiving instead of deletion, and the audit marker."""
from datetime import datetime

from sqlalchemy import Index, Integer, event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from portal.database import UTCDateTime, utcnow


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class VersionedMixin:
    """A version number that SQLAlchemy raises on every update.

    Edit forms carry it in a hidden field; ``portal.concurrency.check_version`` compares it so a
    form opened before someone else saved shows a conflict instead of overwriting their change.
    """

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class ArchivableMixin:
    """Users never hard-delete: they archive, and an admin can restore."""

    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class AuditedMixin:
    """Marks a model whose creates, updates, archives and restores write an ``AuditEntry``."""

    __audited__ = True
    # Columns whose values never go into the trail (secrets, bookkeeping).
    __audit_exclude__: frozenset[str] = frozenset({"id", "created_at", "updated_at", "version"})

    def audit_label(self) -> str:
        return str(getattr(self, "name", None) or getattr(self, "id", ""))


class BusinessRecord(AuditedMixin, ArchivableMixin, VersionedMixin, TimestampMixin):
    """Everything a shared business record needs."""


@event.listens_for(ArchivableMixin, "instrument_class", propagate=True)
def _index_archived_rows(mapper, cls) -> None:
    """Each archivable table gets a small index of its archived rows only (a row enters it when
    archived), so the administrator's archive page (``admin.archived``: the newest archived rows
    of every table) reads them from it instead of scanning a million follow-ups for the few archived
    (246 ms on the large data set, bench/README.md)."""
    table = cls.__table__
    archived = table.c.archived_at.is_not(None)
    Index(f"ix_{table.name}_archived", table.c.archived_at, sqlite_where=archived, postgresql_where=archived)
