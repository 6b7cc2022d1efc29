"""Forms of the catalogue, quotes, their lines and the won/lost decisions."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import BoundedDecimalField, BoundedSelectField, VersionedForm
from portal.lookups import lookup_entries
from portal.models import LOST_REASON, PRODUCT_CATEGORY
from portal.models.quotes import NO_COMPETITOR_REASON
from portal.rules.followups import company_today
from portal.rules.quotes import line_amount

MAX_PRICE = Decimal("9999999999.99")  # below 10¹⁰
MAX_QUANTITY = Decimal("999999999.999")


def strip(value):
    return value.strip() if isinstance(value, str) else value


def _date(label, message):
    return DateField(label, validators=[InputRequired(message=message)], format="%Y-%m-%d")


class ProductForm(VersionedForm):
    code = StringField(_l("Code"), validators=[InputRequired(message=_l("Enter the product code.")), Length(max=40)], filters=[strip])
    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Enter the product name.")), Length(max=200)], filters=[strip])
    spec = StringField(_l("Model / specification"), validators=[Length(max=200)], filters=[strip])
    category_id = BoundedSelectField(_l("Category"), default=0)
    unit = StringField(_l("Unit"), validators=[Length(max=20)], filters=[strip])
    list_price = BoundedDecimalField(
        _l("List price"), maximum=MAX_PRICE,
        validators=[InputRequired(message=_l("Enter the list price.")), NumberRange(min=0, message=_l("A price cannot be negative."))],
    )
    unit_cost = BoundedDecimalField(
        _l("Unit cost"), maximum=MAX_PRICE,
        validators=[Optional(), NumberRange(min=0, message=_l("A cost cannot be negative."))],
    )
    active = BooleanField(_l("Active (offered on new quotes)"), default=True)

    def __init__(self, *args, category_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [(0, _l("— none —"))] + [
            (entry.id, entry.name) for entry in lookup_entries(PRODUCT_CATEGORY, keep_id=category_id)
        ]


class QuoteForm(VersionedForm):
    contact_id = BoundedSelectField(_l("Contact person"), default=0)
    quote_date = _date(_l("Quote date"), _l("Enter the quote date."))
    valid_until = _date(_l("Valid until"), _l("Enter the date the quote is valid until."))
    tax_rate = BoundedDecimalField(
        _l("Tax rate (%)"), maximum=Decimal("999.99"),
        validators=[InputRequired(message=_l("Enter the tax rate.")), NumberRange(min=0, max=100, message=_l("The tax rate is a percentage from 0 to 100."))],
    )
    delivery_terms = StringField(_l("Delivery terms"), validators=[Length(max=300)], filters=[strip])
    payment_terms = StringField(_l("Payment terms"), validators=[Length(max=300)], filters=[strip])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)], filters=[strip])

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact_id.choices = [(0, _l("— none —"))] + [
            (contact.id, contact.name) for contact in customer.contacts if contact.archived_at is None
        ]

    def validate_valid_until(self, field):
        if field.data and self.quote_date.data and field.data < self.quote_date.data:
            raise ValidationError(_l("A quote cannot be valid until a day before its date."))


class LineForm(FlaskForm):
    product_id = BoundedSelectField(_l("Product"), default=0)
    name = StringField(_l("Item"), validators=[Length(max=200)], filters=[strip])
    spec = StringField(_l("Model / specification"), validators=[Length(max=200)], filters=[strip])
    quantity = BoundedDecimalField(
        _l("Quantity"), places=3, maximum=MAX_QUANTITY,
        validators=[InputRequired(message=_l("Enter the quantity.")), NumberRange(min=Decimal("0.001"), message=_l("The quantity must be more than zero."))],
    )
    unit = StringField(_l("Unit"), validators=[Length(max=20)], filters=[strip])
    unit_price = BoundedDecimalField(
        _l("Unit price"), maximum=MAX_PRICE,
        validators=[Optional(), NumberRange(min=0, message=_l("A price cannot be negative."))],
    )
    discount_percent = BoundedDecimalField(
        _l("Discount (%)"), maximum=Decimal("999.99"), default=Decimal("0"),
        validators=[Optional(), NumberRange(min=0, max=100, message=_l("The discount is a percentage from 0 to 100."))],
    )

    def __init__(self, *args, products, keep_product=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = {product.id: product for product in products}
        if keep_product is not None:
            self.products.setdefault(keep_product.id, keep_product)
        self.product_id.choices = [(0, _l("— not in the catalogue —"))] + [
            (product.id, f"{product.code} {product.name}" + (f" · {product.spec}" if product.spec else ""))
            for product in self.products.values()
        ]

    @property
    def product(self):
        return self.products.get(self.product_id.data) if self.product_id.data else None

    def empty_copy(self) -> "LineForm":
        """An empty form over the same catalogue: the next line's after a save, without reading
        the catalogue (200 products) again."""
        return type(self)(formdata=None, products=self.products.values())

    def apply_to(self, line) -> None:
        """Fill a quote or contract line: the product's name, spec, unit and list price where the
        form leaves them empty; the amount by ``rules.quotes.line_amount``."""
        product = self.product
        line.product_id = product.id if product else None
        line.name = self.name.data or (product.name if product else "")
        line.spec = self.spec.data or (product.spec if product else "")
        line.unit = self.unit.data or (product.unit if product else "")
        line.quantity = self.quantity.data
        line.unit_price = self.unit_price.data if self.unit_price.data is not None else product.list_price
        line.discount_percent = self.discount_percent.data or 0
        line.amount = line_amount(line.quantity, line.unit_price, line.discount_percent)

    def validate_name(self, field):
        if not field.data and not self.product_id.data:
            raise ValidationError(_l("Pick a product or describe the item."))

    def validate(self, extra_validators=None):
        # Optional() ends the field's own chain on an empty price, so the rule that an item
        # outside the catalogue needs a price is checked here.
        valid = super().validate(extra_validators)
        if self.unit_price.data is None and not self.unit_price.errors and self.product is None:
            self.unit_price.errors = [*self.unit_price.errors, _l("Enter the unit price.")]
            return False
        return valid


class WonForm(FlaskForm):
    decided_on = _date(_l("Date won"), _l("Enter the date."))

    def validate_decided_on(self, field):
        if field.data and field.data > company_today():
            raise ValidationError(_l("The date cannot be after today."))


class LostForm(FlaskForm):
    lost_on = _date(_l("Date lost"), _l("Enter the date."))
    reason_id = BoundedSelectField(_l("Reason"), default=0)
    competitor_id = BoundedSelectField(_l("Competitor that won"), default=0)
    new_competitor = StringField(_l("…or a competitor not in the list"), validators=[Length(max=100)], filters=[strip])
    competitor_model = StringField(_l("Competitor's model"), validators=[Length(max=200)], filters=[strip])
    competitor_price = BoundedDecimalField(
        _l("Competitor's price"), maximum=MAX_PRICE,
        validators=[Optional(), NumberRange(min=0, message=_l("A price cannot be negative."))],
    )
    details = TextAreaField(_l("Details"), validators=[Length(max=5000)], filters=[strip])

    def __init__(self, *args, competitors, **kwargs):
        super().__init__(*args, **kwargs)
        self.reasons = {entry.id: entry for entry in lookup_entries(LOST_REASON)}
        self.reason_id.choices = [(0, _l("— choose —"))] + [(entry.id, entry.name) for entry in self.reasons.values()]
        self.competitor_id.choices = [(0, _l("— none / not in the list —"))] + [(c.id, c.name) for c in competitors]

    @property
    def no_competitor_won(self) -> bool:
        reason = self.reasons.get(self.reason_id.data)
        return reason is not None and reason.name == NO_COMPETITOR_REASON

    def validate_lost_on(self, field):
        if field.data and field.data > company_today():
            raise ValidationError(_l("The date cannot be after today."))

    def validate_reason_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the reason the order was lost."))

    def validate_competitor_id(self, field):
        if not field.data and not self.new_competitor.data and not self.no_competitor_won:
            raise ValidationError(_l("Choose the competitor that won, or type its name."))


class CompetitorForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(message=_l("Enter the competitor's name.")), Length(max=100)], filters=[strip])
