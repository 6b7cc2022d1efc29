from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from portal.models import Language
from portal.security import MIN_PASSWORD_LENGTH

USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]+$"
LANGUAGE_CHOICES = [(Language.ZH_CN.value, "中文"), (Language.EN.value, "English")]


def password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(min=MIN_PASSWORD_LENGTH, max=128, message=_l("Use %(min)d to %(max)d characters.", min=MIN_PASSWORD_LENGTH, max=128)),
        ],
    )


def username_field():
    return StringField(
        _l("Username"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(USERNAME_PATTERN, message=_l("Use letters, digits, dot, dash or underscore only.")),
        ],
        filters=[lambda value: value.strip() if value else value],
    )


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=40)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me logged in on this device"))
    next = HiddenField()


class SetupForm(FlaskForm):
    username = username_field()
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=60)])
    password = password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)])
    password = password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat new password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._user = user

    def validate_current(self, field):
        if not self._user.check_password(field.data):
            raise ValidationError(_l("The current password is wrong."))


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
