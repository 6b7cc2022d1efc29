"""Customer, contact, merge and handover forms."""
import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields import DateField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from portal.blueprints.customers.queries import active_grades, lookup_values, salespeople_for
from portal.forms import (
    BoundedIntegerField,
    BoundedSelectField,
    BoundedSelectMultipleField,
    VersionedForm,
)
from portal.extensions import db
from portal.models import STAGE_LABELS, LookupKind, Role, User

_PHONE_CHARS = re.compile(r"[0-9 +\-()]+")
NONE_CHOICE = _l("— none —")


def _clean(value):
    """Strip and fold full-width characters (１３８, （０２１）) to their ASCII forms."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def phone_number(form, field):
    """Digits, spaces, +, - and brackets only, with 7 to 20 digits."""
    value = field.data or ""
    if not value:
        return
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE_CHARS.fullmatch(value) or not 7 <= digits <= 20:
        raise ValidationError(_l("Enter 7 to 20 digits; spaces, +, - and brackets are allowed."))


def phone_field(label):
    return StringField(label, validators=[Optional(), Length(max=40), phone_number], filters=[_clean])


def email_field():
    return StringField(
        _l("E-mail"),
        validators=[Optional(), Length(max=200), Email(message=_l("Enter an e-mail address like name@example.com."))],
        filters=[_clean],
    )


def text_field(label, max_length: int, required: bool = False):
    validators = [DataRequired()] if required else [Optional()]
    return StringField(label, validators=[*validators, Length(max=max_length)], filters=[_clean])


class CustomerForm(VersionedForm):
    name = text_field(_l("Name"), 200, required=True)
    customer_type_id = BoundedSelectField(_l("Type / industry"))
    source_id = BoundedSelectField(_l("Source"))
    region = text_field(_l("Region"), 100)
    address = text_field(_l("Address"), 300)
    phone = phone_field(_l("Phone"))
    mobile = phone_field(_l("Mobile"))
    email = email_field()
    wechat = text_field(_l("WeChat"), 100)
    stage = SelectField(_l("Stage"), choices=list(STAGE_LABELS.items()))
    intention_grade = SelectField(_l("Intention grade"), validate_choice=False)
    owner_id = BoundedSelectField(_l("Owner"))
    next_follow_up_on = DateField(_l("Next follow-up"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)], filters=[_clean])
    confirm_duplicates = BooleanField(_l("Save anyway: this is a different customer"))

    def __init__(self, *args, user, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user
        keep = customer or _NoCustomer
        self.customer_type_id.choices = [(0, NONE_CHOICE)] + [
            (value.id, value.name) for value in lookup_values(LookupKind.CUSTOMER_TYPE, keep.customer_type_id)
        ]
        self.source_id.choices = [(0, NONE_CHOICE)] + [
            (value.id, value.name) for value in lookup_values(LookupKind.SOURCE, keep.source_id)
        ]
        self._grades = active_grades()
        if keep.intention_grade and keep.intention_grade not in self._grades:
            self._grades.append(keep.intention_grade)
        self.intention_grade.choices = [("", NONE_CHOICE)] + [(grade, grade) for grade in self._grades]
        if user.role == Role.SALES:
            # A salesperson's customers are their own; the field is not offered.
            del self.owner_id
        else:
            owners = salespeople_for(user)
            choices = [(owner.id, owner.display_name) for owner in owners]
            if customer is not None and customer.owner_id not in {owner.id for owner in owners}:
                choices.insert(0, (customer.owner_id, customer.owner.display_name))
            self.owner_id.choices = choices

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if "owner_id" not in self and self._user.department_id is None:
            self.form_errors.append(_l("Your account has no department; ask the administrator to set one."))
            return False
        return valid

    def validate_owner_id(self, field):
        owner = db.session.get(User, field.data) if field.data else None
        if owner is None or owner.department_id is None:
            raise ValidationError(_l("Choose a salesperson who belongs to a department."))

    def validate_intention_grade(self, field):
        if field.data and field.data not in self._grades:
            raise ValidationError(_l("Choose one of the grades in the list, or none."))

    def apply_to(self, customer) -> None:
        """Copy the submitted values onto ``customer`` (owner and keys are set by the view)."""
        for name in ("name", "region", "address", "phone", "mobile", "email", "wechat", "stage", "notes"):
            setattr(customer, name, getattr(self, name).data or "")
        customer.customer_type_id = self.customer_type_id.data or None
        customer.source_id = self.source_id.data or None
        customer.intention_grade = self.intention_grade.data or None
        customer.next_follow_up_on = self.next_follow_up_on.data


class _NoCustomer:
    customer_type_id = source_id = intention_grade = None


class ContactForm(VersionedForm):
    name = text_field(_l("Name"), 60, required=True)
    title = text_field(_l("Title"), 60)
    phone = phone_field(_l("Phone"))
    mobile = phone_field(_l("Mobile"))
    email = email_field()
    birthday = DateField(_l("Birthday"), validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)], filters=[_clean])

    def apply_to(self, contact) -> None:
        for name in ("name", "title", "phone", "mobile", "notes"):
            setattr(contact, name, getattr(self, name).data or "")
        contact.email = (self.email.data or "").lower()
        contact.birthday = self.birthday.data
        contact.birthday_md = contact.birthday.month * 100 + contact.birthday.day if contact.birthday else None


class MergeForm(FlaskForm):
    duplicate_id = BoundedIntegerField(
        _l("Customer number of the duplicate"), validators=[DataRequired(), NumberRange(min=1)]
    )


class HandoverForm(FlaskForm):
    from_user_id = BoundedSelectField(_l("From salesperson"))
    to_user_id = BoundedSelectField(_l("To salesperson"))
    move_all = BooleanField(_l("All of their customers"))
    customer_ids = BoundedSelectMultipleField(_l("Customers"), validate_choice=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Someone who has left (inactive) can still hand over; only active people receive.
        self.from_user_id.choices = [(0, _l("— choose —"))] + [
            (person.id, _label(person)) for person in salespeople_for(user, active_only=False)
        ]
        self.to_user_id.choices = [(0, _l("— choose —"))] + [
            (person.id, _label(person)) for person in salespeople_for(user)
        ]

    def validate_from_user_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose whose customers to hand over."))

    def validate_to_user_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose who receives the customers."))
        if field.data == self.from_user_id.data:
            raise ValidationError(_l("Choose a different salesperson."))

    def validate_customer_ids(self, field):
        if not self.move_all.data and not field.data:
            raise ValidationError(_l("Tick the customers to hand over, or choose all of them."))


def _label(person) -> str:
    return person.display_name if person.active else str(_l("%(name)s (left)", name=person.display_name))
