from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField
from wtforms.validators import Email, Length, Optional

from portal.forms import VersionedForm


class NotificationForm(VersionedForm):
    email = StringField(
        _l("E-mail address"),
        validators=[Optional(), Length(max=254), Email(message=_l("Enter an e-mail address like name@example.com."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    digest_enabled = BooleanField(_l("Send me the morning digest"))
