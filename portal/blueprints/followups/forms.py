from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from portal.models import FOLLOW_UP_KIND_LABELS
from portal.rules.followups import company_today, next_date_too_early
from portal.forms import BoundedSelectField


def strip(value):
    return value.strip() if isinstance(value, str) else value


class LocalDateTimeField(DateTimeLocalField):
    """A wall-clock time in the company time zone; a parse error names the expected format."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the date and time as YYYY-MM-DD HH:MM.")) from None


class LocalDateField(DateField):
    """A calendar date; a parse error names the expected format."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter the date as YYYY-MM-DD.")) from None


def next_date_field():
    return LocalDateField(
        _l("Next follow-up"), validators=[Optional()], description=_l("Empty: set from the customer's grade.")
    )


def summary_validators():
    return [DataRequired(message=_l("Write what was discussed.")), Length(max=4000)]


class FollowUpForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(FOLLOW_UP_KIND_LABELS.items()))
    happened_at = LocalDateTimeField(
        _l("Date and time"), validators=[InputRequired(message=_l("Enter the date and time."))]
    )
    contact_id = BoundedSelectField(_l("Contact person"), default=0)
    summary = TextAreaField(_l("Summary"), validators=summary_validators(), filters=[strip])
    outcome = StringField(_l("Outcome"), validators=[Length(max=200)], filters=[strip])
    next_step = StringField(_l("Next step"), validators=[Length(max=200)], filters=[strip])
    next_follow_up_on = next_date_field()

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = [(contact.id, contact.name) for contact in customer.contacts if contact.archived_at is None]
        self.contact_id.choices = [(0, _l("— none —"))] + contacts

    def validate_happened_at(self, field):
        if field.data and field.data.date() > company_today():
            raise ValidationError(_l("A follow-up cannot be dated after today."))

    def validate_next_follow_up_on(self, field):
        if self.happened_at.data and next_date_too_early(field.data, self.happened_at.data.date()):
            raise ValidationError(_l("The next follow-up cannot be before the follow-up itself."))


class FollowUpEditForm(FollowUpForm):
    version = HiddenField()
