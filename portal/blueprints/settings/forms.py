from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import BoundedIntegerField, VersionedForm
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
