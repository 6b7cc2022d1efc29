"""Customer import views: the template, the upload, the job page (progress, preview, result), the
commit with the duplicate decisions, and running an interrupted import again."""
import logging
import secrets
from pathlib import Path

from flask import abort, after_this_request, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal import jobs
from portal.access import roles_required
from portal.blueprints.customers import bp
from portal.blueprints.customers.imports import (
    WORKING, check_import, claim, commit_import, fail_job, keep_upload, kept_upload, load_checked, looks_interrupted,
    mark_interrupted, template_workbook,
)
from portal.company_settings import SettingDefinition, get_setting, register_setting
from portal.database import utcnow
from portal.exporting import xlsx_file_response
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.models import ImportJob, Role
from portal.rendering import render_page_or_fragment
from portal.submissions import exactly_once

log = logging.getLogger(__name__)
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


def _notice_interrupted(found: list[ImportJob]) -> None:
    """Mark the jobs among ``found`` whose run stopped with its process as interrupted, so the page
    says so instead of showing a progress bar for ever."""
    stale = [job.id for job in found if looks_interrupted(job)]
    if not stale:
        return
    db.session.rollback()  # end this page's read; the marking has a transaction of its own
    try:
        mark_interrupted(stale)
    except OperationalError:  # SQLite's write lock is held for long: perhaps by the run itself
        log.warning("import jobs %s look interrupted but could not be marked now", stale)


def _start_check(job_id: int, data: bytes, user_id: int, owner: str, limit_mb: int) -> None:
    jobs.start(f"import-check-{job_id}", check_import, job_id, data, user_id, current_user.language, limit_mb * 1024 * 1024, owner)


def _start_write(job_id: int, decisions: dict, user_id: int, owner: str) -> None:
    try:
        checked = load_checked(job_id)
    except (OSError, ValueError):
        fail_job(job_id, owner, _("The checked rows are gone; upload the workbook again."))
        return
    language = current_user.language

    # The write starts once this request's claim of the job is committed: a create form's one-time
    # key holds the request's commits until its answer is ready, and a thread started earlier
    # would find the job not yet claimed (on PostgreSQL it does not wait for the lock).
    @after_this_request
    def start_after_commit(response):
        jobs.start(f"import-commit-{job_id}", commit_import, job_id, checked, decisions, user_id, language, owner)
        return response


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
        owner = jobs.new_owner()
        job = ImportJob(user_id=current_user.id, file_name=Path((upload.filename or "").replace("\\", "/")).name[:200],
                        stored_file=stored, status="checking", owner=owner, heartbeat_at=utcnow())
        db.session.add(job)
        db.session.flush()
        keep_upload(job.id, data)
        db.session.commit()
        _start_check(job.id, data, current_user.id, owner, limit_mb)
        return redirect(url_for("customers.import_job", job_id=job.id), 303)
    mine = select(ImportJob).where(ImportJob.user_id == current_user.id).order_by(ImportJob.id.desc()).limit(10)
    _notice_interrupted(db.session.scalars(mine).all())
    recent = db.session.scalars(mine).all()
    return render_template("customers/import.html", form=form, recent=recent, limit_mb=limit_mb), (422 if form.errors else 200)


@bp.route("/import/template.xlsx")
@roles_required(*IMPORT_ROLES)
def import_template():
    """The template with drop-downs for stage, grade, source, type and the owners one may import for."""
    return xlsx_file_response(template_workbook(current_user), "客户导入模板.xlsx", record=False)


@bp.route("/import/<int:job_id>")
@roles_required(*IMPORT_ROLES)
def import_job(job_id: int):
    """Progress while checking or importing (the fragment polls itself), then the preview with every
    row's problems and the possible duplicates, then the result; a reload shows the same."""
    job = _job_or_404(job_id)
    _notice_interrupted([job])
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
    owner = jobs.new_owner()
    if claim(job.id, "ready", "importing", owner, decisions={str(row): choice for row, choice in decisions.items()}):
        _start_write(job.id, decisions, current_user.id, owner)
    else:
        flash(_("This import is not waiting for confirmation."), "error")
    return redirect(url_for("customers.import_job", job_id=job.id), 303)


@bp.post("/import/<int:job_id>/again")
@roles_required(*IMPORT_ROLES)
def import_again(job_id: int):
    """Run an interrupted import again: the check from the workbook kept since the upload, the write
    from the checked rows with the choices confirmed for them. One conditional update claims the
    job, so two clicks (or two people) start it once; a write that committed is never run again."""
    job = _job_or_404(job_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    step = job.interrupted_step if job.interrupted_step in WORKING else "checking"
    if job.decisions is None:  # confirmed before the choices were kept: the duplicates are skipped
        decisions = {entry["row"]: "skip" for entry in job.duplicates}
    else:
        decisions = {int(row): choice for row, choice in job.decisions.items()}
    owner, limit_mb = jobs.new_owner(), get_setting("imports.max_mb")
    restart = {"done_rows": 0} if step == "checking" else {}
    if not claim(job.id, "interrupted", step, owner, interrupted_step=None, finished_at=None, message="", **restart):
        flash(_("This import was not interrupted; it may be running again already."), "error")
    elif step == "importing":
        _start_write(job.id, decisions, current_user.id, owner)
    else:
        try:
            data = kept_upload(job.id)
        except OSError:
            fail_job(job.id, owner, _("The uploaded workbook is no longer kept; upload it again."))
        else:
            _start_check(job.id, data, job.user_id, owner, limit_mb)
    return redirect(url_for("customers.import_job", job_id=job.id), 303)

