"""The morning digest: each user's part of My day by e-mail, a head's department figures of the
day before, once a company day per person.

``send_digests`` is what ``flask send-digests`` runs (from cron, as often as wanted): before the
digest time of the settings it does nothing; after it, each active user with an address and the
digest turned on gets today's digest once. A person's day is claimed with a row of
``digest_sends`` (unique per user and day) before anything is sent, so two runs started together
never send twice; a failed send is recorded with the server's answer and retried by the next
run, up to DIGEST_MAX_ATTEMPTS times.
"""
import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask import current_app, g, render_template
from flask_babel import force_locale, gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from portal.database import utcnow
from portal.extensions import db
from portal.mail import MailError, build_message, html_to_text, send_email
from portal.models import DigestSend, DigestStatus, NotificationPreference, Role, User
from portal.reminders import sections_for, split_folded
from portal.rules.followups import company_now

from portal.blueprints.notifications.queries import DayFigures, department_day

log = logging.getLogger(__name__)
# A claim this old whose run never wrote its outcome belongs to a run that stopped.
STALE_CLAIM = timedelta(minutes=30)


@dataclass
class Digest:
    user: User
    sections: list
    figures: DayFigures | None

    @property
    def empty(self) -> bool:
        return not self.sections and (self.figures is None or self.figures.empty)


@dataclass
class RunResult:
    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    too_early: bool = False


def digest_for(user: User, today) -> Digest:
    """What the user's My day has to act on (sections with nothing are left out) and, for a head,
    the department's figures of the day before."""
    sections, _clear = split_folded(sections_for(user))
    figures = None
    if user.role == Role.HEAD and user.department_id is not None:
        figures = department_day(user.department_id, today - timedelta(days=1))
    return Digest(user, sections, figures)


def _absolute_links(html: str, base_url: str) -> str:
    origin = re.match(r"^[a-z]+://[^/]+", base_url)
    origin = origin.group(0) if origin else base_url.rstrip("/")
    return re.sub(r'href="/', f'href="{origin}/', html)


@contextmanager
def as_user(user: User):
    """A request of ``user``'s at PORTAL_BASE_URL, in their language: what My day's sections and
    their templates expect (translated titles, URLs)."""
    app = current_app._get_current_object()
    base_url = app.config["PORTAL_BASE_URL"].rstrip("/") + "/"
    with app.test_request_context("/", base_url=base_url), force_locale(user.language or "zh_CN"):
        # ``g`` belongs to the app context, which outlives this request: put back what was there.
        previous = g.pop("_login_user", None)
        g._login_user = user
        try:
            yield
        finally:
            g.pop("_login_user", None)
            if previous is not None:
                g._login_user = previous


def render_digest(digest: Digest, today) -> tuple[str, str, str]:
    """(subject, plain text, HTML), called inside ``as_user``; links point into the portal."""
    subject = _("My day %(date)s", date=today.isoformat())
    html = render_template("notifications/digest_email.html", digest=digest, today=today, subject=subject)
    html = _absolute_links(html, current_app.config["PORTAL_BASE_URL"])
    return subject, html_to_text(html), html


def _claim(user: User, day, now) -> bool:
    """Make (user, day) this run's: a new row, or a failed (or abandoned) one taken over."""
    try:
        db.session.add(DigestSend(user_id=user.id, day=day, status=DigestStatus.SENDING, claimed_at=now, email=""))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
    result = db.session.execute(
        update(DigestSend)
        .where(DigestSend.user_id == user.id, DigestSend.day == day,
               DigestSend.attempts < current_app.config["DIGEST_MAX_ATTEMPTS"],
               or_(DigestSend.status == DigestStatus.FAILED,
                   (DigestSend.status == DigestStatus.SENDING) & (DigestSend.claimed_at < now - STALE_CLAIM)))
        .values(status=DigestStatus.SENDING, claimed_at=now, attempts=DigestSend.attempts + 1)
    )
    db.session.commit()
    return result.rowcount == 1


def _record(user: User, day, **values) -> None:
    db.session.execute(update(DigestSend).where(DigestSend.user_id == user.id, DigestSend.day == day).values(**values))
    db.session.commit()


def digest_time() -> time:
    hours, _sep, minutes = current_app.config["DIGEST_TIME"].partition(":")
    return time(int(hours), int(minutes or 0))


def recipients() -> list[tuple[User, str]]:
    """Active users with an address and the digest turned on."""
    rows = db.session.execute(
        select(User, NotificationPreference.email)
        .join(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(User.active.is_(True), User.archived_at.is_(None), NotificationPreference.archived_at.is_(None),
               NotificationPreference.digest_enabled.is_(True), NotificationPreference.email != "")
        .order_by(User.id)
    ).all()
    return [(user, email) for user, email in rows]


def send_digests(now: datetime | None = None) -> RunResult:
    result = RunResult()
    local_now = company_now() if now is None else now
    if local_now.time() < digest_time():
        result.too_early = True
        return result
    today = local_now.date()
    for user, email in recipients():
        if not _claim(user, today, utcnow()):
            continue
        try:
            with as_user(user):
                digest = digest_for(user, today)
                if not digest.empty:
                    subject, text, html = render_digest(digest, today)
            if digest.empty:
                _record(user, today, status=DigestStatus.EMPTY, email=email, error="")
                result.empty.append(user.username)
                continue
            send_email(build_message(email, subject, text, html))
        except MailError as error:
            db.session.rollback()
            _record(user, today, status=DigestStatus.FAILED, email=email, error=str(error)[:2000])
            result.failed.append(user.username)
            log.warning("digest for %s not sent: %s", user.username, error)
            continue
        except Exception as error:  # one person's broken digest must not stop the others'
            db.session.rollback()
            _record(user, today, status=DigestStatus.FAILED, email=email, error=f"{type(error).__name__}: {error}"[:2000])
            result.failed.append(user.username)
            log.exception("digest for %s failed", user.username)
            continue
        _record(user, today, status=DigestStatus.SENT, email=email, error="", sent_at=utcnow())
        result.sent.append(user.username)
    return result
