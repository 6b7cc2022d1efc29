"""Archiving a record after a confirmation page: the common path of the areas' archive routes."""
from flask import flash, redirect, render_template, request

from portal.forms import ConfirmForm
from portal.database import utcnow
from portal.extensions import db


def archive_after_confirmation(record, *, done_message: str, then: str, back: str):
    """GET shows the confirmation page; a confirmed POST archives ``record`` (an admin can
    restore it), says ``done_message`` and goes to ``then``. ``back`` is where "Cancel" leads."""
    form = ConfirmForm()
    if form.validate_on_submit():
        record.archived_at = utcnow()
        db.session.commit()
        flash(done_message, "success")
        return redirect(then, 303)
    return render_template(
        "admin/confirm_archive.html", record=record, members=0, form=form, action=request.path, back=back
    )
