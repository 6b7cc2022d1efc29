from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import BoundedDecimalField, BoundedIntegerField, VersionedForm
from portal.extensions import db
from portal.models import FOLLOW_UP_KIND_LABELS, GradePolicy

MIN_INTERVAL_DAYS, MAX_INTERVAL_DAYS = 1, 365


def _grade_filter(value):
    return value.strip().upper() if isinstance(value, str) else value


class GradePolicyForm(VersionedForm):
    grade = StringField(_l("Grade"), validators=[DataRequired(), Length(max=10)], filters=[_grade_filter])
    description = StringField(
        _l("Description"), validators=[Length(max=100)], filters=[lambda v: v.strip() if isinstance(v, str) else v]
    )
    interval_days = BoundedIntegerField(
        _l("Follow up every (days)"),
        validators=[
            InputRequired(message=_l("Enter the number of days between follow-ups.")),
            NumberRange(
                MIN_INTERVAL_DAYS,
                MAX_INTERVAL_DAYS,
                message=_l(
                    "Enter a number of days from %(min)d to %(max)d.", min=MIN_INTERVAL_DAYS, max=MAX_INTERVAL_DAYS
                ),
            ),
        ],
    )
    preferred_mode = SelectField(_l("Preferred mode"), choices=list(FOLLOW_UP_KIND_LABELS.items()))
    position = BoundedIntegerField(_l("Order"), validators=[Optional(), NumberRange(0, 999)], default=0)

    def __init__(self, *args, policy: GradePolicy | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if policy is not None:
            # Customers carry the grade as text: renaming one would orphan them.
            del self.grade

    def validate_grade(self, field):
        existing = db.session.scalar(select(GradePolicy).where(GradePolicy.grade == field.data))
        if existing is None:
            return
        if existing.archived_at is None:
            raise ValidationError(_l("This grade exists already."))
        raise ValidationError(_l("This grade was archived; restore it from the archive instead."))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def company_settings_form(definitions, formdata=None, data=None):
    """A form with one field per registered setting, named by its key (dots become ``__``)."""

    class CompanySettingsForm(FlaskForm):
        # The versions of the stored rows when the page was opened (see ``settings_fingerprint``).
        fingerprint = HiddenField()

    for definition in definitions:
        setattr(CompanySettingsForm, field_name(definition.key), _setting_field(definition))
    return CompanySettingsForm(formdata=formdata, data=data)


def field_name(key: str) -> str:
    return key.replace(".", "__")


def _setting_field(definition):
    label, hint = definition.label, definition.hint
    description = hint or ""
    if definition.kind in ("int", "decimal"):
        limits = NumberRange(
            definition.minimum,
            definition.maximum,
            message=_l("Enter a value from %(min)s to %(max)s.", min=definition.minimum, max=definition.maximum),
        )
        required = InputRequired(message=_l("Enter a value."))
        if definition.kind == "int":
            return BoundedIntegerField(label, validators=[required, limits], description=description)
        return BoundedDecimalField(label, validators=[required, limits], places=4, description=description)
    validators = [Optional(), Length(max=definition.max_length)]
    if definition.kind == "textarea":
        return TextAreaField(label, validators=validators, filters=[_strip], description=description)
    return StringField(label, validators=validators, filters=[_strip], description=description)


class LogoForm(FlaskForm):
    """The company logo printed on the letterhead (PNG or JPEG, checked by content)."""

    logo = FileField(_l("Logo (PNG or JPEG)"), validators=[FileRequired(message=_l("Choose a file to upload."))])
