import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.access import login_required, roles_required
from portal.audit import history_of
from portal.forms import ConfirmForm
from portal.blueprints.settings import bp
from portal.blueprints.settings.forms import GradePolicyForm, LogoForm, company_settings_form, field_name
from portal.company_settings import GROUP_ORDER, form_settings, get_setting, set_setting, setting_rows
from portal.concurrency import edit_status, submit_versioned
from portal.database import utcnow
from portal.extensions import db
from portal.letterhead import LOGO_MAX_BYTES, LOGO_MAX_SIDE, logo_mime_type, logo_path, store_logo
from portal.models import FOLLOW_UP_KIND_LABELS, Customer, GradePolicy, Role
from portal.rendering import form_status
from portal.rules.followups import ensure_default_grade_policies, grade_policies
from portal.uploads import UploadError

ADMIN = Role.ADMIN.value


def _policy_or_404(policy_id: int) -> GradePolicy:
    policy = db.get_or_404(GradePolicy, policy_id)
    if policy.archived_at is not None:
        abort(404)
    return policy


def _customers_per_grade() -> dict[str, int]:
    rows = db.session.execute(
        select(Customer.intention_grade, func.count(Customer.id))
        .where(Customer.archived_at.is_(None), Customer.intention_grade.is_not(None))
        .group_by(Customer.intention_grade)
    )
    return dict(rows.all())


def _apply(form: GradePolicyForm, policy: GradePolicy) -> None:
    policy.description = form.description.data or ""
    policy.interval_days = form.interval_days.data
    policy.preferred_mode = form.preferred_mode.data
    policy.position = form.position.data or 0


@bp.route("/grades", methods=["GET", "POST"])
@roles_required(ADMIN)
def grades():
    """The follow-up interval and preferred mode per intention grade; add a grade."""
    if ensure_default_grade_policies():
        db.session.commit()
    form = GradePolicyForm()
    if form.validate_on_submit():
        policy = GradePolicy(grade=form.grade.data)
        _apply(form, policy)
        db.session.add(policy)
        db.session.commit()
        flash(_("Grade %(grade)s added.", grade=policy.grade), "success")
        return redirect(url_for("settings.grades"), 303)
    return (
        render_template(
            "settings/grades.html",
            policies=list(grade_policies().values()),
            customer_counts=_customers_per_grade(),
            kind_labels=FOLLOW_UP_KIND_LABELS,
            form=form,
        ),
        form_status(form),
    )


@bp.route("/grades/<int:policy_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def grade_edit(policy_id: int):
    """Change a grade's interval, mode, description or order (the grade letter itself stays)."""
    policy = _policy_or_404(policy_id)
    form = GradePolicyForm(obj=policy, policy=policy)
    ready, conflict = submit_versioned(form, policy)
    if ready:
        _apply(form, policy)
        db.session.commit()
        flash(_("Grade %(grade)s saved.", grade=policy.grade), "success")
        return redirect(url_for("settings.grades"), 303)
    status = edit_status(form, conflict)
    return (
        render_template(
            "settings/grade_form.html", policy=policy, form=form, conflict=conflict, history=history_of(policy)
        ),
        status,
    )


@bp.route("/grades/<int:policy_id>/archive", methods=["GET", "POST"])
@roles_required(ADMIN)
def grade_archive(policy_id: int):
    """Archive a grade after confirmation; its customers then get no default next date."""
    policy = _policy_or_404(policy_id)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        policy.archived_at = utcnow()
        db.session.commit()
        flash(_("Grade %(grade)s archived.", grade=policy.grade), "success")
        return redirect(url_for("settings.grades"), 303)
    customers = _customers_per_grade().get(policy.grade, 0)
    return render_template("settings/confirm_archive.html", policy=policy, customers=customers, form=form)


# --- company settings ---------------------------------------------------------------------------


def settings_fingerprint(rows) -> str:
    """``key:version`` of every stored setting: changes when anyone saves any setting."""
    return ",".join(f"{key}:{row.version}" for key, row in sorted(rows.items()))


@bp.route("/company", methods=["GET", "POST"])
@roles_required(ADMIN)
def company():
    """Every registered setting in its group: company details for printouts, numbering, defaults."""
    definitions = form_settings()
    rows = setting_rows()
    current = {field_name(d.key): get_setting(d.key) for d in definitions}
    form = company_settings_form(definitions, formdata=request.form if request.method == "POST" else None, data=current)
    stale = False
    if request.method == "GET":
        form.fingerprint.data = settings_fingerprint(rows)
    elif form.validate_on_submit():
        if form.fingerprint.data != settings_fingerprint(rows):
            stale = True
            form.fingerprint.data = settings_fingerprint(rows)
        else:
            for definition in definitions:
                set_setting(definition.key, form[field_name(definition.key)].data)
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("settings.company"), 303)
    groups = [
        (group, [form[field_name(d.key)] for d in definitions if d.group is group]) for group in GROUP_ORDER
    ]
    status = 409 if stale else form_status(form)
    return render_template("settings/company.html", form=form, groups=groups, stale=stale, current=current,
                           logo_form=LogoForm(formdata=None), confirm=ConfirmForm(), logo=get_setting("company.logo"),
                           logo_limit_kb=LOGO_MAX_BYTES // 1024), status


# --- the logo on the letterhead -----------------------------------------------------------------

LOGO_MESSAGES = {
    "empty": _l("The file is empty."),
    "too_large": _l("The logo is larger than %(limit)d KB."),
    "wrong_type": _l("Only a PNG or JPEG picture can be a logo."),
    "not_a_picture": _l("This file is not a readable PNG or JPEG picture."),
    "too_many_pixels": _l("The logo is larger than %(side)d pixels a side."),
}


@bp.post("/logo")
@roles_required(ADMIN)
def logo_upload():
    """Upload or replace the logo; the file replaced stays on disk (the history names it)."""
    form = LogoForm()
    if not form.validate_on_submit():
        for error in form.logo.errors or [_("The form expired. Please try again.")]:
            flash(str(error), "error")
        return redirect(url_for("settings.company"), 303)
    try:
        stored_name = store_logo(form.logo.data)
    except UploadError as error:
        flash(str(LOGO_MESSAGES[str(error)]) % {"limit": LOGO_MAX_BYTES // 1024, "side": LOGO_MAX_SIDE}, "error")
        return redirect(url_for("settings.company"), 303)
    set_setting("company.logo", stored_name)
    db.session.commit()
    flash(_("Logo uploaded. It prints on quotes, contracts and delivery notes."), "success")
    return redirect(url_for("settings.company"), 303)


@bp.post("/logo/remove")
@roles_required(ADMIN)
def logo_remove():
    """Print documents without a logo again (the file stays on disk)."""
    if ConfirmForm().validate_on_submit():
        set_setting("company.logo", "")
        db.session.commit()
        flash(_("Logo removed."), "success")
    return redirect(url_for("settings.company"), 303)


@bp.get("/logo")
@login_required
def logo():
    """The logo for the print views, to any signed-in user (it is printed on every document)."""
    stored_name = get_setting("company.logo")
    path = logo_path(stored_name)
    if path is None:
        abort(404)
    # At most LOGO_MAX_BYTES: read whole, so no file stays open after the response.
    response = send_file(io.BytesIO(path.read_bytes()), mimetype=logo_mime_type(stored_name))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
