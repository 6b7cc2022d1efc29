from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.forms import BoundedDecimalField, VersionedForm


class NotificationForm(VersionedForm):
    email = StringField(
        _l("E-mail address"),
        validators=[Optional(), Length(max=254), Email(message=_l("Enter an e-mail address like name@example.com."))],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    digest_enabled = BooleanField(_l("Send me the morning digest"))


class WebhookForm(VersionedForm):
    platform = SelectField(_l("Team chat"), choices=[("wecom", _l("WeCom (企业微信) group robot")),
                                                     ("dingtalk", _l("DingTalk (钉钉) group robot"))])
    url = StringField(_l("Robot address (webhook)"), validators=[Optional(), Length(max=500)],
                      filters=[lambda value: value.strip() if isinstance(value, str) else value])
    secret = StringField(_l("DingTalk signing secret (加签), if the robot has one"), validators=[Optional(), Length(max=100)],
                         filters=[lambda value: value.strip() if isinstance(value, str) else value])
    enabled = BooleanField(_l("Post to the team chat"))
    lost_order_from = BoundedDecimalField(_l("Lost orders from (amount)"), validators=[InputRequired(), NumberRange(min=0)])
    contract_from = BoundedDecimalField(_l("Signed contracts from (amount)"), validators=[InputRequired(), NumberRange(min=0)])
    overdue_complaints = BooleanField(_l("Complaints past their deadline"))

    def validate_url(self, field):
        from portal.blueprints.notifications.webhooks import allowed_url

        if field.data and not allowed_url(field.data):
            raise ValidationError(_l("Paste the group robot's address from WeCom or DingTalk (https://…)."))
        if self.enabled.data and not field.data:
            raise ValidationError(_l("Paste the group robot's address to post to the team chat."))
