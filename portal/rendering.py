"""Page or fragment, decided in one place.

htmx 2 sends ``HX-Request`` on boosted navigation and history restores too, so a bare
``if htmx`` would serve a fragment where a whole page is wanted. A fragment is returned only when
the request targets the element the fragment fills.
"""
from datetime import datetime, timezone
from decimal import Decimal

from flask import g, make_response, render_template, request
from flask_babel import get_timezone

from portal.extensions import htmx


def wants_fragment(target_id: str) -> bool:
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return htmx.target == target_id


def render_page_or_fragment(page_template: str, fragment_template: str, target_id: str, status: int = 200, **context):
    """Render the fragment for an htmx request aimed at ``#target_id``, else the whole page."""
    template = fragment_template if wants_fragment(target_id) else page_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def form_status(form) -> int:
    """422 when a submitted form has errors (htmx is configured to swap it), else 200."""
    return 422 if request.method == "POST" and form.errors else 200


def _local(value: datetime) -> datetime:
    """An aware (or naive UTC) datetime in the user's time zone, looked up once per request: lists
    show a time on every row."""
    zone = g.get("_portal_timezone")
    if zone is None:
        zone = g._portal_timezone = get_timezone()
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone)


def day(value) -> str:
    """``YYYY-MM-DD``: a date as is, an aware datetime in the company's time zone.

    Cheaper than Babel's pattern formatting, which matters in lists of hundreds of rows.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value)
    return value.strftime("%Y-%m-%d")


def minute(value: datetime | None) -> str:
    """``YYYY-MM-DD HH:MM`` of an aware datetime in the company's time zone."""
    if value is None:
        return ""
    return _local(value).strftime("%Y-%m-%d %H:%M")


def money(value) -> str:
    """An amount in yuan with thousands separators and two decimals (12,345.60); blank for None."""
    if value is None:
        return ""
    return f"{value:,.2f}"


def quantity(value) -> str:
    """A quantity without trailing zeros (10, 2.5, 0.125); blank for None."""
    if value is None:
        return ""
    return format(Decimal(value).normalize(), "f")


def id_link(endpoint: str, argument: str, **values):
    """``link(record_id)``: the URL of ``endpoint`` (with ``values``) for one record's id as
    ``argument``, ``url_for`` run once for a list of rows and the id put in its place (an id needs
    no quoting); the same URL as ``url_for(endpoint, **values, argument=record_id)``."""
    from flask import url_for

    marker = 987654321987
    pattern = url_for(endpoint, **{**values, argument: marker})
    head, tail = pattern.split(str(marker), 1)
    return lambda record_id: f"{head}{record_id}{tail}"
