"""Company settings (系统设置): one row per setting that an administrator has changed."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.base import BusinessRecord


class CompanySetting(BusinessRecord, db.Model):
    """A setting's stored value as text; ``portal.company_settings`` knows its type and default."""

    __tablename__ = "company_settings"
    RECORD_LABEL = _l("Settings")

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    value: Mapped[str] = mapped_column(Text, nullable=False, default="")

    def audit_label(self) -> str:
        return self.key
