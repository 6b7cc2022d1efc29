from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, ValidationError

from portal.blueprints.followups.forms import next_date_field, strip, summary_validators
from portal.extensions import db
from portal.models import Role, User
from portal.rules.followups import company_today, grade_policies, next_date_too_early
from portal.forms import BoundedSelectField, bounded_int

NEW_CUSTOMER = "new"


class GradeField(SelectField):
    """An intention grade from the active grade policies."""

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices}:
            raise ValidationError(_l("This grade does not exist."))


def owner_choices(user) -> list[tuple[int, str]]:
    """Who may own a customer a head or admin registers: active salespeople and heads in their scope."""
    stmt = (
        select(User)
        .options(joinedload(User.department))
        .where(
            User.active.is_(True),
            User.role.in_([Role.SALES.value, Role.HEAD.value]),
            User.department_id.is_not(None),
        )
        .order_by(User.department_id, User.display_name)
    )
    if user.role == Role.HEAD:
        stmt = stmt.where(User.department_id == user.department_id)
    return [(person.id, f"{person.display_name} · {person.department.name}") for person in db.session.scalars(stmt)]


class CallForm(FlaskForm):
    q = StringField(_l("Phone or name"), validators=[Length(max=200)], filters=[strip])
    # A customer id from the matches, or "new"; rendered as radios by calls/_matches.html.
    customer = StringField(_l("Caller's customer"))
    name = StringField(_l("Customer name"), validators=[Length(max=200)], filters=[strip])
    phone = StringField(_l("Phone"), validators=[Length(max=40)], filters=[strip])
    intention_grade = GradeField(_l("Intention grade"), default="")
    owner_id = BoundedSelectField(_l("Owner"), default=0)
    summary = StringField(_l("Summary"), validators=summary_validators(), filters=[strip])
    next_follow_up_on = next_date_field()
    # The caller complains: after saving the call, the complaint form opens for the same customer.
    is_complaint = BooleanField(_l("The caller is complaining: record a complaint next"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.intention_grade.choices = [("", _l("— none —"))] + [
            (grade, f"{grade} · {policy.description}" if policy.description else grade)
            for grade, policy in grade_policies().items()
        ]
        if user.role == Role.SALES:
            del self.owner_id
        else:
            self.owner_id.choices = [(0, _l("— choose —"))] + owner_choices(user)
            if self.owner_id.data == 0 and any(value == user.id for value, _label in self.owner_id.choices):
                self.owner_id.data = user.id

    @property
    def creates_customer(self) -> bool:
        return self.customer.data == NEW_CUSTOMER

    @property
    def picked_customer_id(self) -> int | None:
        try:
            return bounded_int(self.customer.data or "")
        except ValueError:
            return None

    def validate_customer(self, field):
        if not self.creates_customer and self.picked_customer_id is None:
            raise ValidationError(_l("Pick the caller's customer, or choose a new customer."))

    def validate_name(self, field):
        if self.creates_customer and not field.data:
            raise ValidationError(_l("Enter the new customer's name."))

    def validate_owner_id(self, field):
        if self.creates_customer and not field.data:
            raise ValidationError(_l("Choose who owns the new customer."))

    def validate_next_follow_up_on(self, field):
        if next_date_too_early(field.data, company_today()):
            raise ValidationError(_l("The next follow-up cannot be before the call."))
