from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.access import login_required, roles_required
from portal.blueprints.notifications import bp
from portal.blueprints.notifications.feed import build_feed, new_feed_token, token_hash, user_for_token
from portal.blueprints.notifications.forms import NotificationForm, WebhookForm
from portal.concurrency import edit_status, submit_versioned
from portal.database import utcnow
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.models import DepartmentWebhook, DigestSend, NotificationPreference, Role, WebhookMessage
from portal.rules.followups import company_today


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


@bp.route("/account/notifications/feed", methods=["POST"])
@login_required
def feed_create():
    """A new private calendar address (the previous one stops working); shown once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    preference = preference_for(current_user)
    token = new_feed_token()
    preference.feed_token_hash = token_hash(token)
    preference.feed_created_at = utcnow()
    db.session.add(preference)
    db.session.commit()
    return _page(NotificationForm(obj=preference, version=preference.version), preference,
                 feed_url=url_for("notifications.feed", token=token, _external=True))


@bp.route("/account/notifications/feed/revoke", methods=["POST"])
@login_required
def feed_revoke():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    preference = preference_for(current_user)
    if preference.feed_token_hash:
        preference.feed_token_hash = None
        preference.feed_created_at = None
        db.session.commit()
        flash(_("The calendar address was revoked; calendars subscribed to it no longer update."), "success")
    return redirect(url_for("notifications.settings"))


@bp.route("/calendar/<string(maxlength=100):token>.ics")
def feed(token: str):
    """The calendar feed: no session, the token alone names the user (404 for any other token)."""
    user = user_for_token(token)
    if user is None:
        abort(404)
    with force_locale(user.language or "zh_CN"):
        body = build_feed(user, company_today())
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="portal.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/department/team-chat", methods=["GET", "POST"])
@roles_required(Role.HEAD)
def team_chat():
    """The head's department's group robot and what is posted to it."""
    if current_user.department_id is None:
        abort(404)
    hook = db.session.scalar(select(DepartmentWebhook).where(DepartmentWebhook.department_id == current_user.department_id))
    hook = hook or DepartmentWebhook(department_id=current_user.department_id, platform="wecom", url="", secret="", enabled=False,
                                     lost_order_from=10000, contract_from=100000, overdue_complaints=True, version=1)
    form = WebhookForm(obj=hook)
    ready, conflict = submit_versioned(form, hook)
    if ready:
        form.populate_obj(hook)
        hook.url = form.url.data or ""
        hook.secret = form.secret.data or ""
        db.session.add(hook)
        db.session.commit()
        flash(_("The team chat settings were saved."), "success")
        return redirect(url_for("notifications.team_chat"))
    if conflict is not None:
        flash(_("These settings were changed meanwhile; here they are as saved."), "warning")
    recent = db.session.scalars(select(WebhookMessage).where(WebhookMessage.department_id == current_user.department_id)
                                .order_by(WebhookMessage.id.desc()).limit(10)).all()
    return render_template("notifications/team_chat.html", form=form, recent=recent), edit_status(form, conflict)
