from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import LanguageForm, LoginForm, PasswordForm, SetupForm
from portal.database import read_only_transaction, utcnow
from portal.extensions import db, limiter
from portal.models import Role, User
from portal.security import is_safe_next

# Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password")
FAILED_LOGIN_STATUS = 401


def _login_username_key() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()


def _failed_login(response) -> bool:
    """Only failed attempts count towards the limits."""
    return response.status_code == FAILED_LOGIN_STATUS


def _language_from_link() -> None:
    """``?lang=en`` on the login and set-up pages: the language before anyone has logged in."""
    chosen = request.args.get("lang")
    if chosen in current_app.config["LANGUAGES"]:
        session["language"] = chosen


def _redirect_target(candidate: str | None) -> str:
    return candidate if is_safe_next(candidate) else url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_USERNAME"],
    key_func=_login_username_key,
    methods=["POST"],
    deduct_when=_failed_login,
    scope="login-username",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_failed_login,
    scope="login-address",
)
def login():
    """Log in with username and password; ``next`` may only point inside the portal."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    _language_from_link()
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        # The password hash is checked outside the write below (read_only_transaction says why).
        with read_only_transaction(db.session):
            user = User.by_username(form.username.data)
            if user is None:
                from werkzeug.security import check_password_hash

                check_password_hash(_DUMMY_HASH, form.password.data)
                refused = _("Wrong username or password.")
            elif not user.check_password(form.password.data):
                refused = _("Wrong username or password.")
            elif not user.active:
                refused = _("This account is deactivated. Ask the administrator.")
            else:
                refused = None
        if refused:
            form.form_errors.append(refused)
            status = FAILED_LOGIN_STATUS
        else:
            # Bookkeeping, not an edit: written without raising the version, so the same person
            # logging in on two devices at once does not meet a stale-record conflict (409).
            db.session.execute(update(User.__table__).where(User.__table__.c.id == user.id).values(last_login_at=utcnow()))
            db.session.commit()
            login_user(user, remember=form.remember.data)
            session["language"] = user.language
            return redirect(_redirect_target(form.next.data))
    elif request.method == "POST":
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out everywhere: the rotated token ends every session and remember-me cookie."""
    current_user.rotate_session_token()
    db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """Create the first administrator; only while no user exists."""
    if db.session.scalar(select(User.id).limit(1)) is not None:
        return redirect(url_for("auth.login"))
    _language_from_link()
    form = SetupForm()
    if form.validate_on_submit():
        admin = User(
            username=form.username.data,
            display_name=form.display_name.data.strip(),
            role=Role.ADMIN.value,
            language=session.get("language", "zh_CN"),
        )
        admin.set_password(form.password.data)
        db.session.add(admin)
        db.session.commit()
        login_user(admin)
        flash(_("The administrator account is ready. Add departments and users next."), "success")
        return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/setup.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; every other session of the user ends."""
    form = PasswordForm(current_user)
    if form.validate_on_submit():
        current_user.set_password(form.password.data)
        db.session.commit()
        # Keep this session alive under the new token.
        login_user(current_user._get_current_object())
        flash(_("Your password was changed. Other devices have been logged out."), "success")
        return redirect(url_for("home.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.route("/account/language", methods=["POST"])
@login_required
def language():
    """Switch the interface language for this user."""
    form = LanguageForm()
    if form.validate_on_submit():
        current_user.language = form.language.data
        session["language"] = form.language.data
        db.session.commit()
    return redirect(_redirect_target(request.form.get("back")))
