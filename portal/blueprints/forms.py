"""Form pieces shared by every area."""
from flask_wtf import FlaskForm
from wtforms import HiddenField


class ConfirmForm(FlaskForm):
    """An empty form that gives POST-only buttons their CSRF token."""


class VersionedForm(FlaskForm):
    """An edit form that carries the record's version back (see ``portal.concurrency``)."""

    version = HiddenField()
