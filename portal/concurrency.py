"""Guard against lost updates from stale edit forms."""
from flask import request
from flask_babel import gettext as _

from portal.audit import changes_since
from portal.forms import bounded_int


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
        form_version = bounded_int(submitted_version)
    except ValueError:
        form_version = -1
    if form_version != record.version:
        raise StaleRecordError(record, form_version)


def submit_versioned(form, record) -> tuple[bool, StaleRecordError | None]:
    """Drive an edit form that carries ``record``'s version; returns ``(ready, conflict)``.

    GET: the form gets the record's current version. POST: ``ready`` when the form is valid and was
    opened at the current version — the caller applies and saves. A stale form gives the conflict
    and moves the form to the current version, so saving again after comparing is deliberate.
    """
    if request.method != "POST":
        form.version.data = record.version
        return False, None
    if not form.validate_on_submit():
        return False, None
    try:
        check_version(record, form.version.data)
    except StaleRecordError as stale:
        form.version.data = record.version
        return False, stale
    return True, None


def edit_status(form, conflict: StaleRecordError | None) -> int:
    """409 for a conflict, 422 for a form with errors, else 200."""
    if conflict is not None:
        return 409
    return 422 if request.method == "POST" and form.errors else 200
