"""Lists of values: add, rename, reorder and archive entries."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.access import roles_required
from portal.archiving import archive_after_confirmation
from portal.audit import history_of
from portal.blueprints.lists import bp
from portal.blueprints.lists.forms import LookupValueForm, MoveForm
from portal.concurrency import edit_status, submit_versioned
from portal.extensions import db
from portal.lookups import LOOKUP_LISTS, ensure_default_entries
from portal.models import LookupValue, Role

ADMIN = Role.ADMIN.value


def _entries(kind: str) -> list[LookupValue]:
    stmt = select(LookupValue).where(LookupValue.kind == kind, LookupValue.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(LookupValue.position, LookupValue.id)))


def _kind_or_404(kind: str) -> str:
    if kind not in LOOKUP_LISTS:
        abort(404)
    return kind


def _value_or_404(value_id: int) -> LookupValue:
    value = db.get_or_404(LookupValue, value_id)
    if value.archived_at is not None:
        abort(404)
    return value


def _blank_forms() -> dict:
    return {kind: LookupValueForm(formdata=None, kind=kind, prefix=kind) for kind in LOOKUP_LISTS}


def _index_page(forms: dict, status: int = 200):
    sections = [(kind, str(lookup_list.label), _entries(kind)) for kind, lookup_list in LOOKUP_LISTS.items()]
    return (
        render_template("lists/index.html", sections=sections, forms=forms, move_form=MoveForm()),
        status,
    )


@bp.route("/")
@roles_required(ADMIN)
def index():
    """Every list of values with its entries in order, and a form to add to each."""
    if any([ensure_default_entries(kind) for kind in LOOKUP_LISTS]):
        db.session.commit()
    return _index_page(_blank_forms())


@bp.route("/<kind>", methods=["POST"])
@roles_required(ADMIN)
def add(kind: str):
    """Add an entry at the end of a list."""
    kind = _kind_or_404(kind)
    form = LookupValueForm(kind=kind, prefix=kind)
    if form.validate_on_submit():
        entries = _entries(kind)
        position = max((entry.position for entry in entries), default=-1) + 1
        db.session.add(LookupValue(kind=kind, name=form.name.data, position=position))
        db.session.commit()
        flash(_("%(name)s added.", name=form.name.data), "success")
        return redirect(url_for("lists.index", _anchor=kind))
    forms = _blank_forms()
    forms[kind] = form
    return _index_page(forms, 422)


@bp.route("/entries/<int:value_id>", methods=["GET", "POST"])
@roles_required(ADMIN)
def edit(value_id: int):
    """Rename an entry; customers that use it show the new name."""
    value = _value_or_404(value_id)
    form = LookupValueForm(obj=value, kind=value.kind, value=value)
    ready, conflict = submit_versioned(form, value)
    if ready:
        value.name = form.name.data
        db.session.commit()
        flash(_("%(name)s saved.", name=value.name), "success")
        return redirect(url_for("lists.index", _anchor=value.kind))
    status = edit_status(form, conflict)
    return (
        render_template(
            "lists/edit.html",
            form=form,
            value=value,
            kind_label=LOOKUP_LISTS[value.kind].label if value.kind in LOOKUP_LISTS else value.kind,
            conflict=conflict,
            history=history_of(value),
        ),
        status,
    )


@bp.route("/entries/<int:value_id>/move", methods=["POST"])
@roles_required(ADMIN)
def move(value_id: int):
    """Move an entry one place up or down its list (positions are renumbered 0, 1, 2…)."""
    value = _value_or_404(value_id)
    form = MoveForm()
    if form.validate_on_submit():
        entries = _entries(value.kind)
        index = entries.index(value)
        other = index - 1 if form.direction.data == "up" else index + 1
        if 0 <= other < len(entries):
            entries[index], entries[other] = entries[other], entries[index]
            for position, entry in enumerate(entries):
                if entry.position != position:
                    entry.position = position
            db.session.commit()
    return redirect(url_for("lists.index", _anchor=value.kind))


@bp.route("/entries/<int:value_id>/archive", methods=["GET", "POST"])
@roles_required(ADMIN)
def archive(value_id: int):
    """Archive an entry after confirmation: it leaves the choices, customers keep showing it."""
    value = _value_or_404(value_id)
    return archive_after_confirmation(
        value,
        done_message=_("%(name)s archived.", name=value.name),
        then=url_for("lists.index", _anchor=value.kind),
        back=url_for("lists.index", _anchor=value.kind),
    )
