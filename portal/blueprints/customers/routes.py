"""Customer register views: the list, one customer, its contacts, merging and handover."""
from operator import itemgetter

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.access import get_scoped_or_404, login_required, roles_required, scope_clause
from portal.access_log import record_access
from portal.archiving import archive_after_confirmation
from portal.blueprints.customers import bp
from portal.blueprints.customers.forms import ContactForm, CustomerForm, HandoverForm, MergeForm
from portal.blueprints.customers.operations import CUSTOMER_REFERENCES, hand_over, merge_customers
from portal.blueprints.customers.queries import (
    NO_GRADE,
    CustomerFilters,
    active_grades,
    find_duplicates,
    list_customers,
    lookup_names,
    lookup_values,
    salespeople_for,
    visible_customer_ids,
)
from portal.exporting import DATE_FORMAT, Column, keyset_rows, xlsx_response
from portal.forms import ConfirmForm
from portal.labels import translated
from portal.concurrency import edit_status, submit_versioned
from portal.database import utcnow
from portal.extensions import db
from portal.models.access_log import CONTACTS, CUSTOMER_PAGE
from portal.models import STAGE_LABELS, VALUE_GRADES, Contact, Customer, Department, LookupKind, LookupValue, Role, User
from portal.panels import panels_for
from portal.rendering import form_status, render_page_or_fragment, wants_fragment
from portal.rules.customers import normalise_name, phone_digits, refresh_keys
from portal.rules.followups import company_today, next_follow_up_for_grade
from portal.submissions import exactly_once

# The list and registering are for these roles (HR: 403). Views of one customer need only a login:
# the scope answers 404 outside it (HR included), so a record's existence never shows.
CUSTOMER_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
ROWS_TARGET = "customer-rows"
CONTACTS_TARGET = "contacts"
PANELS_TARGET = "customer-panels"
DUPLICATE_REASONS = {"name": _l("same name"), "phone": _l("same phone"), "email": _l("same e-mail")}


def _customer_or_404(customer_id: int, *, include_archived: bool = False, options=()) -> Customer:
    """A customer inside the user's scope, else 404; archived ones only where asked for."""
    customer = get_scoped_or_404(Customer, customer_id, options=options)
    if customer.archived_at is not None and not include_archived:
        abort(404)
    return customer


def _contact_or_404(customer: Customer, contact_id: int) -> Contact:
    """A live contact of ``customer``; a contact of another customer answers 404."""
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id or contact.archived_at is not None:
        abort(404)
    return contact


# --- list ---------------------------------------------------------------------------------------


@bp.route("/")
@roles_required(*CUSTOMER_ROLES)
def index():
    """The customers the user may see, filtered, searched and sorted; one keyset page at a time.

    The filter form updates only ``#customer-rows`` through htmx and pushes the URL, so every
    filtered list is a bookmarkable link.
    """
    filters = CustomerFilters.from_args(request.args)
    page = list_customers(current_user, filters, request.args.get("after"))
    context = {
        "page": page,
        "filters": filters,
        "lookups": lookup_names(),
        "stage_labels": translated(STAGE_LABELS),
        "today": company_today(),
    }
    fragment = wants_fragment(ROWS_TARGET)
    if not fragment:
        context.update(_filter_choices(), value_grades=[(grade, grade) for grade in VALUE_GRADES])
    response = render_page_or_fragment("customers/index.html", "customers/_rows.html", ROWS_TARGET, **context)
    if fragment:
        # The form sends every field; the address bar gets only the filters in use.
        response.headers["HX-Push-Url"] = url_for(
            "customers.index", after=request.args.get("after") or None, **filters.as_args()
        )
    return response


# The list's own rows become tuples in this order; labels are looked up once per export.
EXPORT_COLUMNS = [
    Column(_l("Name"), itemgetter(0), width=32),
    Column(_l("Type"), itemgetter(1)),
    Column(_l("Stage"), itemgetter(2)),
    Column(_l("Grade"), itemgetter(3), width=8),
    Column(_l("Owner"), itemgetter(4)),
    Column(_l("Region"), itemgetter(5)),
    Column(_l("Phone"), itemgetter(6), width=16, contact=True),
    Column(_l("Mobile"), itemgetter(7), width=16, contact=True),
    Column(_l("Next follow-up"), itemgetter(8), DATE_FORMAT),
]


@bp.route("/export")
@roles_required(*CUSTOMER_ROLES)
def export():
    """The list as filtered on the page, within the user's scope, as an .xlsx file."""
    filters = CustomerFilters.from_args(request.args)
    types = lookup_names()
    stages = translated(STAGE_LABELS)

    def fetch(after, size):
        page = list_customers(current_user, filters, after, page_size=size)
        rows = [
            (row.name, types.get(row.customer_type_id, ""), stages[row.stage], row.intention_grade, row.owner_name,
             row.region, row.phone, row.mobile, row.next_follow_up_on)
            for row in page.rows
        ]
        return rows, page.next_cursor

    return xlsx_response(_("Customers"), EXPORT_COLUMNS, keyset_rows(fetch))


def _filter_choices() -> dict:
    departments = []
    if current_user.role == Role.ADMIN:
        departments = db.session.scalars(
            select(Department).where(Department.archived_at.is_(None)).order_by(Department.name)
        ).all()
    return {
        "owners": salespeople_for(current_user, active_only=False) if current_user.role != Role.SALES else [],
        "departments": departments,
        "grades": active_grades(),
        "no_grade": NO_GRADE,
        "types": lookup_values(LookupKind.CUSTOMER_TYPE),
        "sources": lookup_values(LookupKind.SOURCE),
    }


# --- one customer -------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*CUSTOMER_ROLES)
@exactly_once
def new():
    """Register a customer. Likely duplicates are listed first; saved only once confirmed."""
    form = CustomerForm(user=current_user)
    duplicates = []
    if form.validate_on_submit():
        duplicates = _unconfirmed_duplicates(form)
        if not duplicates:
            customer = Customer()
            form.apply_to(customer)
            _set_owner(customer, form)
            if customer.intention_grade and customer.next_follow_up_on is None:
                customer.next_follow_up_on = next_follow_up_for_grade(customer.intention_grade, company_today())
            refresh_keys(customer)
            db.session.add(customer)
            db.session.commit()
            flash(_("Customer %(name)s registered.", name=customer.name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return _form_page(form, None, duplicates)


# The names the customer page shows, joined into the one statement that loads the customer.
DETAIL_OPTIONS = (
    joinedload(Customer.owner).load_only(User.display_name),
    joinedload(Customer.department).load_only(Department.name),
    joinedload(Customer.customer_type).load_only(LookupValue.name),
    joinedload(Customer.source).load_only(LookupValue.name),
)


@bp.route("/<int:customer_id>")
@login_required
def detail(customer_id: int):
    """A customer with its contacts and follow-ups; the other areas' panels and the change history
    follow through htmx once the page is shown (``panels`` and ``audit.history``)."""
    customer = _customer_or_404(customer_id, include_archived=True, options=DETAIL_OPTIONS)
    page = render_template(
        "customers/detail.html",
        customer=customer,
        contacts=_active_contacts(customer),
        stage_labels=STAGE_LABELS,
        today=company_today(),
    )
    # Recorded once the page is rendered: a view that fails to render is no view.
    record_access(CUSTOMER_PAGE, target=request.path, record_id=customer.id)
    return page


@bp.route("/<int:customer_id>/panels")
@login_required
def panels(customer_id: int):
    """The sections other areas add to the customer page (quotes, purchases, lost orders,
    complaints, pool), which the page loads after it is shown; a page of their own without htmx."""
    customer = _customer_or_404(customer_id, include_archived=True)
    return render_page_or_fragment(
        "customers/panels.html",
        "customers/_panels.html",
        PANELS_TARGET,
        customer=customer,
        panels=panels_for("customer", customer, current_user),
    )


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(customer_id: int):
    """Change a customer; a form opened before someone else saved answers 409 with their changes."""
    customer = _customer_or_404(customer_id)
    form = CustomerForm(obj=customer, user=current_user, customer=customer)
    duplicates = []
    if request.method == "GET":
        form.customer_type_id.data = customer.customer_type_id or 0
        form.source_id.data = customer.source_id or 0
        form.intention_grade.data = customer.intention_grade or ""
    ready, conflict = submit_versioned(form, customer)
    if ready:
        duplicates = _unconfirmed_duplicates(form, customer)
        if not duplicates:
            form.apply_to(customer)
            _set_owner(customer, form)
            refresh_keys(customer)
            db.session.commit()
            flash(_("Customer %(name)s saved.", name=customer.name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return _form_page(form, customer, duplicates, conflict)


@bp.route("/<int:customer_id>/archive", methods=["GET", "POST"])
@login_required
def archive(customer_id: int):
    """Archive a customer after confirmation; an administrator can restore it."""
    customer = _customer_or_404(customer_id)
    return archive_after_confirmation(
        customer,
        done_message=_("Customer %(name)s archived.", name=customer.name),
        then=url_for("customers.index"),
        back=url_for("customers.detail", customer_id=customer.id),
    )


def _set_owner(customer: Customer, form: CustomerForm) -> None:
    """A salesperson owns what they register; heads and admins pick; department follows the owner."""
    if "owner_id" in form:
        owner = db.session.get(User, form.owner_id.data)
    else:
        owner = customer.owner if customer.owner_id else current_user
    if customer.owner_id != owner.id:
        customer.owned_since = utcnow()
    customer.owner_id = owner.id
    customer.department_id = owner.department_id


def _unconfirmed_duplicates(form: CustomerForm, customer: Customer | None = None) -> list:
    """Matches to show before saving, unless confirmed or (when editing) the keys did not change."""
    if form.confirm_duplicates.data:
        return []
    email = (form.email.data or "").lower()
    if customer is not None and (
        normalise_name(form.name.data) == customer.name_key
        and phone_digits(form.phone.data) == customer.phone_key
        and phone_digits(form.mobile.data) == customer.mobile_key
        and email == customer.email
    ):
        return []
    return find_duplicates(
        form.name.data, [form.phone.data, form.mobile.data], email, exclude_id=customer.id if customer else None
    )


def _form_page(form, customer, duplicates, conflict=None):
    visible = visible_customer_ids(current_user, [match.customer.id for match in duplicates])
    status = 409 if conflict else form_status(form)
    return (
        render_template(
            "customers/form.html",
            form=form,
            customer=customer,
            duplicates=duplicates,
            visible_ids=visible,
            reason_labels=DUPLICATE_REASONS,
            conflict=conflict,
        ),
        status,
    )


# --- contacts (inline on the customer page through htmx) ----------------------------------------


def _active_contacts(customer: Customer) -> list[Contact]:
    return [contact for contact in customer.contacts if contact.archived_at is None]


def _contacts_panel(customer: Customer, status: int = 200, **state):
    """The contacts panel alone for htmx, else a page around it; ``state`` holds the open form."""
    return render_page_or_fragment(
        "customers/contacts.html",
        "customers/_contacts.html",
        CONTACTS_TARGET,
        status,
        customer=customer,
        contacts=_active_contacts(customer),
        **state,
    )


def _contacts_changed(customer: Customer, message: str):
    refresh_keys(customer)
    db.session.commit()
    if wants_fragment(CONTACTS_TARGET):
        return _contacts_panel(customer)
    flash(message, "success")
    return redirect(url_for("customers.detail", customer_id=customer.id, _anchor=CONTACTS_TARGET))


@bp.route("/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@login_required
@exactly_once
def contact_new(customer_id: int):
    """Add a contact person to a customer."""
    customer = _customer_or_404(customer_id)
    form = ContactForm()
    if form.validate_on_submit():
        contact = Contact(customer=customer)
        form.apply_to(contact)
        db.session.add(contact)
        return _contacts_changed(customer, _("Contact %(name)s added.", name=contact.name))
    return _contacts_panel(customer, form_status(form), form=form, editing="new")


@bp.route("/<int:customer_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def contact_edit(customer_id: int, contact_id: int):
    """Change a contact person (with the same stale-form check as customers)."""
    customer = _customer_or_404(customer_id)
    contact = _contact_or_404(customer, contact_id)
    if request.method == "GET":
        record_access(CONTACTS, target=request.path, record_id=contact.id)
    form = ContactForm(obj=contact)
    ready, conflict = submit_versioned(form, contact)
    if ready:
        form.apply_to(contact)
        return _contacts_changed(customer, _("Contact %(name)s saved.", name=contact.name))
    status = edit_status(form, conflict)
    return _contacts_panel(customer, status, form=form, editing=contact.id, conflict=conflict)


@bp.route("/<int:customer_id>/contacts/<int:contact_id>/archive", methods=["GET", "POST"])
@login_required
def contact_archive(customer_id: int, contact_id: int):
    """Remove a contact person after confirmation (archived, not deleted)."""
    customer = _customer_or_404(customer_id)
    contact = _contact_or_404(customer, contact_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        contact.archived_at = utcnow()
        return _contacts_changed(customer, _("Contact %(name)s removed.", name=contact.name))
    return _contacts_panel(customer, confirm_form=form, confirming=contact.id)


# --- merge and handover -------------------------------------------------------------------------


@bp.route("/<int:customer_id>/merge", methods=["GET", "POST"])
@roles_required(Role.ADMIN.value)
def merge(customer_id: int):
    """Merge a duplicate into this customer: pick it, confirm, then its records move here."""
    survivor = _customer_or_404(customer_id)
    if request.method == "POST":
        form = MergeForm()
    else:
        # Picking is a GET form so the confirmation step has its own URL.
        form = MergeForm(formdata=request.args or None, meta={"csrf": False})
    duplicate = None
    if (request.method == "POST" or "duplicate_id" in request.args) and form.validate():
        duplicate = db.session.scalar(
            select(Customer).where(Customer.id == form.duplicate_id.data, Customer.archived_at.is_(None))
        )
        if duplicate is None or duplicate.id == survivor.id:
            form.duplicate_id.errors.append(_("Choose another active customer."))
            duplicate = None
    if duplicate is not None and request.method == "POST":
        merge_customers(survivor, duplicate)
        db.session.commit()
        flash(_("%(duplicate)s was merged into %(survivor)s.", duplicate=duplicate.name, survivor=survivor.name), "success")
        return redirect(url_for("customers.detail", customer_id=survivor.id))
    if duplicate is not None:
        return render_template(
            "customers/merge_confirm.html",
            survivor=survivor,
            duplicate=duplicate,
            moving=_rows_pointing_at(duplicate),
            form=MergeForm(duplicate_id=duplicate.id),
        )
    suggestions = find_duplicates(survivor.name, [survivor.phone, survivor.mobile], survivor.email, exclude_id=survivor.id)
    status = 422 if form.errors else 200
    return render_template("customers/merge.html", survivor=survivor, form=form, suggestions=suggestions), status


def _rows_pointing_at(customer: Customer) -> list[tuple[str, int]]:
    """(record label, count) of the rows a merge would move."""
    counts = []
    for model, column in CUSTOMER_REFERENCES:
        stmt = select(func.count()).select_from(model).where(getattr(model, column) == customer.id)
        if hasattr(model, "archived_at"):
            stmt = stmt.where(model.archived_at.is_(None))
        counts.append((str(model.RECORD_LABEL), db.session.scalar(stmt)))
    return counts


@bp.route("/handover", methods=["GET", "POST"])
@roles_required(Role.HEAD.value, Role.ADMIN.value)
def handover():
    """Hand all or selected customers of one salesperson to another (客户交接), after a review.

    Heads choose among their own department's salespeople; admins among all.
    """
    if request.method == "POST":
        form = HandoverForm(user=current_user)
    else:
        form = HandoverForm(formdata=request.args or None, user=current_user, meta={"csrf": False})
    from_user = db.session.get(User, form.from_user_id.data) if form.from_user_id.data else None
    if from_user is not None and from_user.id not in {choice for choice, _label in form.from_user_id.choices}:
        from_user = None
    candidates = _handover_candidates(from_user) if from_user else []
    form.customer_ids.choices = [(customer.id, customer.name) for customer in candidates]
    if request.method == "POST" and form.validate():
        wanted = {c.id for c in candidates} if form.move_all.data else set(form.customer_ids.data)
        chosen = [customer for customer in candidates if customer.id in wanted]
        to_user = db.session.get(User, form.to_user_id.data)
        if len(chosen) != len(wanted) or not chosen:
            form.customer_ids.errors.append(_("Some of these customers cannot be handed over; reload the page."))
        elif request.form.get("confirmed") == "1":
            moved = hand_over([customer.id for customer in chosen], from_user, to_user)
            db.session.commit()
            flash(
                _("%(count)d customers handed over from %(source)s to %(target)s.",
                  count=len(moved), source=from_user.display_name, target=to_user.display_name),
                "success",
            )
            return redirect(url_for("customers.index", owner=to_user.id))
        else:
            return render_template(
                "customers/handover_confirm.html", form=form, chosen=chosen, from_user=from_user, to_user=to_user
            )
    status = 422 if request.method == "POST" else 200
    return render_template("customers/handover.html", form=form, from_user=from_user, candidates=candidates), status


def _handover_candidates(from_user: User) -> list[Customer]:
    """The active customers of ``from_user`` inside the acting user's scope, by name."""
    stmt = select(Customer).where(
        Customer.owner_id == from_user.id,
        Customer.archived_at.is_(None),
        scope_clause(Customer, current_user),
    )
    return list(db.session.scalars(stmt.order_by(Customer.name, Customer.id)))
