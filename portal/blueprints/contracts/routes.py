"""Contract views: the lists (contracts, payments, deliveries) and their exports; a contract from a
won quote or from scratch, its lines, payment plan, payments, deliveries with their delivery
notes, status steps and the scanned contract."""
from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.access import get_scoped_or_404, login_required, roles_required
from portal.archiving import archive_after_confirmation
from portal.blueprints.contracts import bp
from portal.blueprints.contracts.forms import (
    CancelForm, ContractForm, DeliveredForm, PaymentForm, PlanForm, ScanForm, delivery_form_for,
)
from portal.blueprints.contracts.pdf import contact_line, contract_pdf, delivery_note_pdf
from portal.blueprints.contracts.queries import (
    DELIVERY_KINDS, ContractFilters, RecordFilters, contract_deliveries, contract_payments, delivered_quantities,
    known_addresses, list_contracts, list_deliveries, list_payments, live_instalments, live_lines,
    take_contract_sequence,
)
from portal.blueprints.customers.queries import CustomerFilters, list_customers, owner_filter_choices
from portal.blueprints.quotes.forms import LineForm
from portal.blueprints.quotes.queries import search_products, sign_customer
from portal.company_settings import company_details, get_setting
from portal.concurrency import edit_status, submit_versioned
from portal.database import utcnow
from portal.exporting import DATE_FORMAT, MONEY_FORMAT, Column, keyset_rows, xlsx_response
from portal.extensions import db
from portal.forms import ConfirmForm, arg_int
from portal.labels import translated
from portal.models import (
    CONTRACT_STATUS_LABELS, PAYMENT_METHOD_LABELS, Contract, ContractLine, Customer, Delivery, DeliveryLine,
    Instalment, Payment, Quote, Role,
)
from portal.printing import pdf_response
from portal.rendering import form_status, render_page_or_fragment, wants_fragment
from portal.rules.contracts import (
    CANCELLED, COMPLETED, DELIVERED, IN_PROGRESS, PAID, allocate, amount_due_before, collected_share,
    contract_number, delivery_number, delivery_overdue, fully_delivered, is_open, outstanding, payment_status,
    plan_difference, remaining_quantity, transition_blocker,
)
from portal.rules.followups import company_today
from portal.rules.money import amount_in_chinese_capitals
from portal.rules.quotes import WON, quote_totals
from portal.submissions import exactly_once
from portal.uploads import UploadError, remove_upload, send_upload, store_upload

CONTRACT_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
ROWS_TARGET, PAYMENT_ROWS_TARGET, DELIVERY_ROWS_TARGET = "contract-rows", "payment-rows", "delivery-rows"
LINES_TARGET = "contract-lines"
SCANS = "contract_scans"
PAYMENT_STATUS_LABELS = {
    "unpaid": _l("Unpaid"), "partly_paid": _l("Partly paid"), "paid": _l("Paid"), "overdue": _l("Overdue"),
}
DELIVERY_KIND_LABELS = {"planned": _l("Planned"), "overdue": _l("Overdue"), "delivered": _l("Delivered")}


# --- loading ------------------------------------------------------------------------------------


def _contract_or_404(contract_id: int) -> Contract:
    contract = get_scoped_or_404(Contract, contract_id, options=(joinedload(Contract.customer), joinedload(Contract.owner)))
    if contract.archived_at is not None:
        abort(404)
    return contract


def _delivery_or_404(contract: Contract, delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.contract_id != contract.id or delivery.archived_at is not None:
        abort(404)
    return delivery


def _back_to(contract: Contract, anchor: str = ""):
    return redirect(url_for("contracts.detail", contract_id=contract.id) + anchor, 303)


def _refuse(message: str, contract: Contract):
    flash(message, "error")
    return _back_to(contract)


# --- the lists ----------------------------------------------------------------------------------


@bp.route("/contracts/")
@roles_required(*CONTRACT_ROLES)
def index():
    """Contracts the user may see, filtered, with payment status, 回款 % and the totals of the
    whole filter (contract amount, received, outstanding)."""
    filters = ContractFilters.from_args(request.args)
    page = list_contracts(current_user, filters, arg_int("after"), company_today())
    # Labels looked up once for the page, not once per row.
    context = {"page": page, "filters": filters, "status_labels": translated(CONTRACT_STATUS_LABELS),
               "payment_labels": translated(PAYMENT_STATUS_LABELS), "collected_share": collected_share}
    if not wants_fragment(ROWS_TARGET):
        context["owners"] = owner_filter_choices(current_user)
    response = render_page_or_fragment("contracts/index.html", "contracts/_rows.html", ROWS_TARGET, **context)
    if wants_fragment(ROWS_TARGET):
        response.headers["HX-Push-Url"] = url_for("contracts.index", **filters.as_args())
    return response


def _share(row):
    share = collected_share(row.amount_gross, row.amount_received)
    return None if share is None else share / 100


CONTRACT_COLUMNS = [
    Column(_l("Number"), lambda row: row.number, width=16),
    Column(_l("Customer"), lambda row: row.customer_name, width=32),
    Column(_l("Signed on"), lambda row: row.signed_on, DATE_FORMAT),
    Column(_l("Status"), lambda row: str(CONTRACT_STATUS_LABELS[row.status])),
    Column(_l("Payment"), lambda row: str(PAYMENT_STATUS_LABELS[row.payment_status])),
    Column(_l("Owner"), lambda row: row.owner_name),
    Column(_l("Amount"), lambda row: row.amount_gross, MONEY_FORMAT, width=16),
    Column(_l("Received"), lambda row: row.amount_received, MONEY_FORMAT, width=16),
    Column(_l("Outstanding"), lambda row: row.outstanding, MONEY_FORMAT, width=16),
    Column(_l("Collection rate"), _share, "0.0%"),
]


@bp.route("/contracts/export")
@roles_required(*CONTRACT_ROLES)
def export():
    """The contract list as filtered on the page, within the user's scope, as an .xlsx file."""
    filters = ContractFilters.from_args(request.args)
    today = company_today()

    def fetch(after, size):
        page = list_contracts(current_user, filters, after, today, page_size=size, with_totals=False)
        return page.rows, page.next_cursor

    return xlsx_response(_("Contracts"), CONTRACT_COLUMNS, keyset_rows(fetch))


@bp.route("/payments/")
@roles_required(*CONTRACT_ROLES)
def payments():
    """Payments received (回款) the user may see, filtered, with the total of the whole filter."""
    filters = RecordFilters.from_args(request.args, PAYMENT_METHOD_LABELS)
    page = list_payments(current_user, filters, arg_int("after"))
    context = {"page": page, "filters": filters, "method_labels": PAYMENT_METHOD_LABELS}
    if not wants_fragment(PAYMENT_ROWS_TARGET):
        context["owners"] = owner_filter_choices(current_user)
    return render_page_or_fragment("contracts/payments.html", "contracts/_payment_rows.html", PAYMENT_ROWS_TARGET, **context)


PAYMENT_COLUMNS = [
    Column(_l("Received on"), lambda row: row.received_on, DATE_FORMAT),
    Column(_l("Contract"), lambda row: row.contract_number, width=16),
    Column(_l("Customer"), lambda row: row.customer_name, width=32),
    Column(_l("Method"), lambda row: str(PAYMENT_METHOD_LABELS.get(row.method, row.method))),
    Column(_l("Owner"), lambda row: row.owner_name),
    Column(_l("Amount"), lambda row: row.amount, MONEY_FORMAT, width=16),
    Column(_l("Note"), lambda row: row.note, width=30),
]


@bp.route("/payments/export")
@roles_required(*CONTRACT_ROLES)
def payments_export():
    filters = RecordFilters.from_args(request.args, PAYMENT_METHOD_LABELS)

    def fetch(after, size):
        page = list_payments(current_user, filters, after, page_size=size, with_totals=False)
        return page.rows, page.next_cursor

    return xlsx_response(_("Payments received"), PAYMENT_COLUMNS, keyset_rows(fetch))


@bp.route("/deliveries/")
@roles_required(*CONTRACT_ROLES)
def deliveries():
    """Deliveries the user may see: planned, overdue (flagged) or delivered."""
    filters = RecordFilters.from_args(request.args, DELIVERY_KINDS)
    today = company_today()
    page = list_deliveries(current_user, filters, arg_int("after"), today)
    context = {"page": page, "filters": filters, "kind_labels": DELIVERY_KIND_LABELS, "today": today,
               "delivery_number": delivery_number, "delivery_overdue": delivery_overdue}
    if not wants_fragment(DELIVERY_ROWS_TARGET):
        context["owners"] = owner_filter_choices(current_user)
    return render_page_or_fragment("contracts/deliveries.html", "contracts/_delivery_rows.html", DELIVERY_ROWS_TARGET, **context)


def _delivery_state(row, today):
    if row.delivered_on:
        return str(DELIVERY_KIND_LABELS["delivered"])
    return str(DELIVERY_KIND_LABELS["overdue" if delivery_overdue(row.planned_on, None, today) else "planned"])


@bp.route("/deliveries/export")
@roles_required(*CONTRACT_ROLES)
def deliveries_export():
    filters = RecordFilters.from_args(request.args, DELIVERY_KINDS)
    today = company_today()
    columns = [
        Column(_l("Delivery note"), lambda row: delivery_number(row.contract_number, row.sequence), width=20),
        Column(_l("Customer"), lambda row: row.customer_name, width=32),
        Column(_l("Planned delivery date"), lambda row: row.planned_on, DATE_FORMAT),
        Column(_l("Delivered on"), lambda row: row.delivered_on, DATE_FORMAT),
        Column(_l("State"), lambda row: _delivery_state(row, today)),
        Column(_l("Delivery address"), lambda row: row.address, width=40),
        Column(_l("Receiving contact"), lambda row: row.receiver),
        Column(_l("Receiver's phone"), lambda row: row.receiver_phone, contact=True),
        Column(_l("Owner"), lambda row: row.owner_name),
    ]

    def fetch(after, size):
        page = list_deliveries(current_user, filters, after, today, page_size=size, with_totals=False)
        return page.rows, page.next_cursor

    return xlsx_response(_("Deliveries"), columns, keyset_rows(fetch))


# --- a new contract -----------------------------------------------------------------------------


@bp.route("/contracts/new")
@roles_required(*CONTRACT_ROLES)
def choose_customer():
    """Pick the customer of a new contract from those the user may see."""
    q = request.args.get("q", "").strip()[:100]
    customers = list_customers(current_user, CustomerFilters(q=q), None, page_size=20).rows if q else []
    return render_template("choose_customer.html", q=q, customers=customers, title=_("New contract"),
                           heading=_("New contract: which customer?"), back_endpoint="contracts.index", back_label=_("Contracts"),
                           here_endpoint="contracts.choose_customer", new_endpoint="contracts.new")


def _apply_header(form: ContractForm, contract: Contract) -> None:
    contract.contact_id = form.contact_id.data or None
    contract.signed_on = form.signed_on.data
    contract.tax_rate = form.tax_rate.data
    contract.usage = form.usage.data or ""
    contract.payment_terms = form.payment_terms.data or ""
    contract.delivery_terms = form.delivery_terms.data or ""
    contract.notes = form.notes.data or ""


def _save_new(form: ContractForm, contract: Contract, lines: list, customer: Customer, quote: Quote | None):
    """Number and save a new contract with its lines; the customer becomes 成交 (signed)."""
    _apply_header(form, contract)
    year = contract.signed_on.year
    contract.year = year
    try:
        contract.sequence = take_contract_sequence(year)
        contract.number = contract_number(get_setting("contracts.prefix"), year, contract.sequence)
        db.session.add(contract)
        db.session.flush()
        for line in lines:
            line.contract_id = contract.id
            db.session.add(line)
        _recompute(contract, lines)
        sign_customer(customer, contract.signed_on)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.form_errors.append(_("Someone saved a contract at the same moment, or this quote already has one. Please try again."))
        return render_template("contracts/form.html", form=form, customer=customer, contract=None, quote=quote), 409
    flash(_("Contract %(number)s created.", number=contract.number), "success")
    return _back_to(contract)


def _new_form(customer: Customer, quote: Quote | None) -> ContractForm:
    form = ContractForm(customer=customer)
    if request.method == "GET":
        form.signed_on.data = company_today()
        form.tax_rate.data = quote.tax_rate if quote else get_setting("quotes.tax_rate")
        if quote:
            form.contact_id.data = quote.contact_id or 0
            form.payment_terms.data = quote.payment_terms
            form.delivery_terms.data = quote.delivery_terms
            form.notes.data = quote.notes
    return form


@bp.route("/contracts/new/<int:customer_id>", methods=["GET", "POST"])
@roles_required(*CONTRACT_ROLES)
@exactly_once
def new(customer_id: int):
    """A contract without a quote; its lines are added on the contract page."""
    customer = get_scoped_or_404(Customer, customer_id)
    if customer.archived_at is not None:
        abort(404)
    form = _new_form(customer, None)
    if form.validate_on_submit():
        contract = Contract(customer_id=customer.id, owner_id=customer.owner_id, department_id=customer.department_id)
        return _save_new(form, contract, [], customer, None)
    return render_template("contracts/form.html", form=form, customer=customer, contract=None, quote=None), form_status(form)


@bp.route("/quotes/<int:quote_id>/contract", methods=["GET", "POST"])
@roles_required(*CONTRACT_ROLES)
@exactly_once
def from_quote(quote_id: int):
    """A contract from a won quote: its lines, tax rate and terms are copied; one contract per quote."""
    quote = get_scoped_or_404(Quote, quote_id, options=(joinedload(Quote.customer),))
    if quote.archived_at is not None:
        abort(404)
    existing = db.session.scalar(select(Contract).where(Contract.quote_id == quote.id, Contract.archived_at.is_(None)))
    if existing is not None:
        flash(_("This quote already has contract %(number)s.", number=existing.number), "error")
        return _back_to(existing)
    if quote.status != WON:
        flash(_("Only a won quote becomes a contract."), "error")
        return redirect(url_for("quotes.detail", quote_id=quote.id), 303)
    form = _new_form(quote.customer, quote)
    if form.validate_on_submit():
        contract = Contract(customer_id=quote.customer_id, owner_id=quote.owner_id, department_id=quote.department_id,
                            quote_id=quote.id)
        costs = _unit_costs([line.product_id for line in quote.lines])
        lines = [
            ContractLine(position=line.position, product_id=line.product_id, name=line.name, spec=line.spec,
                         quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
                         discount_percent=line.discount_percent, amount=line.amount, unit_cost=costs.get(line.product_id))
            for line in quote.lines
        ]
        return _save_new(form, contract, lines, quote.customer, quote)
    return render_template("contracts/form.html", form=form, customer=quote.customer, contract=None, quote=quote), form_status(form)


def _unit_costs(product_ids) -> dict:
    """The products' unit costs today, kept on the contract lines so later changes leave them be."""
    from portal.models import Product

    ids = {product_id for product_id in product_ids if product_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(Product.id, Product.unit_cost).where(Product.id.in_(ids))).all())


def _recompute(contract: Contract, lines=None) -> None:
    """The contract's totals from its live lines (the server's figures, never the browser's)."""
    lines = live_lines(contract.id) if lines is None else lines
    contract.amount_net, contract.amount_tax, contract.amount_gross = quote_totals(
        [line.amount for line in lines], contract.tax_rate
    )


# --- one contract -------------------------------------------------------------------------------


def _lines_editable(contract: Contract) -> bool:
    """Lines change only while the contract is in progress and before any money or goods moved."""
    if contract.status != IN_PROGRESS or contract.amount_received > 0:
        return False
    return db.session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.contract_id == contract.id, Delivery.archived_at.is_(None))) == 0


def _contract_context(contract: Contract, line_form=None) -> dict:
    today = company_today()
    lines = live_lines(contract.id)
    instalments = live_instalments(contract.id)
    delivered = delivered_quantities(contract.id)
    deliveries = contract_deliveries(contract.id)
    editable = _lines_editable(contract)
    if editable and line_form is None:
        line_form = LineForm(formdata=None, products=search_products(""))
    status = payment_status(contract.amount_gross, contract.amount_received,
                            amount_due_before([(i.due_on, i.amount) for i in instalments], today))
    blockers = _step_blockers(contract, lines, delivered, deliveries, status)
    return {
        "contract": contract,
        "lines": lines,
        "delivered": delivered,
        "remaining": {line.id: remaining_quantity(line.quantity, delivered.get(line.id, 0)) for line in lines},
        "editable": editable,
        "line_form": line_form,
        "allocations": allocate(instalments, contract.amount_received, today),
        "plan_gap": plan_difference([i.amount for i in instalments], contract.amount_gross) if instalments else None,
        "payments": contract_payments(contract.id),
        "deliveries": deliveries,
        "overdue_deliveries": {d.id for d in deliveries if delivery_overdue(d.planned_on, d.delivered_on, today)},
        "delivery_number": delivery_number,
        "payment_status": status,
        "payment_labels": PAYMENT_STATUS_LABELS,
        "status_labels": CONTRACT_STATUS_LABELS,
        "method_labels": PAYMENT_METHOD_LABELS,
        "outstanding": outstanding(contract.amount_gross, contract.amount_received),
        "share": collected_share(contract.amount_gross, contract.amount_received),
        "is_open": is_open(contract.status),
        "confirm": ConfirmForm(),
        "scan_form": ScanForm(formdata=None),
        "capitals": amount_in_chinese_capitals(contract.amount_gross),
        "blockers": blockers,
        "steps": [target for target, blocker in blockers.items() if blocker is None],
    }


def _step_blockers(contract, lines, delivered, deliveries, status) -> dict:
    """For marking delivered and completed: why not (``rules.contracts.transition_blocker``), or None."""
    all_delivered = (bool(lines) and fully_delivered([(line.quantity, delivered.get(line.id, 0)) for line in lines])
                     and all(delivery.delivered_on for delivery in deliveries))
    return {target: transition_blocker(contract.status, target, all_delivered=all_delivered, paid_in_full=status == PAID)
            for target in (DELIVERED, COMPLETED)}


@bp.route("/contracts/<int:contract_id>")
@login_required
def detail(contract_id: int):
    """A contract: header, lines, payment plan with what each instalment has received, payments,
    deliveries, the scanned contract and the status steps."""
    contract = _contract_or_404(contract_id)
    return render_template("contracts/detail.html", **_contract_context(contract))


@bp.route("/contracts/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contract_id: int):
    """Change the header while the contract is open; the tax rate only while its lines may change."""
    contract = _contract_or_404(contract_id)
    if not is_open(contract.status):
        return _refuse(_("A completed or cancelled contract cannot be changed."), contract)
    form = ContractForm(obj=contract, customer=contract.customer)
    if request.method == "GET":
        form.contact_id.data = contract.contact_id or 0
    ready, conflict = submit_versioned(form, contract)
    if ready:
        if form.tax_rate.data != contract.tax_rate and not _lines_editable(contract):
            form.tax_rate.errors.append(_("The tax rate cannot change once money was received or goods delivered."))
        elif form.signed_on.data.year != contract.year:
            form.signed_on.errors.append(_("The signing date must stay in %(year)d, the year of the contract's number.", year=contract.year))
        else:
            _apply_header(form, contract)
            _recompute(contract)
            db.session.commit()
            flash(_("Contract %(number)s saved.", number=contract.number), "success")
            return _back_to(contract)
    return render_template("contracts/form.html", form=form, customer=contract.customer, contract=contract,
                           quote=None, conflict=conflict), edit_status(form, conflict)


def _lines_response(contract: Contract, status: int = 200, **context):
    return render_page_or_fragment("contracts/detail.html", "contracts/_lines.html", LINES_TARGET, status,
                                   **_contract_context(contract, **context))


def _saved_lines(contract: Contract, message: str, **context):
    _recompute(contract)
    db.session.commit()
    if wants_fragment(LINES_TARGET):
        return _lines_response(contract, **context)
    flash(message, "success")
    return _back_to(contract, "#contract-lines")


@bp.post("/contracts/<int:contract_id>/lines")
@login_required
@exactly_once
def line_add(contract_id: int):
    """Add a model bought; the totals are recomputed on the server."""
    contract = _contract_or_404(contract_id)
    if not _lines_editable(contract):
        return _refuse(_("The lines cannot change once money was received or goods delivered."), contract)
    form = LineForm(products=search_products(""))
    if not form.validate_on_submit():
        return _lines_response(contract, 422, line_form=form)
    position = db.session.scalar(select(func.coalesce(func.max(ContractLine.position), 0)).where(ContractLine.contract_id == contract.id))
    line = ContractLine(contract_id=contract.id, position=position + 1)
    form.apply_to(line)
    line.unit_cost = form.product.unit_cost if form.product else None  # the cost of the day, kept for margins
    db.session.add(line)
    db.session.flush()
    return _saved_lines(contract, _("Line added."), line_form=form.empty_copy())


@bp.route("/contracts/<int:contract_id>/lines/<int:line_id>/remove", methods=["GET", "POST"])
@login_required
def line_remove(contract_id: int, line_id: int):
    """Remove a line (kept archived in the history) after confirmation."""
    contract = _contract_or_404(contract_id)
    line = db.session.get(ContractLine, line_id)
    if line is None or line.contract_id != contract.id or line.archived_at is not None:
        abort(404)
    if not _lines_editable(contract):
        return _refuse(_("The lines cannot change once money was received or goods delivered."), contract)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("contracts/confirm_remove_line.html", contract=contract, line=line, form=form)
    line.archived_at = utcnow()
    db.session.flush()
    return _saved_lines(contract, _("Line removed."))


@bp.route("/contracts/<int:contract_id>/archive", methods=["GET", "POST"])
@login_required
def archive(contract_id: int):
    """Archive a contract entered by mistake: only while nothing was received or delivered."""
    contract = _contract_or_404(contract_id)
    if not _lines_editable(contract):
        return _refuse(_("A contract with payments or deliveries stays; cancel it instead."), contract)
    return archive_after_confirmation(
        contract, done_message=_("Contract %(number)s archived.", number=contract.number),
        then=url_for("contracts.index"), back=url_for("contracts.detail", contract_id=contract.id),
    )


# --- status steps -------------------------------------------------------------------------------

BLOCKER_MESSAGES = {
    "not_allowed": _l("This step is not allowed from the contract's current status."),
    "not_delivered": _l("Every line must be delivered in full before the contract is marked delivered."),
    "not_paid": _l("The contract must be paid in full before it is completed."),
}


@bp.post("/contracts/<int:contract_id>/status")
@login_required
def change_status(contract_id: int):
    """Mark delivered or completed, when the rules allow (``rules.contracts.transition_blocker``)."""
    contract = _contract_or_404(contract_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = request.form.get("to", "")
    if target not in (DELIVERED, COMPLETED):
        return _refuse(str(BLOCKER_MESSAGES["not_allowed"]), contract)
    blocker = _contract_context(contract)["blockers"][target]
    if blocker:
        return _refuse(str(BLOCKER_MESSAGES[blocker]), contract)
    contract.status = target
    db.session.commit()
    flash(_("Contract %(number)s is now %(status)s.", number=contract.number, status=CONTRACT_STATUS_LABELS[target]), "success")
    return _back_to(contract)


@bp.route("/contracts/<int:contract_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(contract_id: int):
    """Cancel a contract in progress or delivered, with the reason."""
    contract = _contract_or_404(contract_id)
    if transition_blocker(contract.status, CANCELLED, all_delivered=True, paid_in_full=True):
        return _refuse(str(BLOCKER_MESSAGES["not_allowed"]), contract)
    form = CancelForm()
    if form.validate_on_submit():
        contract.status = CANCELLED
        contract.cancel_reason = form.reason.data
        db.session.commit()
        flash(_("Contract %(number)s cancelled.", number=contract.number), "success")
        return _back_to(contract)
    return render_template("contracts/cancel.html", contract=contract, form=form), form_status(form)


# --- payment plan and payments ------------------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/plan", methods=["GET", "POST"])
@login_required
@exactly_once
def plan(contract_id: int):
    """The payment plan: instalments whose amounts add up to the contract total exactly."""
    contract = _contract_or_404(contract_id)
    if not is_open(contract.status):
        return _refuse(_("A completed or cancelled contract's plan cannot change."), contract)
    current = live_instalments(contract.id)
    form = PlanForm()
    if request.method == "GET":
        rows = [{"due_on": i.due_on, "amount": i.amount} for i in current] or [
            {"due_on": contract.signed_on, "amount": contract.amount_gross}
        ]
        form = PlanForm(formdata=None, data={"instalments": rows + [{}, {}]})
    elif form.validate_on_submit():
        rows = form.filled_rows()
        gap = plan_difference([row.amount.data for row in rows], contract.amount_gross)
        if not rows:
            form.form_errors.append(_("Enter at least one instalment."))
        elif gap != 0:
            form.form_errors.append(_(
                "The instalments add up to %(sum)s, but the contract total is %(total)s (difference %(gap)s).",
                sum=f"{contract.amount_gross - gap:,.2f}", total=f"{contract.amount_gross:,.2f}", gap=f"{gap:,.2f}",
            ))
        else:
            now = utcnow()
            for instalment in current:
                instalment.archived_at = now
            for position, row in enumerate(sorted(rows, key=lambda r: r.due_on.data), start=1):
                db.session.add(Instalment(contract_id=contract.id, position=position, due_on=row.due_on.data, amount=row.amount.data))
            db.session.commit()
            flash(_("Payment plan saved."), "success")
            return _back_to(contract, "#payments")
    return render_template("contracts/plan.html", contract=contract, form=form), form_status(form)


@bp.route("/contracts/<int:contract_id>/payments/new", methods=["GET", "POST"])
@login_required
@exactly_once
def payment_new(contract_id: int):
    """Record money received; it cannot exceed what is outstanding."""
    contract = _contract_or_404(contract_id)
    if contract.status == CANCELLED:
        return _refuse(_("A cancelled contract takes no payments."), contract)
    due = outstanding(contract.amount_gross, contract.amount_received)
    form = PaymentForm()
    if request.method == "GET":
        form.received_on.data = company_today()
        form.amount.data = due
        form.method.data = "transfer"
    if form.validate_on_submit():
        # Re-read the amount received under the write that raises it, so two payments recorded at
        # once cannot both pass the check.
        received = db.session.scalar(
            select(Contract.amount_received).where(Contract.id == contract.id).with_for_update()
        )
        due = outstanding(contract.amount_gross, received)
        if form.amount.data > due:
            form.amount.errors.append(_("The amount is more than the outstanding %(due)s.", due=f"{due:,.2f}"))
        else:
            db.session.add(Payment(
                contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                department_id=contract.department_id, received_on=form.received_on.data, amount=form.amount.data,
                method=form.method.data, note=form.note.data or "", recorded_by_id=current_user.id,
            ))
            contract.amount_received = received + form.amount.data
            db.session.commit()
            flash(_("Payment of %(amount)s recorded.", amount=f"{form.amount.data:,.2f}"), "success")
            return _back_to(contract, "#payments")
    return render_template("contracts/payment_form.html", contract=contract, form=form, due=due), form_status(form)


@bp.route("/contracts/<int:contract_id>/payments/<int:payment_id>/archive", methods=["GET", "POST"])
@login_required
def payment_archive(contract_id: int, payment_id: int):
    """Take back a payment recorded by mistake (kept archived in the history)."""
    contract = _contract_or_404(contract_id)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.contract_id != contract.id or payment.archived_at is not None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        payment.archived_at = utcnow()
        contract.amount_received = contract.amount_received - payment.amount
        db.session.commit()
        flash(_("Payment taken back."), "success")
        return _back_to(contract, "#payments")
    return render_template("admin/confirm_archive.html", record=payment, members=0, form=form, action=request.path,
                           back=url_for("contracts.detail", contract_id=contract.id))


# --- deliveries ---------------------------------------------------------------------------------


@bp.route("/contracts/<int:contract_id>/deliveries/new", methods=["GET", "POST"])
@login_required
@exactly_once
def delivery_new(contract_id: int):
    """Plan a delivery: date, address, receiver and the quantities, none beyond what remains."""
    contract = _contract_or_404(contract_id)
    if contract.status != IN_PROGRESS:
        return _refuse(_("Deliveries are planned only while the contract is in progress."), contract)
    lines = live_lines(contract.id)
    delivered = delivered_quantities(contract.id)
    remaining = {line.id: remaining_quantity(line.quantity, delivered.get(line.id, 0)) for line in lines}
    open_lines = [line for line in lines if remaining[line.id] > 0]
    if not open_lines:
        return _refuse(_("Everything on this contract is already on a delivery."), contract)
    form = delivery_form_for(open_lines, known_addresses(contract.customer))
    if request.method == "GET":
        form.planned_on.data = company_today()
        form.address_choice.data = 1 if form.addresses else 0
        contact = contract.contact
        form.receiver.data = contact.name if contact else ""
        form.receiver_phone.data = (contact.mobile or contact.phone) if contact else ""
        for line in open_lines:
            form.quantity_field(line).data = remaining[line.id]
    if form.validate_on_submit():
        quantities = {line.id: form.quantity_field(line).data or Decimal("0") for line in open_lines}
        problems = False
        if form.planned_on.data < contract.signed_on:
            form.planned_on.errors.append(_("A delivery cannot be before the contract was signed (%(date)s).", date=contract.signed_on.isoformat()))
            problems = True
        for line in open_lines:
            if quantities[line.id] > remaining[line.id]:
                form.quantity_field(line).errors.append(_("Only %(left)s remain to deliver.", left=f"{remaining[line.id].normalize():f}"))
                problems = True
        if not any(quantities.values()):
            form.form_errors.append(_("Enter the quantity of at least one line."))
            problems = True
        if not problems:
            sequence = db.session.scalar(select(func.coalesce(func.max(Delivery.sequence), 0)).where(Delivery.contract_id == contract.id)) + 1
            delivery = Delivery(
                contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                department_id=contract.department_id, sequence=sequence, planned_on=form.planned_on.data,
                address=form.address, receiver=form.receiver.data or "", receiver_phone=form.receiver_phone.data or "",
                notes=form.notes.data or "",
            )
            db.session.add(delivery)
            db.session.flush()
            for line in open_lines:
                if quantities[line.id] > 0:
                    db.session.add(DeliveryLine(delivery_id=delivery.id, contract_line_id=line.id, quantity=quantities[line.id]))
            db.session.commit()
            flash(_("Delivery %(number)s planned.", number=delivery_number(contract.number, sequence)), "success")
            return _back_to(contract, "#deliveries")
    return render_template("contracts/delivery_form.html", contract=contract, form=form, lines=open_lines,
                           remaining=remaining), form_status(form)


@bp.route("/contracts/<int:contract_id>/deliveries/<int:delivery_id>/delivered", methods=["GET", "POST"])
@login_required
def delivery_done(contract_id: int, delivery_id: int):
    """Record the day a delivery arrived (not before the contract was signed, not in the future)."""
    contract = _contract_or_404(contract_id)
    delivery = _delivery_or_404(contract, delivery_id)
    if delivery.delivered_on is not None or contract.status == CANCELLED:
        return _refuse(_("This delivery is already recorded as delivered."), contract) if delivery.delivered_on else _refuse(
            _("A cancelled contract's deliveries cannot change."), contract)
    form = DeliveredForm()
    if request.method == "GET":
        form.delivered_on.data = company_today()
    if form.validate_on_submit():
        if form.delivered_on.data < contract.signed_on:
            form.delivered_on.errors.append(_("A delivery cannot be before the contract was signed (%(date)s).", date=contract.signed_on.isoformat()))
        else:
            delivery.delivered_on = form.delivered_on.data
            db.session.commit()
            flash(_("Delivery %(number)s recorded as delivered.", number=delivery_number(contract.number, delivery.sequence)), "success")
            return _back_to(contract, "#deliveries")
    return render_template("contracts/delivered.html", contract=contract, delivery=delivery, form=form,
                           number=delivery_number(contract.number, delivery.sequence)), form_status(form)


@bp.route("/contracts/<int:contract_id>/deliveries/<int:delivery_id>/note")
@login_required
def delivery_note(contract_id: int, delivery_id: int):
    """The delivery note (送货单) for the warehouse: A4, products and quantities, no prices."""
    contract = _contract_or_404(contract_id)
    delivery = _delivery_or_404(contract, delivery_id)
    return render_template("contracts/delivery_note.html", contract=contract, delivery=delivery, company=company_details(),
                           number=delivery_number(contract.number, delivery.sequence))


@bp.route("/contracts/<int:contract_id>/deliveries/<int:delivery_id>/pdf")
@login_required
def delivery_pdf(contract_id: int, delivery_id: int):
    contract = _contract_or_404(contract_id)
    delivery = _delivery_or_404(contract, delivery_id)
    number = delivery_number(contract.number, delivery.sequence)
    return pdf_response(delivery_note_pdf(contract, delivery, number, company_details()), f"{number} {contract.customer.name}.pdf")


# --- the contract document (销售合同) ------------------------------------------------------------


def _document_context(contract: Contract) -> dict:
    """What the printed contract shows: the letterhead, both parties, lines and totals with 大写,
    the payment plan, where the goods go, and the terms from the settings."""
    deliveries = contract_deliveries(contract.id)
    addresses = list(dict.fromkeys(delivery.address for delivery in deliveries if delivery.address))
    return {
        "contract": contract,
        "company": company_details(),
        "lines": live_lines(contract.id),
        "instalments": live_instalments(contract.id),
        "delivery_addresses": addresses or ([contract.customer.address] if contract.customer.address else []),
        "capitals": amount_in_chinese_capitals(contract.amount_gross),
        "terms": get_setting("contract.terms"),
        "buyer_contact": contact_line(contract.contact),
    }


@bp.route("/contracts/<int:contract_id>/document")
@login_required
def document(contract_id: int):
    """The contract as a printable A4 document (销售合同), to whoever may see the contract."""
    contract = _contract_or_404(contract_id)
    return render_template("contracts/document.html", **_document_context(contract))


@bp.route("/contracts/<int:contract_id>/document/pdf")
@login_required
def document_pdf(contract_id: int):
    """The contract document as a PDF with its Chinese text embedded."""
    contract = _contract_or_404(contract_id)
    return pdf_response(contract_pdf(**_document_context(contract)), f"{contract.number} {contract.customer.name}.pdf")


# --- the scanned contract -----------------------------------------------------------------------

UPLOAD_MESSAGES = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than %(limit)d MB."),
    "wrong_type": _l("Only a PDF or an image (JPEG, PNG) can be uploaded; this file is neither."),
}


@bp.post("/contracts/<int:contract_id>/scan")
@login_required
def scan_upload(contract_id: int):
    """Attach the scanned contract; its type is checked by content. A replaced file is removed once
    the new one is saved (the history keeps its name, size and who replaced it), so every file
    under the uploads folder belongs to a contract."""
    contract = _contract_or_404(contract_id)
    form = ScanForm()
    if not form.validate_on_submit():
        for error in form.scan.errors or [_("The form expired. Please try again.")]:
            flash(str(error), "error")
        return _back_to(contract, "#scan")
    limit_mb = get_setting("contracts.scan_max_mb")
    try:
        stored = store_upload(form.scan.data, SCANS, limit_mb * 1024 * 1024)
    except UploadError as error:
        flash(str(UPLOAD_MESSAGES[str(error)]) % {"limit": limit_mb}, "error")
        return _back_to(contract, "#scan")
    replaced = contract.scan_file
    contract.scan_file, contract.scan_name = stored.stored_name, stored.original_name
    contract.scan_type, contract.scan_size = stored.mime_type, stored.size
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        remove_upload(SCANS, stored.stored_name)
        raise
    remove_upload(SCANS, replaced)
    flash(_("Scanned contract uploaded."), "success")
    return _back_to(contract, "#scan")


@bp.route("/contracts/<int:contract_id>/scan")
@login_required
def scan(contract_id: int):
    """The scanned contract, only to users who may see the contract, always as a download."""
    contract = _contract_or_404(contract_id)
    if not contract.scan_file:
        abort(404)
    return send_upload(SCANS, contract.scan_file, contract.scan_name or f"{contract.number}", contract.scan_type)
