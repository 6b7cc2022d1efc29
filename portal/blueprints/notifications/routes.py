from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.access import login_required
from portal.blueprints.notifications import bp
from portal.blueprints.notifications.forms import NotificationForm
from portal.concurrency import edit_status, submit_versioned
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.models import DigestSend, NotificationPreference


def preference_for(user) -> NotificationPreference:
    """The user's settings, or new unsaved ones (digest on, no address, no feed)."""
    preference = db.session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    return preference or NotificationPreference(user_id=user.id, email="", digest_enabled=True, version=1)


def _page(form, preference, status=200, feed_url=None):
    last_digest = db.session.scalar(
        select(DigestSend).where(DigestSend.user_id == current_user.id).order_by(DigestSend.day.desc()).limit(1))
    return render_template("notifications/page.html", form=form, preference=preference, last_digest=last_digest,
                           feed_url=feed_url, confirm=ConfirmForm()), status


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    """One's own notification settings: the digest's address and whether to send it."""
    preference = preference_for(current_user)
    form = NotificationForm(obj=preference)
    ready, conflict = submit_versioned(form, preference)
    if ready:
        preference.email = form.email.data or ""
        preference.digest_enabled = form.digest_enabled.data
        db.session.add(preference)
        db.session.commit()
        flash(_("Your notification settings were saved."), "success")
        return redirect(url_for("notifications.settings"))
    if conflict is not None:
        flash(_("These settings were changed meanwhile; here they are as saved."), "warning")
    return _page(form, preference, edit_status(form, conflict))
