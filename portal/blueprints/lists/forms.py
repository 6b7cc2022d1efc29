from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from portal.forms import VersionedForm
from portal.extensions import db
from portal.models import LookupValue


class LookupValueForm(VersionedForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(), Length(max=60)], filters=[lambda v: v.strip() if v else v]
    )

    def __init__(self, *args, kind: str, value: LookupValue | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._kind = kind
        self._value = value

    def validate_name(self, field):
        stmt = select(LookupValue.id).where(
            LookupValue.kind == self._kind, LookupValue.name == field.data, LookupValue.archived_at.is_(None)
        )
        if self._value is not None:
            stmt = stmt.where(LookupValue.id != self._value.id)
        if db.session.scalar(stmt):
            raise ValidationError(_l("This list has an entry with this name."))


class MoveForm(FlaskForm):
    direction = SelectField(choices=[("up", _l("Up")), ("down", _l("Down"))])
