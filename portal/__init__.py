"""Sales CRM portal: the application factory."""
import os
from pathlib import Path

from flask import Flask, g, has_app_context, redirect, request, session, url_for
from flask_babel import Domain
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup
from sqlalchemy import bindparam, select

from portal import audit, database  # noqa: F401  (register the audit and SQLite engine events)
from portal.config import default_settings, load_secret_key
from portal.forms import BoundedIntConverter
from portal.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")



def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the portal. ``config`` overrides settings (tests pass their database URL here)."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    # Before any route is added: <int:...> ids above the databases' integers do not match (404).
    app.url_map.converters["int"] = BoundedIntConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(default_settings(app.instance_path))
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _install_request_translations(app)
    _init_login(app)

    from portal.blueprints import register_blueprints

    register_blueprints(app)

    from portal.cli import register_commands

    register_commands(app)

    from portal.database import end_request_keeping, keep_loaded_after_commit
    from portal.security import add_security_headers, refuse_nul_bytes
    from portal.navigation import navigation_for, navigation_menu

    app.before_request(refuse_nul_bytes)
    app.before_request(_require_first_administrator)
    app.before_request(lambda: keep_loaded_after_commit(db.session))
    app.teardown_request(lambda _error: end_request_keeping(db.session))
    app.after_request(add_security_headers)
    from flask_babel import get_locale

    from portal.history import readable_history
    from portal.labels import audit_action_label, record_type_label
    from portal.submissions import submission_key_field
    from portal.letterhead import bilingual
    from portal.printing import letterhead_lines
    from portal.exporting import export_right_note

    app.jinja_env.globals.update(
        navigation_for=navigation_for,
        navigation_menu=navigation_menu,
        audit_action_label=audit_action_label,
        record_type_label=record_type_label,
        get_locale=get_locale,
        readable_history=readable_history,
        submission_key_field=submission_key_field,
        bilingual=bilingual,
        letterhead_lines=letterhead_lines,
        export_right_note=export_right_note,
    )
    from portal.rendering import day, minute, money, quantity

    app.jinja_env.filters.update(day=day, minute=minute, money=money, quantity=quantity)
    app.jinja_env.add_extension("jinja2.ext.do")
    return app


class RequestTranslationsDomain(Domain):
    """The message domain whose translations are looked up once per request.

    Flask-Babel looks them up (context, locale, its identifier, the domain cache) for every string
    — the templates' ``_()`` and each lazy label of the menu and the forms. They are kept where
    ``flask_babel.refresh()`` clears them, so a language changed during a request still applies to
    what is rendered after."""

    def get_translations(self):
        try:
            translations = g._flask_babel.babel_translations
        except (AttributeError, RuntimeError):  # not looked up yet in this request; no request
            translations = None
        if translations is None:  # also what force_locale() leaves
            translations = super().get_translations()
            if has_app_context():
                g._flask_babel.babel_translations = translations
        return translations


def _cached_translations():
    return babel.domain_instance.get_translations()


def _formatted(eval_ctx, translated: str, variables: dict):
    """Jinja's new-style gettext: escaped like any template text (Markup), and always a format
    string (``%%`` is a percent sign) — skipped when there is nothing to format."""
    if eval_ctx.autoescape:
        translated = Markup(translated)
    return translated % variables if variables or "%" in translated else translated


@pass_eval_context
def _template_gettext(eval_ctx, string, **variables):
    return _formatted(eval_ctx, _cached_translations().ugettext(string), variables)


@pass_eval_context
def _template_ngettext(eval_ctx, singular, plural, num, **variables):
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _cached_translations().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(eval_ctx, context, string, **variables):
    variables.setdefault("context", context)
    return _formatted(eval_ctx, _cached_translations().upgettext(context, string), variables)


@pass_eval_context
def _template_npgettext(eval_ctx, context, singular, plural, num, **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _cached_translations().unpgettext(context, singular, plural, num), variables)


def _install_request_translations(app: Flask) -> None:
    """The templates' ``_()``, ``gettext`` and friends, with the semantics of Jinja's new-style
    gettext, called directly: Jinja's own wrappers cost three context calls per string (``_`` →
    ``gettext`` → the function), about 11 µs — a tenth of My day's later part, 120 strings."""
    # One domain for every application of the process (the Babel extension object is shared).
    if not isinstance(babel.__dict__.get("domain_instance"), RequestTranslationsDomain):
        babel.domain_instance = RequestTranslationsDomain()
    # {% trans %} blocks compile to gettext calls with their variables; ``_`` skips Jinja's alias.
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext,
        pgettext=_template_pgettext, npgettext=_template_npgettext,
    )


def _select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.language
    return session.get("language", "zh_CN")


def _init_login(app: Flask) -> None:
    from portal.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    # Checked against the session token, so a rotated token ends copied cookies too.
    login_manager.session_protection = "basic"

    # Built once: every request but the login page's runs it.
    user_by_token = select(User).where(User.session_token == bindparam("token"), User.active.is_(True))

    @login_manager.user_loader
    def load_user(token: str):
        return db.session.scalar(user_by_token, {"token": token})

    @login_manager.unauthorized_handler
    def unauthorized():
        from flask import flash, make_response

        login_url = url_for("auth.login", next=request.full_path.rstrip("?"))
        if htmx:
            # An expired session during an htmx request: send the whole page to login.
            response = make_response("", 401)
            response.headers["HX-Redirect"] = login_url
            return response
        flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(login_url)


def _require_first_administrator():
    """While no user exists, every page leads to the set-up page."""
    if g.get("_setup_checked") or request.endpoint in {"auth.setup", "static"}:
        return None
    app_state = _app_state()
    if app_state.get("has_users"):
        return None
    from portal.models import User

    if db.session.scalar(select(User.id).limit(1)) is not None:
        # Users are never deleted, so once true this stays true for the process.
        app_state["has_users"] = True
        return None
    return redirect(url_for("auth.setup"))


def _app_state() -> dict:
    from flask import current_app

    return current_app.extensions.setdefault("portal_state", {})
