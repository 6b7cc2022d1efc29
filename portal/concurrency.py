"""Guard against lost updates from stale edit forms."""
from flask_babel import gettext as _

from portal.audit import changes_since


class StaleRecordError(Exception):
    """Raised when a form was opened at an older version than the record now has."""

    def __init__(self, record, form_version: int):
        self.record = record
        self.form_version = form_version
        self.entries = changes_since(record, form_version)
        super().__init__(_("This record was changed by someone else after you opened it."))

    @property
    def changed_fields(self) -> list[str]:
        fields: list[str] = []
        for entry in self.entries:
            for field in entry.changes:
                if field not in fields:
                    fields.append(field)
        return fields


def check_version(record, submitted_version) -> None:
    """Raise ``StaleRecordError`` unless the form was opened at the record's current version."""
    try:
        form_version = int(submitted_version)
    except (TypeError, ValueError):
        form_version = -1
    if form_version != record.version:
        raise StaleRecordError(record, form_version)
