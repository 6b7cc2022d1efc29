"""Exactly-once creation: a create form posted twice saves once.

Every form that creates something carries a one-time key (``submission_key_field()`` in the
template, a new random key each time the form is rendered). A view decorated with
``@exactly_once`` runs in one transaction that begins by inserting the key into
``submission_keys``, whose unique index lets only one transaction hold a key:

- a second post of the same key in parallel (a double click, nginx's 502 and a re-send, another
  worker process or app server) waits for the first transaction — SQLite's write lock, PostgreSQL's
  unique index — and then finds the key taken;
- a later post (a retry, the back button) finds it at once.

Either is answered with what the first post made — the same redirect, or for an htmx post an
``HX-Redirect`` to it — and creates nothing. The view's own commits are held back until it has
answered, so the record, its key and the answer to repeat are committed together: there is no
moment at which the record exists without its key, or the key without its answer. A form that
fails validation commits nothing, so its key stays free for the corrected post. A post without a
key (an old page still open, a script) is saved as before, without the guarantee.
"""
import re
import secrets
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.database import utcnow
from portal.extensions import db, htmx
from portal.models import SubmissionKey

FIELD_NAME = "submission_key"
# Keys are kept this long: far longer than any retry, short enough that the table stays small.
KEEP_DAYS = 30
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
_URL_LENGTH = 2000


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def submission_key_field() -> Markup:
    """The hidden input with a new one-time key, for the templates of create forms."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD_NAME, new_submission_key())


def submitted_key() -> str | None:
    """The key posted with the form, or None when it is missing or not one the portal makes."""
    key = request.form.get(FIELD_NAME, "")
    return key if _KEY_PATTERN.fullmatch(key) else None


def exactly_once(view):
    """Run a create view at most once per submission key (see the module's docstring).

    Put it below the route and the role check, so that a refused request never touches a key.
    """

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = submitted_key() if request.method == "POST" else None
        if key is None or not current_user.is_authenticated:
            return view(*args, **kwargs)
        if not _claim(key):
            db.session.rollback()
            return _repeat(key)
        with _HeldCommits() as held:
            response = make_response(view(*args, **kwargs))
            if held.commit_asked:
                _record_answer(key, response)
                held.commit()
        return response

    return wrapper


def _insert():
    return postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert


def _claim(key: str) -> bool:
    """Insert the key in the transaction that will save the record; False when it is taken.

    ``ON CONFLICT DO NOTHING`` waits, on PostgreSQL, for a transaction holding the same key to end
    (on SQLite, ``BEGIN IMMEDIATE`` already made this one wait for it).
    """
    statement = (
        _insert()(SubmissionKey)
        .values(key=key, user_id=current_user.id, endpoint=request.endpoint or "", result_url="",
                created_at=utcnow())
        .on_conflict_do_nothing(index_elements=[SubmissionKey.key])
        .returning(SubmissionKey.id)
    )
    return db.session.execute(statement).scalar_one_or_none() is not None


class _HeldCommits:
    """While in use, the view's ``db.session.commit()`` flushes and notes that the view wants its
    work saved (``commit()`` then saves it); a rollback (a number taken at the same moment…)
    forgets the note with the work. Whatever is not saved on leaving is rolled back."""

    def __enter__(self) -> "_HeldCommits":
        self.session = db.session()
        self.commit_asked = False
        self.commit = self.session.commit
        self._rollback = self.session.rollback
        self.session.commit = self._held_commit
        self.session.rollback = self._tracked_rollback
        return self

    def _held_commit(self):
        self.session.flush()
        self.commit_asked = True

    def _tracked_rollback(self):
        self.commit_asked = False
        self._rollback()

    def __exit__(self, *exc):
        del self.session.commit
        del self.session.rollback
        if self.session.in_transaction():
            # Not saved: a form with errors, a refusal or an exception. The key goes with it.
            self.session.rollback()
        return False


def _record_answer(key: str, response) -> None:
    """Write the answer to repeat on the key row, inserting it again if the view rolled it back."""
    if response.status_code >= 400:
        db.session.execute(delete(SubmissionKey).where(SubmissionKey.key == key))
        return
    url = _result_url(response)
    updated = db.session.execute(update(SubmissionKey).where(SubmissionKey.key == key).values(result_url=url)).rowcount
    if not updated:
        db.session.execute(
            _insert()(SubmissionKey)
            .values(key=key, user_id=current_user.id, endpoint=request.endpoint or "", result_url=url,
                    created_at=utcnow())
            .on_conflict_do_nothing(index_elements=[SubmissionKey.key])
        )


def _result_url(response) -> str:
    """Where the first answer led: its redirect, else the page the fragment was posted from."""
    if response.status_code in (301, 302, 303, 307, 308) and response.location:
        return _local_path(response.location)
    for header in ("HX-Redirect", "HX-Location"):
        if response.headers.get(header):
            return _local_path(response.headers[header])
    return _local_path(request.headers.get("HX-Current-URL") or request.referrer or "")


def _local_path(url: str) -> str:
    """The path and query of ``url`` on this portal, or "" (never a redirect to another site)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
    if not path.startswith("/") or path.startswith("//") or len(path) > _URL_LENGTH:
        return ""
    return path


def _repeat(key: str):
    """The answer to a key already used: what the first post made, for the same user and form."""
    row = db.session.scalar(select(SubmissionKey).where(SubmissionKey.key == key))
    if row is None or row.user_id != current_user.id or row.endpoint != (request.endpoint or ""):
        message = _("This form was sent before from another page. Reload the page and fill it in again; nothing was saved.")
        if htmx:
            return render_template("errors/_message.html", message=message), 409
        return render_template("errors/error.html", status=409, title=_("Form already sent"), message=message), 409
    flash(_("This was saved already, when the form was first sent; nothing was saved twice."), "info")
    url = row.result_url or url_for("home.index")
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def prune_submission_keys(keep_days: int = KEEP_DAYS) -> int:
    """Delete keys older than ``keep_days`` days; the number deleted."""
    cutoff = utcnow() - timedelta(days=keep_days)
    deleted = db.session.execute(delete(SubmissionKey).where(SubmissionKey.created_at < cutoff)).rowcount
    db.session.commit()
    return deleted
