"""The analysis's period and department, a lost order recorded without a quote, the head's review."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import InputRequired, Length, NumberRange

from portal.blueprints.quotes.forms import MAX_PRICE, LostForm, strip
from portal.forms import BoundedDecimalField, BoundedSelectField, bounded_int
from portal.rules.lost_orders import PERIOD_KINDS, Period, month_period, quarter_period, year_period


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass
class AnalysisFilters:
    """Period (month, quarter, year around ``on``, or custom ``start``–``end``) and department."""

    kind: str
    on: date
    start: date | None
    end: date | None
    department: int | None
    error: str | None = None

    @classmethod
    def from_args(cls, args, today: date) -> "AnalysisFilters":
        kind = args.get("kind", "month")
        kind = kind if kind in PERIOD_KINDS else "month"
        try:
            department = bounded_int(args.get("department", ""))
        except ValueError:
            department = None
        filters = cls(kind, _date(args.get("on")) or today, _date(args.get("start")), _date(args.get("end")), department)
        if kind == "custom":
            if filters.start is None or filters.end is None:
                filters.error = _l("Enter the first and the last day of the period.")
            elif filters.end < filters.start:
                filters.error = _l("The period cannot end before it starts.")
            elif (filters.end - filters.start).days > 3700:
                filters.error = _l("The period can be at most ten years.")
        return filters

    @property
    def period(self) -> Period:
        if self.kind == "quarter":
            return quarter_period(self.on)
        if self.kind == "year":
            return year_period(self.on.year)
        if self.kind == "custom" and not self.error:
            return Period(self.start, self.end, "custom")
        return month_period(self.on)

    def as_args(self) -> dict:
        args = {"kind": self.kind}
        if self.kind == "custom":
            args.update(start=self.start.isoformat() if self.start else None, end=self.end.isoformat() if self.end else None)
        else:
            args["on"] = self.on.isoformat()
        if self.department:
            args["department"] = self.department
        return {key: value for key, value in args.items() if value}


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
