"""The analysis's period and department, a lost order recorded without a quote, the head's review."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, NumberRange

from portal.blueprints.quotes.forms import MAX_PRICE, LostForm, strip
from portal.forms import BoundedDecimalField, BoundedSelectField
from portal.periods import PeriodFilters


# The analysis's period and department (shared with the performance pages).
AnalysisFilters = PeriodFilters


class LostRecordForm(LostForm):
    """An order lost before any quote: what, for how much, to whom and why."""

    product_id = BoundedSelectField(_l("Product"), default=0)
    amount = BoundedDecimalField(
        _l("Estimated amount"), maximum=MAX_PRICE,
        validators=[InputRequired(message=_l("Enter the estimated amount.")), NumberRange(min=0, message=_l("An amount cannot be negative."))],
    )

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.product_id.choices = [(0, _l("— not in the catalogue —"))] + [(p.id, f"{p.code} {p.name}") for p in products]


class ReviewForm(FlaskForm):
    comment = StringField(_l("Comment to the salesperson"), validators=[Length(max=500)], filters=[strip])



class CustomerLossForm(LostForm):
    """A signed customer lost: when, why, to whom (the form of a lost quote, without prices)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.competitor_model
        del self.competitor_price
