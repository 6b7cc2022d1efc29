"""Quote views: the list, a quote with its lines, send, revise, won and lost, print; the catalogue
and the competitors list."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.access import get_scoped_or_404, login_required, roles_required
from portal.archiving import archive_after_confirmation
from portal.blueprints.customers.queries import CustomerFilters, list_customers, owner_filter_choices
from portal.blueprints.quotes.pdf import quote_pdf
from portal.blueprints.quotes.forms import CompetitorForm, LineForm, LostForm, ProductForm, QuoteForm, WonForm
from portal.blueprints.quotes.queries import (
    QuoteFilters,
    active_competitors,
    competitor_for,
    list_quotes,
    search_products,
    sign_customer,
    take_quote_sequence,
)
from portal.company_settings import company_details, get_setting
from portal.concurrency import edit_status, submit_versioned
from portal.database import utcnow
from portal.extensions import db
from portal.exporting import DATE_FORMAT, MONEY_FORMAT, Column, keyset_rows, xlsx_response
from portal.forms import ConfirmForm, arg_int, bounded_int
from portal.labels import translated
from portal.lookups import ensure_default_entries
from portal.models import (
    LOST_REASON,
    QUOTE_STATUS_LABELS,
    Competitor,
    Customer,
    LostOrder,
    Product,
    Quote,
    QuoteLine,
    Role,
)
from portal.panels import panels_for
from portal.printing import pdf_response
from portal.rendering import form_status, render_page_or_fragment, wants_fragment
from portal.rules.followups import company_today
from portal.rules.money import amount_in_chinese_capitals
from portal.rules.quotes import (
    DRAFT,
    LOST,
    SENT,
    WON,
    can_decide,
    can_edit,
    can_revise,
    can_send,
    effective_status,
    quote_number,
    quote_totals,
)
from portal.submissions import exactly_once

from portal.blueprints.quotes import bp

QUOTE_ROLES = (Role.SALES.value, Role.HEAD.value, Role.ADMIN.value)
CATALOGUE_EDITORS = (Role.HEAD.value, Role.ADMIN.value)
ROWS_TARGET = "quote-rows"
LINES_TARGET = "quote-lines"


# --- loading ------------------------------------------------------------------------------------


def _quote_or_404(quote_id: int) -> Quote:
    quote = get_scoped_or_404(Quote, quote_id, options=(joinedload(Quote.customer), joinedload(Quote.owner)))
    if quote.archived_at is not None:
        abort(404)
    return quote


def _line_or_404(quote: Quote, line_id: int) -> QuoteLine:
    line = db.session.get(QuoteLine, line_id)
    if line is None or line.quote_id != quote.id or line.archived_at is not None:
        abort(404)
    return line


def _refuse(message: str, quote: Quote):
    """A step the quote's status does not allow: say why on the quote page (409)."""
    flash(message, "error")
    return redirect(url_for("quotes.detail", quote_id=quote.id), 303)


def _may_see_costs() -> bool:
    return current_user.role in (Role.HEAD, Role.ADMIN)


# --- the list -----------------------------------------------------------------------------------


@bp.route("/quotes/")
@roles_required(*QUOTE_ROLES)
def index():
    """The newest revision of each quote the user may see, filtered, with the count and total."""
    filters = QuoteFilters.from_args(request.args)
    today = company_today()
    page = list_quotes(current_user, filters, arg_int("after"), today)
    # Labels looked up once for the page, not once per row.
    context = {"page": page, "filters": filters, "status_labels": translated(QUOTE_STATUS_LABELS), "today": today,
               "effective_status": effective_status}
    if not wants_fragment(ROWS_TARGET):
        context["owners"] = owner_filter_choices(current_user)
        context["products"] = search_products("", include_inactive=True)
    response = render_page_or_fragment("quotes/index.html", "quotes/_rows.html", ROWS_TARGET, **context)
    if wants_fragment(ROWS_TARGET):
        response.headers["HX-Push-Url"] = url_for("quotes.index", **filters.as_args())
    return response


EXPORT_COLUMNS = [
    Column(_l("Number"), lambda row: row.number, width=18),
    Column(_l("Customer"), lambda row: row.customer_name, width=32),
    Column(_l("Date"), lambda row: row.quote_date, DATE_FORMAT),
    Column(_l("Valid until"), lambda row: row.valid_until, DATE_FORMAT),
    Column(_l("Status"), lambda row: str(QUOTE_STATUS_LABELS[effective_status(row.status, row.valid_until, company_today())])),
    Column(_l("Owner"), lambda row: row.owner_name),
    Column(_l("Amount with tax"), lambda row: row.amount_gross, MONEY_FORMAT, width=16),
]


@bp.route("/quotes/export")
@roles_required(*QUOTE_ROLES)
def export():
    """The quote list as filtered on the page, within the user's scope, as an .xlsx file."""
    filters = QuoteFilters.from_args(request.args)
    today = company_today()

    def fetch(after, size):
        page = list_quotes(current_user, filters, after, today, page_size=size, with_totals=False)
        return page.rows, page.next_cursor

    return xlsx_response(_("Quotes"), EXPORT_COLUMNS, keyset_rows(fetch))


# --- a new quote --------------------------------------------------------------------------------


@bp.route("/quotes/new")
@roles_required(*QUOTE_ROLES)
def choose_customer():
    """Pick the customer of a new quote from those the user may see (search by name or phone)."""
    q = request.args.get("q", "").strip()[:100]
    customers = list_customers(current_user, CustomerFilters(q=q), None, page_size=20).rows if q else []
    return render_template("choose_customer.html", q=q, customers=customers, title=_("New quote"),
                           heading=_("New quote: which customer?"), back_endpoint="quotes.index", back_label=_("Quotes"),
                           here_endpoint="quotes.choose_customer", new_endpoint="quotes.new")


@bp.route("/quotes/new/<int:customer_id>", methods=["GET", "POST"])
@roles_required(*QUOTE_ROLES)
@exactly_once
def new(customer_id: int):
    """A draft quote for a customer in the user's scope; its number is taken when it is saved."""
    customer = get_scoped_or_404(Customer, customer_id)
    if customer.archived_at is not None:
        abort(404)
    form = QuoteForm(customer=customer)
    if request.method == "GET":
        today = company_today()
        form.quote_date.data = today
        form.valid_until.data = today + timedelta(days=get_setting("quotes.valid_days"))
        form.tax_rate.data = get_setting("quotes.tax_rate")
    if form.validate_on_submit():
        year = form.quote_date.data.year
        quote = Quote(customer=customer, owner_id=customer.owner_id, department_id=customer.department_id, year=year)
        _apply_header(form, quote)
        try:
            quote.sequence = take_quote_sequence(year)
            quote.number = quote_number(get_setting("quotes.prefix"), year, quote.sequence)
            db.session.add(quote)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.form_errors.append(_("Someone saved a quote at the same moment. Please save again."))
            return render_template("quotes/form.html", form=form, customer=customer, quote=None), 409
        flash(_("Quote %(number)s created. Add its lines.", number=quote.number), "success")
        return redirect(url_for("quotes.detail", quote_id=quote.id), 303)
    return render_template("quotes/form.html", form=form, customer=customer, quote=None), form_status(form)


def _apply_header(form: QuoteForm, quote: Quote) -> None:
    quote.contact_id = form.contact_id.data or None
    quote.quote_date = form.quote_date.data
    quote.valid_until = form.valid_until.data
    quote.tax_rate = form.tax_rate.data
    quote.delivery_terms = form.delivery_terms.data or ""
    quote.payment_terms = form.payment_terms.data or ""
    quote.notes = form.notes.data or ""
    _recompute(quote)


# --- one quote ----------------------------------------------------------------------------------


def _live_lines(quote: Quote) -> list[QuoteLine]:
    stmt = select(QuoteLine).where(QuoteLine.quote_id == quote.id, QuoteLine.archived_at.is_(None))
    return list(db.session.scalars(stmt.order_by(QuoteLine.position, QuoteLine.id)))


def _recompute(quote: Quote, lines=None) -> None:
    """The quote's totals from its live lines (the server's figures, never the browser's)."""
    lines = _live_lines(quote) if lines is None and quote.id else (lines or [])
    quote.amount_net, quote.amount_tax, quote.amount_gross = quote_totals([line.amount for line in lines], quote.tax_rate)


def _revisions(quote: Quote) -> list[Quote]:
    stmt = select(Quote).where(Quote.year == quote.year, Quote.sequence == quote.sequence).order_by(Quote.revision)
    return list(db.session.scalars(stmt))


def _quote_context(quote: Quote, line_form=None, editing=None, edit_form=None) -> dict:
    today = company_today()
    lines = _live_lines(quote)
    shown_status = effective_status(quote.status, quote.valid_until, today)
    editable = can_edit(quote.status) and quote.is_latest
    if editable and line_form is None:
        line_form = LineForm(formdata=None, products=search_products(""))
    return {
        "quote": quote,
        "lines": lines,
        "quote_status": shown_status,
        "status_labels": QUOTE_STATUS_LABELS,
        "editable": editable,
        "line_form": line_form,
        "editing": editing,
        "edit_form": edit_form,
        "may_send": can_send(quote.status, quote.valid_until, today, len(lines)),
        "may_revise": can_revise(quote.status, quote.is_latest),
        "may_decide": can_decide(quote.status, quote.is_latest),
        "revisions": _revisions(quote),
        "lost_order": db.session.scalar(select(LostOrder).where(LostOrder.quote_id == quote.id)),
        "confirm": ConfirmForm(),
        "capitals": amount_in_chinese_capitals(quote.amount_gross),
        # Other areas' sections (the contract made from a won quote).
        "panels": panels_for("quote", quote, current_user),
    }


@bp.route("/quotes/<int:quote_id>")
@login_required
def detail(quote_id: int):
    """A quote: header, lines with totals (edited inline while a draft), status steps, revisions."""
    quote = _quote_or_404(quote_id)
    return render_template("quotes/detail.html", **_quote_context(quote))


@bp.route("/quotes/<int:quote_id>/edit", methods=["GET", "POST"])
@login_required
def edit(quote_id: int):
    """Change a draft's header; a sent quote is changed through a new revision instead."""
    quote = _quote_or_404(quote_id)
    if not (can_edit(quote.status) and quote.is_latest):
        return _refuse(_("Only a draft can be changed. Revise a sent quote to change it."), quote)
    form = QuoteForm(obj=quote, customer=quote.customer)
    if request.method == "GET":
        form.contact_id.data = quote.contact_id or 0
    ready, conflict = submit_versioned(form, quote)
    if ready:
        _apply_header(form, quote)
        db.session.commit()
        flash(_("Quote %(number)s saved.", number=quote.number), "success")
        return redirect(url_for("quotes.detail", quote_id=quote.id), 303)
    return render_template("quotes/form.html", form=form, customer=quote.customer, quote=quote, conflict=conflict), edit_status(form, conflict)


def _lines_response(quote: Quote, status: int = 200, **context):
    # The steps above the lines follow too (a first line makes a draft sendable).
    return render_page_or_fragment(
        "quotes/detail.html", "quotes/_lines.html", LINES_TARGET, status,
        oob_actions=wants_fragment(LINES_TARGET), **_quote_context(quote, **context),
    )


def _saved_lines(quote: Quote, message: str, **context):
    _recompute(quote)
    db.session.commit()
    if wants_fragment(LINES_TARGET):
        return _lines_response(quote, **context)
    flash(message, "success")
    return redirect(url_for("quotes.detail", quote_id=quote.id) + "#quote-lines", 303)


@bp.post("/quotes/<int:quote_id>/lines")
@login_required
@exactly_once
def line_add(quote_id: int):
    """Add a line; the totals are recomputed on the server. An inactive product is refused."""
    quote = _quote_or_404(quote_id)
    if not (can_edit(quote.status) and quote.is_latest):
        return _refuse(_("Only a draft can be changed. Revise a sent quote to change it."), quote)
    form = LineForm(products=search_products(""))
    if not form.validate_on_submit():
        return _lines_response(quote, 422, line_form=form)
    position = db.session.scalar(select(func.coalesce(func.max(QuoteLine.position), 0)).where(QuoteLine.quote_id == quote.id))
    line = QuoteLine(quote_id=quote.id, position=position + 1)
    form.apply_to(line)
    db.session.add(line)
    db.session.flush()
    return _saved_lines(quote, _("Line added."), line_form=form.empty_copy())


@bp.route("/quotes/<int:quote_id>/lines/<int:line_id>/edit", methods=["GET", "POST"])
@login_required
def line_edit(quote_id: int, line_id: int):
    """Change one line in place (the row becomes a form); the totals follow."""
    quote = _quote_or_404(quote_id)
    line = _line_or_404(quote, line_id)
    if not (can_edit(quote.status) and quote.is_latest):
        return _refuse(_("Only a draft can be changed. Revise a sent quote to change it."), quote)
    # The line's own product stays choosable even if it was deactivated since.
    form = LineForm(obj=line, products=search_products(""), keep_product=line.product)
    if request.method == "GET":
        form.product_id.data = line.product_id or 0
        return _lines_response(quote, editing=line, edit_form=form)
    if not form.validate_on_submit():
        return _lines_response(quote, 422, editing=line, edit_form=form)
    form.apply_to(line)
    return _saved_lines(quote, _("Line saved."))


@bp.route("/quotes/<int:quote_id>/lines/<int:line_id>/remove", methods=["GET", "POST"])
@login_required
def line_remove(quote_id: int, line_id: int):
    """Remove a line from a draft (kept archived in the history) after confirmation."""
    quote = _quote_or_404(quote_id)
    line = _line_or_404(quote, line_id)
    if not (can_edit(quote.status) and quote.is_latest):
        return _refuse(_("Only a draft can be changed. Revise a sent quote to change it."), quote)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("quotes/confirm_remove_line.html", quote=quote, line=line, form=form)
    line.archived_at = utcnow()
    db.session.flush()
    return _saved_lines(quote, _("Line removed."))


@bp.route("/quotes/<int:quote_id>/archive", methods=["GET", "POST"])
@login_required
def archive(quote_id: int):
    """Archive a draft made by mistake (an administrator can restore it); a sent quote is history
    and stays."""
    quote = _quote_or_404(quote_id)
    if quote.status != DRAFT:
        return _refuse(_("Only a draft can be archived; a sent quote stays in the history."), quote)
    return archive_after_confirmation(
        quote,
        done_message=_("Quote %(number)s archived.", number=quote.number),
        then=url_for("quotes.index"),
        back=url_for("quotes.detail", quote_id=quote.id),
    )


# --- status steps -------------------------------------------------------------------------------


@bp.post("/quotes/<int:quote_id>/send")
@login_required
def send(quote_id: int):
    """Mark a draft with lines as sent to the customer; from now on it changes by revision."""
    quote = _quote_or_404(quote_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not can_send(quote.status, quote.valid_until, company_today(), len(_live_lines(quote))):
        return _refuse(_("Only an unexpired draft with at least one line can be sent."), quote)
    quote.status = SENT
    quote.sent_at = utcnow()
    db.session.commit()
    flash(_("Quote %(number)s marked as sent.", number=quote.number), "success")
    return redirect(url_for("quotes.detail", quote_id=quote.id), 303)


@bp.post("/quotes/<int:quote_id>/revise")
@login_required
@exactly_once
def revise(quote_id: int):
    """A new draft revision of a sent quote (same number, -R<n>); the sent one stays readable."""
    quote = _quote_or_404(quote_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not can_revise(quote.status, quote.is_latest):
        return _refuse(_("Only the newest revision of a sent quote can be revised."), quote)
    today = company_today()
    revision = Quote(
        year=quote.year, sequence=quote.sequence, revision=quote.revision + 1, previous_id=quote.id,
        number=quote_number(get_setting("quotes.prefix"), quote.year, quote.sequence, quote.revision + 1),
        customer_id=quote.customer_id, contact_id=quote.contact_id, owner_id=quote.owner_id,
        department_id=quote.department_id, quote_date=today,
        valid_until=max(quote.valid_until, today + timedelta(days=get_setting("quotes.valid_days"))),
        tax_rate=quote.tax_rate, delivery_terms=quote.delivery_terms, payment_terms=quote.payment_terms,
        notes=quote.notes, status=DRAFT,
    )
    lines = [
        QuoteLine(position=line.position, product_id=line.product_id, name=line.name, spec=line.spec,
                  quantity=line.quantity, unit=line.unit, unit_price=line.unit_price,
                  discount_percent=line.discount_percent, amount=line.amount)
        for line in _live_lines(quote)
    ]
    quote.is_latest = False
    db.session.add(revision)
    db.session.flush()
    for line in lines:
        line.quote_id = revision.id
        db.session.add(line)
    _recompute(revision, lines)
    db.session.commit()
    flash(_("Revision %(number)s created as a draft.", number=revision.number), "success")
    return redirect(url_for("quotes.detail", quote_id=revision.id), 303)


@bp.route("/quotes/<int:quote_id>/won", methods=["GET", "POST"])
@login_required
def won(quote_id: int):
    """Record the quote as won: the won date, and the customer becomes 成交 (signed)."""
    quote = _quote_or_404(quote_id)
    if not can_decide(quote.status, quote.is_latest):
        return _refuse(_("Only the newest revision of a sent quote can be won or lost."), quote)
    form = WonForm()
    if request.method == "GET":
        form.decided_on.data = company_today()
    if form.validate_on_submit():
        quote.status = WON
        quote.decided_on = form.decided_on.data
        sign_customer(quote.customer, quote.decided_on)
        db.session.commit()
        flash(_("Quote %(number)s won.", number=quote.number), "success")
        return redirect(url_for("quotes.detail", quote_id=quote.id), 303)
    return render_template("quotes/won.html", quote=quote, form=form), form_status(form)


@bp.route("/quotes/<int:quote_id>/lost", methods=["GET", "POST"])
@login_required
def lost(quote_id: int):
    """Record the quote as lost with the reason and the competitor that won, in one step; this
    creates the lost-order record the analysis reads."""
    quote = _quote_or_404(quote_id)
    if not can_decide(quote.status, quote.is_latest):
        return _refuse(_("Only the newest revision of a sent quote can be won or lost."), quote)
    if ensure_default_entries(LOST_REASON):
        db.session.commit()
    form = LostForm(competitors=active_competitors())
    if request.method == "GET":
        form.lost_on.data = company_today()
    if form.validate_on_submit():
        quote.status = LOST
        quote.decided_on = form.lost_on.data
        db.session.add(
            LostOrder(
                customer_id=quote.customer_id, quote_id=quote.id, owner_id=quote.owner_id,
                department_id=quote.department_id, lost_on=form.lost_on.data, reason_id=form.reason_id.data,
                competitor=competitor_for(form), competitor_model=form.competitor_model.data or "",
                competitor_price=form.competitor_price.data, amount=quote.amount_gross,
                details=form.details.data or "",
            )
        )
        db.session.commit()
        flash(_("Quote %(number)s recorded as lost.", number=quote.number), "success")
        return redirect(url_for("quotes.detail", quote_id=quote.id), 303)
    return render_template("quotes/lost.html", quote=quote, form=form), form_status(form)


@bp.route("/quotes/<int:quote_id>/print")
@login_required
def print_view(quote_id: int):
    """The A4 print view: company details, customer, lines, totals in figures and 大写, terms."""
    quote = _quote_or_404(quote_id)
    return render_template(
        "quotes/print.html", quote=quote, lines=_live_lines(quote),
        capitals=amount_in_chinese_capitals(quote.amount_gross), company=company_details(),
    )


@bp.route("/quotes/<int:quote_id>/pdf")
@login_required
def pdf(quote_id: int):
    """The quote as a PDF with its Chinese text embedded (prints the same on any machine)."""
    quote = _quote_or_404(quote_id)
    data = quote_pdf(quote, _live_lines(quote), company_details(), amount_in_chinese_capitals(quote.amount_gross))
    return pdf_response(data, f"{quote.number} {quote.customer.name}.pdf")


# --- the catalogue ------------------------------------------------------------------------------


@bp.route("/products/")
@login_required
def products():
    """Search the catalogue (everyone); heads and admin also see costs and maintain it."""
    q = request.args.get("q", "").strip()[:100]
    editor = current_user.role in CATALOGUE_EDITORS
    found = search_products(q, include_inactive=editor, limit=200)
    return render_page_or_fragment(
        "quotes/products.html", "quotes/_product_rows.html", "product-rows",
        products=found, q=q, editor=editor, show_costs=_may_see_costs(),
    )


def _apply_product(form: ProductForm, product: Product) -> None:
    product.code = form.code.data
    product.name = form.name.data
    product.spec = form.spec.data or ""
    product.category_id = form.category_id.data or None
    product.unit = form.unit.data or ""
    product.list_price = form.list_price.data
    product.unit_cost = form.unit_cost.data
    product.active = form.active.data
    product.search_text = " ".join([product.code, product.name, product.spec]).lower()


def _code_taken(code: str, product_id: int | None) -> bool:
    stmt = select(Product.id).where(func.lower(Product.code) == code.lower())
    if product_id:
        stmt = stmt.where(Product.id != product_id)
    return db.session.scalar(stmt.limit(1)) is not None


@bp.route("/products/new", methods=["GET", "POST"])
@roles_required(*CATALOGUE_EDITORS)
def product_new():
    form = ProductForm()
    if request.method == "GET":
        form.version.data = 1
    if form.validate_on_submit():
        if _code_taken(form.code.data, None):
            form.code.errors.append(_("Another product has this code."))
        else:
            product = Product()
            _apply_product(form, product)
            db.session.add(product)
            db.session.commit()
            flash(_("Product %(code)s added.", code=product.code), "success")
            return redirect(url_for("quotes.products"), 303)
    return render_template("quotes/product_form.html", form=form, product=None), form_status(form)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@roles_required(*CATALOGUE_EDITORS)
def product_edit(product_id: int):
    product = db.session.get(Product, product_id)
    if product is None or product.archived_at is not None:
        abort(404)
    form = ProductForm(obj=product, category_id=product.category_id)
    if request.method == "GET":
        form.category_id.data = product.category_id or 0
    ready, conflict = submit_versioned(form, product)
    if ready:
        if _code_taken(form.code.data, product.id):
            form.code.errors.append(_("Another product has this code."))
        else:
            _apply_product(form, product)
            db.session.commit()
            flash(_("Product %(code)s saved.", code=product.code), "success")
            return redirect(url_for("quotes.products"), 303)
    return render_template("quotes/product_form.html", form=form, product=product, conflict=conflict), edit_status(form, conflict)


@bp.route("/products/<int:product_id>/archive", methods=["GET", "POST"])
@roles_required(*CATALOGUE_EDITORS)
def product_archive(product_id: int):
    """Archive a product: it leaves the catalogue, stays on the quotes that use it."""
    product = db.session.get(Product, product_id)
    if product is None or product.archived_at is not None:
        abort(404)
    return archive_after_confirmation(
        product,
        done_message=_("Product %(code)s archived.", code=product.code),
        then=url_for("quotes.products"),
        back=url_for("quotes.product_edit", product_id=product.id),
    )


# --- competitors --------------------------------------------------------------------------------


@bp.route("/competitors/", methods=["GET", "POST"])
@roles_required(Role.ADMIN.value)
def competitors():
    """Competitors with their lost orders; the administrator adds known ones, and merges a
    duplicate name into the right one."""
    form = CompetitorForm()
    if form.validate_on_submit():
        if db.session.scalar(select(Competitor.id).where(func.lower(Competitor.name) == form.name.data.lower())):
            form.name.errors.append(_("This competitor is in the list already."))
        else:
            db.session.add(Competitor(name=form.name.data))
            db.session.commit()
            flash(_("Competitor %(name)s added.", name=form.name.data), "success")
            return redirect(url_for("quotes.competitors"), 303)
    counts = dict(
        db.session.execute(
            select(LostOrder.competitor_id, func.count()).where(LostOrder.archived_at.is_(None)).group_by(LostOrder.competitor_id)
        ).all()
    )
    rows = db.session.scalars(select(Competitor).where(Competitor.archived_at.is_(None)).order_by(Competitor.name)).all()
    return render_template("quotes/competitors.html", competitors=rows, counts=counts, form=form), form_status(form)


@bp.route("/competitors/<int:competitor_id>/merge", methods=["GET", "POST"])
@roles_required(Role.ADMIN.value)
def competitor_merge(competitor_id: int):
    """Merge a competitor into another: its lost orders move over, the name is kept as merged."""
    competitor = db.session.get(Competitor, competitor_id)
    if competitor is None or competitor.archived_at is not None or competitor.merged_into_id:
        abort(404)
    choices = [c for c in active_competitors() if c.id != competitor.id]
    target_id = arg_int("into") if request.method == "GET" else None
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            target_id = bounded_int(request.form.get("into", ""))
        except ValueError:
            target_id = None
        target = next((c for c in choices if c.id == target_id), None)
        if target is None:
            flash(_("Choose the competitor to merge into."), "error")
            return render_template("quotes/competitor_merge.html", competitor=competitor, choices=choices, form=form, target_id=None), 422
        for lost_order in db.session.scalars(select(LostOrder).where(LostOrder.competitor_id == competitor.id)):
            lost_order.competitor_id = target.id
        competitor.merged_into_id = target.id
        db.session.commit()
        flash(_("%(name)s merged into %(target)s.", name=competitor.name, target=target.name), "success")
        return redirect(url_for("quotes.competitors"), 303)
    return render_template("quotes/competitor_merge.html", competitor=competitor, choices=choices, form=form, target_id=target_id)
