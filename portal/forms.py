"""Form pieces shared by every area, and the one bounded integer conversion.

Every integer that arrives from outside — a form field, a hidden version, a select value, a query
argument, a URL segment — goes through ``bounded_int``: a positive whole number no larger than the
smallest integer column the databases have. Ids and counts are ``Integer`` columns, which are
32-bit on PostgreSQL (SQLite's are 64-bit), so the bound is 2³¹−1: a larger value would pass a
64-bit check and still fail in PostgreSQL with "integer out of range". Anything else is a ``ValueError``, which WTForms turns into the field's
message (422) and ``request.args.get(..., type=bounded_int)`` into an ignored filter, so a value too
large for SQLite or PostgreSQL never reaches a query.
"""
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.routing import IntegerConverter
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, SelectMultipleField
from wtforms.validators import StopValidation

MAX_DB_INT = 2**31 - 1
# A string longer than this cannot hold a number in range; refuse it before int() parses it.
_MAX_DIGITS = len(str(MAX_DB_INT))


def bounded_int(value, *, minimum: int = 1) -> int:
    """``value`` as an int in ``minimum``..2³¹−1, else ``ValueError``.

    Accepts ints and strings of ASCII or full-width digits (１２３) with surrounding spaces; refuses
    bools, floats, signs other than a leading minus for a negative minimum, NUL bytes and the rest.
    """
    if isinstance(value, bool):
        raise ValueError("not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        digits = text[1:] if text.startswith("-") else text
        if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > _MAX_DIGITS:
            raise ValueError("not an integer")
        number = int(text)
    else:
        raise ValueError("not an integer")
    if not minimum <= number <= MAX_DB_INT:
        raise ValueError("out of range")
    return number


def bounded_int_or_zero(value) -> int:
    """Like ``bounded_int`` but 0 is allowed: the "— none —" choice of optional selects."""
    return bounded_int(value, minimum=0)


def arg_int(name: str, default=None, *, minimum: int = 1):
    """A bounded integer from the query string; a missing or bad value gives ``default``."""
    from flask import request

    try:
        return bounded_int(request.args.get(name, ""), minimum=minimum)
    except ValueError:
        return default


# Query-string filters: a malformed value is ignored (None), never an error.


def int_or_none(value) -> int | None:
    """An id from the query string, or None when it is missing, malformed or out of range."""
    try:
        return bounded_int(value)
    except ValueError:
        return None


def decimal_or_none(value) -> Decimal | None:
    try:
        return parse_decimal(value) if value not in (None, "") else None
    except ValueError:
        return None


# Days a filter or report may name: wide enough for any business date, narrow enough that a day
# before or after it, or its midnight in another time zone, is still a valid date.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def date_or_none(value) -> date | None:
    """An ISO date from the query string within ``FIRST_DAY``–``LAST_DAY``, else None."""
    try:
        day = date.fromisoformat(value) if value else None
    except (ValueError, TypeError):
        return None
    return day if day is not None and FIRST_DAY <= day <= LAST_DAY else None


_LIKE_SPECIALS = re.compile(r"([\\%_])")


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` escaped (use with ``escape="\\"``)."""
    return "%" + _LIKE_SPECIALS.sub(r"\\\1", text) + "%"


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` URL segments above 2³¹−1 do not match the route: 404, not an overflow."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_DB_INT, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class _StopOnBadInput:
    """A value that could not be converted stops the field's validation: no later validator (and
    no ``validate_<field>`` method) sees it, so none of them queries the database with it."""

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()
        super().pre_validate(form)


class BoundedIntegerField(_StopOnBadInput, IntegerField):
    """A whole-number input that never holds a value beyond the databases' integer columns.

    Not a number, or beyond ±(2³¹−1): the field's "whole number" message. The field's own
    ``NumberRange`` gives the business range (1–365 days…) its clear message.
    """

    def __init__(self, label=None, validators=None, minimum: int = -MAX_DB_INT, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum = minimum

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = bounded_int(valuelist[0], minimum=self.minimum)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a whole number."))) from None


class BoundedSelectField(_StopOnBadInput, SelectField):
    """A select whose values are ids: ``coerce`` is the bounded conversion, 0 meaning none."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("coerce", bounded_int_or_zero)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Not a valid choice."))) from None


def parse_decimal(value, *, places: int = 2, maximum: Decimal = Decimal("9999999999.99")) -> Decimal:
    """``value`` as a finite Decimal with at most ``places`` decimals and ``|value| <= maximum``.

    Full-width digits and thousands separators (１,２３４.５０) are accepted; ``NaN``, ``Infinity``,
    exponents beyond the range and anything else raise ``ValueError`` with the reason.
    """
    if isinstance(value, Decimal):
        number = value
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").replace(" ", "")
        if not text or len(text) > 40:
            raise ValueError("not a number")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a number")
    if abs(number) > maximum:
        raise ValueError("too large")
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        raise ValueError("too many decimals")
    return number.quantize(step)


class BoundedDecimalField(_StopOnBadInput, DecimalField):
    """A money or quantity input: finite, at most ``places`` decimals, no larger than ``maximum``.

    The messages say which of the three was wrong; ``NumberRange`` then checks the business range.
    """

    def __init__(self, label=None, validators=None, places: int = 2, maximum=Decimal("9999999999.99"), **kwargs):
        super().__init__(label, validators, places=places, **kwargs)
        self.places = places
        self.maximum = Decimal(maximum)

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] in ("", None):
            self.data = None
            return
        try:
            self.data = parse_decimal(valuelist[0], places=self.places, maximum=self.maximum)
        except ValueError as error:
            self.data = None
            reason = str(error)
            if reason == "too large":
                message = _l("Enter a number no larger than %(max)s.", max=f"{self.maximum:,}")
            elif reason == "too many decimals":
                message = _l("Use at most %(places)d decimal places.", places=self.places)
            else:
                message = _l("Enter a number, like 1234.50.")
            raise ValueError(str(message)) from None


class ConfirmForm(FlaskForm):
    """An empty form that gives POST-only buttons their CSRF token."""


class VersionedForm(FlaskForm):
    """An edit form that carries the record's version back (see ``portal.concurrency``)."""

    version = HiddenField()


class BoundedSelectMultipleField(_StopOnBadInput, SelectMultipleField):
    """Several ids at once, each through the bounded conversion."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("coerce", bounded_int)
        super().__init__(label, validators, **kwargs)
