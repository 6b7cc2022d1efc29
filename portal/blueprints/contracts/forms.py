"""Forms of contracts: the header, the payment plan, a payment, a delivery, its delivered date, a
cancellation and the scanned contract."""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from portal.blueprints.quotes.forms import MAX_PRICE, MAX_QUANTITY, strip
from portal.forms import BoundedDecimalField, BoundedSelectField, VersionedForm
from portal.models import PAYMENT_METHOD_LABELS
from portal.rules.followups import company_today

MAX_INSTALMENTS = 24


def _date(label, message, required=True):
    validators = [InputRequired(message=message)] if required else [Optional()]
    return DateField(label, validators=validators, format="%Y-%m-%d")


def _not_after_today(field):
    if field.data and field.data > company_today():
        raise ValidationError(_l("The date cannot be after today."))


class ContractForm(VersionedForm):
    contact_id = BoundedSelectField(_l("Contact person"), default=0)
    signed_on = _date(_l("Signed on"), _l("Enter the date the contract was signed."))
    tax_rate = BoundedDecimalField(
        _l("Tax rate (%)"), maximum=Decimal("999.99"),
        validators=[InputRequired(message=_l("Enter the tax rate.")), NumberRange(min=0, max=100, message=_l("The tax rate is a percentage from 0 to 100."))],
    )
    usage = StringField(_l("Usage / purpose"), validators=[Length(max=300)], filters=[strip])
    payment_terms = StringField(_l("Payment terms"), validators=[Length(max=300)], filters=[strip])
    delivery_terms = StringField(_l("Delivery terms"), validators=[Length(max=300)], filters=[strip])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=5000)], filters=[strip])

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact_id.choices = [(0, _l("— none —"))] + [
            (contact.id, contact.name) for contact in customer.contacts if contact.archived_at is None
        ]

    def validate_signed_on(self, field):
        _not_after_today(field)


class InstalmentRow(Form):
    """One row of the plan; a row left empty is ignored."""

    due_on = DateField(_l("Due on"), validators=[Optional()], format="%Y-%m-%d")
    amount = BoundedDecimalField(_l("Amount"), maximum=MAX_PRICE,
                                 validators=[Optional(), NumberRange(min=Decimal("0.01"), message=_l("An instalment must be more than zero."))])

    def validate(self, extra_validators=None):
        # Optional() ends a field's chain when it is empty, so "both or neither" is checked here.
        valid = super().validate(extra_validators)
        if self.due_on.data is None and not self.due_on.errors and self.amount.data is not None:
            self.due_on.errors = [_l("Enter the due date.")]
            valid = False
        if self.amount.data is None and not self.amount.errors and self.due_on.data is not None:
            self.amount.errors = [_l("Enter the amount.")]
            valid = False
        return valid


class PlanForm(FlaskForm):
    instalments = FieldList(FormField(InstalmentRow), min_entries=1, max_entries=MAX_INSTALMENTS)

    def filled_rows(self) -> list:
        return [row.form for row in self.instalments if row.form.due_on.data and row.form.amount.data is not None]


class PaymentForm(FlaskForm):
    received_on = _date(_l("Received on"), _l("Enter the date the money was received."))
    amount = BoundedDecimalField(
        _l("Amount"), maximum=MAX_PRICE,
        validators=[InputRequired(message=_l("Enter the amount received.")), NumberRange(min=Decimal("0.01"), message=_l("The amount must be more than zero."))],
    )
    method = BoundedSelectField(_l("Method"), coerce=str, choices=list(PAYMENT_METHOD_LABELS.items()))
    note = StringField(_l("Note"), validators=[Length(max=300)], filters=[strip])

    def validate_received_on(self, field):
        _not_after_today(field)


class DeliveryForm(FlaskForm):
    """A delivery; one quantity field per contract line (``quantity_<line id>``) is added by
    ``delivery_form_for``."""

    planned_on = _date(_l("Planned delivery date"), _l("Enter the planned delivery date."))
    address_choice = BoundedSelectField(_l("Delivery address"), default=0)
    new_address = StringField(_l("…or a new address"), validators=[Length(max=300)], filters=[strip])
    receiver = StringField(_l("Receiving contact"), validators=[Length(max=60)], filters=[strip])
    receiver_phone = StringField(_l("Receiver's phone"), validators=[Length(max=40)], filters=[strip])
    notes = StringField(_l("Notes"), validators=[Length(max=500)], filters=[strip])

    def setup(self, addresses: list[str], lines: list) -> None:
        self.addresses = addresses
        self.address_choice.choices = [(0, _l("— a new address —"))] + [
            (number, address) for number, address in enumerate(addresses, start=1)
        ]
        self.contract_lines = lines

    @property
    def address(self) -> str:
        if self.address_choice.data:
            return self.addresses[self.address_choice.data - 1]
        return self.new_address.data or ""

    def quantity_field(self, line):
        return self[f"quantity_{line.id}"]

    def validate_address_choice(self, field):
        if not field.data and not self.new_address.data:
            raise ValidationError(_l("Pick an address or type a new one."))


def delivery_form_for(lines, addresses: list[str], **kwargs) -> DeliveryForm:
    """A delivery form with a quantity field for each of ``lines``."""
    fields = {
        f"quantity_{line.id}": BoundedDecimalField(
            line.name, places=3, maximum=MAX_QUANTITY,
            validators=[Optional(), NumberRange(min=0, message=_l("A quantity cannot be negative."))],
        )
        for line in lines
    }
    form = type("ContractDeliveryForm", (DeliveryForm,), fields)(**kwargs)
    form.setup(addresses, lines)
    return form


class DeliveredForm(FlaskForm):
    delivered_on = _date(_l("Delivered on"), _l("Enter the date it was delivered."))

    def validate_delivered_on(self, field):
        _not_after_today(field)


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[InputRequired(message=_l("Say why the contract is cancelled.")), Length(max=500)], filters=[strip])


class ScanForm(FlaskForm):
    scan = FileField(_l("Scanned contract (PDF or image)"), validators=[FileRequired(message=_l("Choose a file to upload."))])
