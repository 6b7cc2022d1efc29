from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.access import roles_required
from portal.audit import history_of
from portal.blueprints.admin import bp
from portal.blueprints.admin.forms import (
    ROLE_LABELS,
    DepartmentForm,
    ResetPasswordForm,
    UserCreateForm,
    UserEditForm,
    LeavingForm,
)
from portal.blueprints.admin.leaving import (
    BY_GRADE,
    NO_GRADE,
    colleagues_for,
    move_everything,
    owned_counts,
    owned_grades,
    owns_anything,
)
from portal.forms import ConfirmForm, bounded_int
from portal.concurrency import edit_status, submit_versioned
from portal.database import utcnow
from portal.extensions import db
from portal.models import Department, Role, User
from portal.records import archivable_models, model_for_record_type, run_restore_hook
from portal.rendering import render_page_or_fragment

ADMIN = Role.ADMIN.value


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/users")
@roles_required(ADMIN)
def users():
    """All users, filtered by department, role and status."""
    stmt = select(User).order_by(User.active.desc(), User.username)
    department_id = request.args.get("department", type=bounded_int)
    role = request.args.get("role", "")
    status = request.args.get("status", "active")
    if department_id:
        stmt = stmt.where(User.department_id == department_id)
    if role in ROLE_LABELS:
        stmt = stmt.where(User.role == role)
    if status == "active":
        stmt = stmt.where(User.active.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.active.is_(False))
    # The page number goes through the bounded conversion; Flask-SQLAlchemy would take any integer.
    page = db.paginate(stmt, page=request.args.get("page", 1, type=bounded_int), per_page=50, error_out=False)
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    return render_page_or_fragment(
        "admin/users.html",
        "admin/_user_rows.html",
        "user-rows",
        page=page,
        departments=departments,
        role_labels=ROLE_LABELS,
        filters={"department": department_id or "", "role": role, "status": status},
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_new():
    """Create a user with an initial password."""
    form = UserCreateForm()
    if form.validate_on_submit():
        user = User(
            username=form.username.data,
            display_name=form.display_name.data.strip(),
            role=form.role.data,
            department_id=form.department_id.data or None,
            language=form.language.data,
        )
        user.set_password(form.password.data)
        db.session.add(user)
        db.session.commit()
        flash(_("User %(name)s created.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_edit(user_id: int):
    """Change a user's name, role, department and language."""
    user = _user_or_404(user_id)
    form = UserEditForm(obj=user)
    if request.method == "GET":
        form.department_id.data = user.department_id or 0
    ready, conflict = submit_versioned(form, user)
    if ready:
        role_changed = user.role != form.role.data
        user.display_name = form.display_name.data.strip()
        user.role = form.role.data
        user.department_id = form.department_id.data or None
        user.language = form.language.data
        if role_changed:
            # New rights take effect at the next login, everywhere.
            user.rotate_session_token()
        db.session.commit()
        flash(_("User %(name)s saved.", name=user.username), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    status = edit_status(form, conflict)
    return (
        render_template(
            "admin/user_form.html",
            form=form,
            user=user,
            conflict=conflict,
            reset_form=ResetPasswordForm(),
            confirm_form=ConfirmForm(),
            history=history_of(user),
        ),
        status,
    )


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required(ADMIN)
def user_reset_password(user_id: int):
    """Set a new password for a user; their sessions end."""
    user = _user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash(_("Password of %(name)s reset. Their sessions have ended.", name=user.username), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_toggle_active(user_id: int):
    """Deactivate (after confirmation) or reactivate a user. Their records stay."""
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    if user.active and user.role in (Role.SALES, Role.HEAD) and owns_anything(user):
        # Nobody leaves with customers: what they own is moved first, in the leaving procedure.
        return redirect(url_for("admin.user_leaving", user_id=user.id))
    if request.method == "POST" and form.validate_on_submit():
        user.active = not user.active
        user.rotate_session_token()
        db.session.commit()
        message = _("%(name)s can log in again.") if user.active else _("%(name)s was deactivated and logged out.")
        flash(message % {"name": user.username}, "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template("admin/confirm_active.html", user=user, form=form)


@bp.route("/departments", methods=["GET", "POST"])
@roles_required(ADMIN)
def departments():
    """List departments and add one."""
    form = DepartmentForm()
    if form.validate_on_submit():
        db.session.add(Department(name=form.name.data))
        db.session.commit()
        flash(_("Department %(name)s created.", name=form.name.data), "success")
        return redirect(url_for("admin.departments"))
    rows = db.session.scalars(
        select(Department).where(Department.archived_at.is_(None)).order_by(Department.name)
    ).all()
    status = 422 if request.method == "POST" else 200
    return render_template("admin/departments.html", departments=rows, form=form), status


@bp.route("/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def department_edit(department_id: int):
    """Rename a department."""
    department = db.get_or_404(Department, department_id)
    form = DepartmentForm(obj=department, department=department)
    ready, conflict = submit_versioned(form, department)
    if ready:
        department.name = form.name.data
        db.session.commit()
        flash(_("Department saved."), "success")
        return redirect(url_for("admin.departments"))
    status = edit_status(form, conflict)
    return (
        render_template(
            "admin/department_form.html",
            form=form,
            department=department,
            conflict=conflict,
            confirm_form=ConfirmForm(),
            history=history_of(department),
        ),
        status,
    )


@bp.route("/departments/<int:department_id>/archive", methods=["GET", "POST"])
@roles_required(ADMIN)
def department_archive(department_id: int):
    """Archive a department after confirmation; refused while active users belong to it."""
    department = db.get_or_404(Department, department_id)
    form = ConfirmForm()
    members = db.session.scalar(
        select(db.func.count(User.id)).where(User.department_id == department.id, User.active.is_(True))
    )
    if request.method == "POST" and form.validate_on_submit():
        if members:
            flash(_("Move or deactivate the department's users first."), "error")
            return redirect(url_for("admin.department_edit", department_id=department.id))
        department.archived_at = utcnow()
        db.session.commit()
        flash(_("Department %(name)s archived.", name=department.name), "success")
        return redirect(url_for("admin.departments"))
    return render_template("admin/confirm_archive.html", record=department, members=members, form=form,
                           action=url_for("admin.department_archive", department_id=department.id),
                           back=url_for("admin.department_edit", department_id=department.id))


@bp.route("/archived")
@roles_required(ADMIN)
def archived():
    """Every archived record, newest first, with a restore button."""
    groups = []
    for model in archivable_models():
        rows = db.session.scalars(
            select(model).where(model.archived_at.is_not(None)).order_by(model.archived_at.desc()).limit(200)
        ).all()
        if rows:
            groups.append((model, rows))
    return render_template("admin/archived.html", groups=groups, form=ConfirmForm())


@bp.route("/archived/<record_type>/<int:record_id>/restore", methods=["POST"])
@roles_required(ADMIN)
def restore(record_type: str, record_id: int):
    """Bring an archived record back."""
    model = model_for_record_type(record_type)
    if model is None or not hasattr(model, "archived_at"):
        abort(404)
    record = db.get_or_404(model, record_id)
    form = ConfirmForm()
    if form.validate_on_submit() and record.archived_at is not None:
        record.archived_at = None
        run_restore_hook(record)
        db.session.commit()
        flash(_("%(label)s restored.", label=record.audit_label()), "success")
    return redirect(url_for("admin.archived"))


@bp.route("/users/<int:user_id>/leaving", methods=["GET", "POST"])
@roles_required(ADMIN)
def user_leaving(user_id: int):
    """The leaving procedure: what the person owns and where it goes; one action moves all of it,
    ends their sessions and deactivates them."""
    user = _user_or_404(user_id)
    if user.id == current_user.id or not user.active:
        return redirect(url_for("admin.user_edit", user_id=user.id))
    colleagues = colleagues_for(user)
    form = LeavingForm()
    form.colleague_id.choices = [(0, _("— choose —"))] + [
        (colleague.id, f"{colleague.display_name} · {colleague.department_name}") for colleague in colleagues
    ]
    grades = owned_grades(user)
    by_id = {colleague.id: colleague for colleague in colleagues}
    by_grade, grade_errors = {}, []
    if request.method == "POST":
        for grade in grades:
            try:
                chosen = bounded_int(request.form.get(f"grade-{grade or NO_GRADE}", "0"), minimum=0)
            except ValueError:
                chosen = -1
            if chosen and chosen not in by_id:
                grade_errors.append(grade)
            elif chosen:
                by_grade[grade] = by_id[chosen]
    if form.validate_on_submit() and not grade_errors and form.colleague_id.data in by_id:
        moved = move_everything(user, form.mode.data, by_id[form.colleague_id.data],
                                by_grade if form.mode.data == BY_GRADE else {}, current_user.id)
        db.session.commit()
        flash(_("%(name)s was deactivated and logged out; %(count)d customers and %(records)d other records were moved.",
                name=user.username, count=moved["customers"], records=sum(moved.values()) - moved["customers"]), "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/leaving.html", user=user, form=form, counts=owned_counts(user), grades=grades,
                           colleagues=colleagues, grade_errors=grade_errors, no_grade=NO_GRADE), status
