"""Error pages: 400 (CSRF, unreadable input), 403, 404, 409, 413, 429 and 500."""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError

from portal.extensions import db, htmx

bp = Blueprint("errors", __name__)


def _error_page(status: int, title: str, message: str):
    return render_template("errors/error.html", status=status, title=title, message=message), status


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return _error_page(
        400,
        _("The form has expired"),
        _("The page was open too long or was sent from elsewhere. Reload the page and try again; nothing was saved."),
    )


@bp.app_errorhandler(400)
def bad_request(error):
    return _error_page(
        400, _("The request could not be read"), _("It held characters or values the portal does not accept; nothing was saved.")
    )


@bp.app_errorhandler(StaleDataError)
def saved_at_the_same_moment(error):
    """Two requests updated one record at once (PostgreSQL's version check): nothing was saved."""
    db.session.rollback()
    message = _("Someone else saved this record at the same moment. Nothing was saved; reload and try again.")
    if htmx:
        return render_template("errors/_message.html", message=message), 409
    return _error_page(409, _("Saved at the same moment"), message)


@bp.app_errorhandler(403)
def forbidden(error):
    return _error_page(403, _("Not allowed"), _("Your role does not allow this action."))


@bp.app_errorhandler(404)
def not_found(error):
    return _error_page(404, _("Not found"), _("The page or record does not exist, or it is not yours to see."))


@bp.app_errorhandler(413)
def too_large(error):
    return _error_page(413, _("File too large"), _("The upload is larger than the portal accepts."))


@bp.app_errorhandler(429)
def too_many(error):
    return _error_page(
        429, _("Too many attempts"), _("Too many failed attempts. Wait a few minutes and try again.")
    )


@bp.app_errorhandler(500)
def server_error(error):
    db.session.rollback()
    return _error_page(500, _("Something went wrong"), _("The error was logged. Try again, or tell the administrator."))
