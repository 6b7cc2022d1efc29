"""Forms of complaints: intake, a step, reassignment."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from portal.blueprints.quotes.forms import strip
from portal.forms import BoundedIntegerField, BoundedSelectField
from portal.lookups import lookup_entries
from portal.models import COMPLAINT_CATEGORY, COMPLAINT_CHANNEL_LABELS, COMPLAINT_KIND_LABELS, SEVERITY_LABELS
from portal.rules.followups import company_now


class ComplaintForm(FlaskForm):
    customer_id = BoundedSelectField(_l("Customer"), default=0)
    kind = BoundedSelectField(_l("Kind"), coerce=str, choices=list(COMPLAINT_KIND_LABELS.items()), default="complaint")
    channel = BoundedSelectField(_l("Channel"), coerce=str, choices=list(COMPLAINT_CHANNEL_LABELS.items()), default="phone")
    category_id = BoundedSelectField(_l("Category"), default=0)
    severity = BoundedSelectField(_l("Severity"), coerce=str, choices=list(SEVERITY_LABELS.items()), default="normal")
    received_at = DateTimeLocalField(_l("Received at"), format="%Y-%m-%dT%H:%M",
                                     validators=[InputRequired(message=_l("Enter when it was received."))])
    contract_id = BoundedSelectField(_l("Related contract"), default=0)
    content = TextAreaField(_l("What the customer said"), validators=[InputRequired(message=_l("Describe the complaint or suggestion.")), Length(max=5000)], filters=[strip])

    def __init__(self, *args, customers, contracts, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_customers(customers)
        self.category_id.choices = [(0, _l("— choose —"))] + [(e.id, e.name) for e in lookup_entries(COMPLAINT_CATEGORY)]
        self.contract_id.choices = [(0, _l("— none —"))] + [(c.id, c.number) for c in contracts]

    def set_customers(self, customers):
        self.customer_id.choices = [(0, _l("— none (anonymous suggestion) —"))] + [(c.id, c.name) for c in customers]

    def validate_category_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the category."))

    def validate_customer_id(self, field):
        if not field.data and self.kind.data == "complaint":
            raise ValidationError(_l("A complaint names its customer; only a suggestion or enquiry can be anonymous."))

    def validate_received_at(self, field):
        if field.data and field.data > company_now().replace(tzinfo=None, second=59, microsecond=999999):
            raise ValidationError(_l("The time received cannot be in the future."))


class StepForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=5000)], filters=[strip])
    resolution = TextAreaField(_l("Resolution"), validators=[Length(max=5000)], filters=[strip])
    satisfaction = BoundedIntegerField(_l("Customer satisfaction (1–5)"), validators=[Optional()])


class ReassignForm(FlaskForm):
    handler_id = BoundedSelectField(_l("Handler"), default=0)
