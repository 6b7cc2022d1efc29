"""Customer import views: the template, the upload, the job page (progress, preview, result) and
the commit with the duplicate decisions."""
import secrets
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from portal import jobs
from portal.access import roles_required
from portal.blueprints.customers import bp
from portal.blueprints.customers.imports import check_import, commit_import, load_checked, template_workbook
from portal.company_settings import SettingDefinition, get_setting, register_setting
from portal.exporting import xlsx_file_response
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.models import ImportJob, Role
from portal.rendering import render_page_or_fragment
from portal.submissions import exactly_once

IMPORT_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
register_setting(SettingDefinition("imports.max_mb", _l("Largest customer import file (MB)"), kind="int", default=20,
                                   group=_l("Customers"), minimum=1, maximum=30))


class UploadForm(FlaskForm):
    workbook = FileField(_l("Workbook (.xlsx)"), validators=[FileRequired(message=_l("Choose the workbook to import."))])


def _job_or_404(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None or (job.user_id != current_user.id and current_user.role != Role.ADMIN):
        abort(404)
    return job


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*IMPORT_ROLES)
def import_start():
    """Upload a filled template; it is checked in the background and the job page shows the progress
    and then the preview, before anything is written."""
    form = UploadForm()
    limit_mb = get_setting("imports.max_mb")
    if form.validate_on_submit():
        upload = form.workbook.data
        data = upload.stream.read(limit_mb * 1024 * 1024 + 1)
        upload.close()
        stored = f"{secrets.token_hex(16)}.xlsx"
        job = ImportJob(user_id=current_user.id, file_name=Path((upload.filename or "").replace("\\", "/")).name[:200],
                        stored_file=stored, status="checking")
        db.session.add(job)
        db.session.commit()
        jobs.start(f"import-check-{job.id}", check_import, job.id, data, current_user.id, current_user.language, limit_mb * 1024 * 1024)
        return redirect(url_for("customers.import_job", job_id=job.id), 303)
    recent = db.session.scalars(select(ImportJob).where(ImportJob.user_id == current_user.id).order_by(ImportJob.id.desc()).limit(10)).all()
    return render_template("customers/import.html", form=form, recent=recent, limit_mb=limit_mb), (422 if form.errors else 200)


@bp.route("/import/template.xlsx")
@roles_required(*IMPORT_ROLES)
def import_template():
    """The template with drop-downs for stage, grade, source, type and the owners one may import for."""
    return xlsx_file_response(template_workbook(current_user), "客户导入模板.xlsx")


@bp.route("/import/<int:job_id>")
@roles_required(*IMPORT_ROLES)
def import_job(job_id: int):
    """Progress while checking or importing (the fragment polls itself), then the preview with every
    row's problems and the possible duplicates, then the result; a reload shows the same."""
    job = _job_or_404(job_id)
    return render_page_or_fragment("customers/import_job.html", "customers/_import_job.html", "import-job",
                                   job=job, confirm=ConfirmForm())


@bp.post("/import/<int:job_id>/commit")
@roles_required(*IMPORT_ROLES)
@exactly_once
def import_commit(job_id: int):
    """Import the valid rows in one transaction with the choices made for the duplicates: skip the
    row, merge it into an existing customer, or import it as a new customer."""
    job = _job_or_404(job_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if job.status != "ready":
        flash(_("This import is not waiting for confirmation."), "error")
        return redirect(url_for("customers.import_job", job_id=job.id), 303)
    allowed = {entry["row"]: {str(match["id"]) for match in entry["matches"]} for entry in job.duplicates}
    decisions = {}
    for row, choices in allowed.items():
        choice = request.form.get(f"row-{row}", "skip")
        if choice in choices:
            decisions[row] = choice
        elif choice == "new":
            decisions[row] = "new"
        else:
            decisions[row] = "skip"
    job.status = "importing"
    db.session.commit()
    try:
        checked = load_checked(job.id)
    except (OSError, ValueError):
        job.status, job.message = "failed", _("The checked rows are gone; upload the workbook again.")
        db.session.commit()
        return redirect(url_for("customers.import_job", job_id=job.id), 303)
    jobs.start(f"import-commit-{job.id}", commit_import, job.id, checked, decisions, current_user.id, current_user.language)
    return redirect(url_for("customers.import_job", job_id=job.id), 303)

