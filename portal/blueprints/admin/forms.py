from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from portal.blueprints.auth.forms import LANGUAGE_CHOICES, password_field, username_field
from portal.forms import BoundedSelectField, VersionedForm
from portal.extensions import db
from portal.labels import ROLE_LABELS
from portal.models import Department, Role, User

ROLES_NEEDING_DEPARTMENT = {Role.SALES.value, Role.HEAD.value}


def department_choices():
    departments = db.session.scalars(
        select(Department).where(Department.archived_at.is_(None)).order_by(Department.name)
    )
    return [(0, _l("— none —"))] + [(d.id, d.name) for d in departments]


class _UserFieldsMixin:
    def _setup_choices(self):
        self.role.choices = list(ROLE_LABELS.items())
        self.department_id.choices = department_choices()

    def validate_department_id(self, field):
        if self.role.data in ROLES_NEEDING_DEPARTMENT and not field.data:
            raise ValidationError(_l("Salespeople and department heads need a department."))


class UserCreateForm(_UserFieldsMixin, FlaskForm):
    username = username_field()
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=60)])
    role = SelectField(_l("Role"))
    department_id = BoundedSelectField(_l("Department"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    password = password_field(_l("Initial password"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_choices()

    def validate_username(self, field):
        taken = db.session.scalar(select(User.id).where(func.lower(User.username) == field.data.lower()))
        if taken:
            raise ValidationError(_l("This username is taken."))


class UserEditForm(_UserFieldsMixin, VersionedForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=60)])
    role = SelectField(_l("Role"))
    department_id = BoundedSelectField(_l("Department"))
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_choices()


class ResetPasswordForm(FlaskForm):
    password = password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat new password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )


class DepartmentForm(VersionedForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)], filters=[lambda v: v.strip() if v else v])

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._department = department

    def validate_name(self, field):
        stmt = select(Department.id).where(Department.name == field.data)
        if self._department is not None:
            stmt = stmt.where(Department.id != self._department.id)
        if db.session.scalar(stmt):
            raise ValidationError(_l("A department with this name exists."))


class LeavingForm(FlaskForm):
    """Where a leaving person's customers and records go (the grade choices are read by the route)."""

    mode = SelectField(_l("Their customers go to"), choices=[
        ("one", _l("One colleague")), ("grade", _l("Colleagues by intention grade")), ("pool", _l("The department's pool")),
    ])
    colleague_id = BoundedSelectField(_l("Colleague (everything else, and customers without a colleague chosen)"),
                                      validators=[DataRequired()])
