"""The access log's list (by person and day) and its export; nothing here changes a row."""
from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.access import roles_required
from portal.access_log import flush_access_log
from portal.blueprints.access_log import bp
from portal.blueprints.access_log.queries import LogFilters, log_page, people_for
from portal.exporting import DATETIME_FORMAT, Column, xlsx_response
from portal.models import Role
from portal.models.access_log import ACCESS_KINDS, CONTACTS, CUSTOMER_PAGE, EXPORT, PHONE
from portal.rendering import render_page_or_fragment, wants_fragment

LOG_ROLES = (Role.HEAD.value, Role.ADMIN.value)
ROWS_TARGET = "access-log-rows"
KIND_LABELS = {
    EXPORT: _l("Export"),
    CUSTOMER_PAGE: _l("Customer page"),
    CONTACTS: _l("Contact details"),
    PHONE: _l("Phone shown"),
}
assert set(KIND_LABELS) == set(ACCESS_KINDS)


def _before() -> int | None:
    try:
        value = int(request.args.get("before", ""))
    except ValueError:
        return None
    return value if 0 < value < 2**63 else None


@bp.route("/access-log")
@roles_required(*LOG_ROLES)
def index():
    """One day of the log in the user's scope (a head: their department), by person and kind."""
    flush_access_log()
    filters = LogFilters.from_args(request.args)
    rows, next_cursor = log_page(current_user, filters, _before())
    context = {"rows": rows, "next_cursor": next_cursor, "filters": filters, "kind_labels": KIND_LABELS}
    if not wants_fragment(ROWS_TARGET):
        context["people"] = people_for(current_user)
    response = render_page_or_fragment("access_log/index.html", "access_log/_rows.html", ROWS_TARGET, **context)
    if wants_fragment(ROWS_TARGET):
        response.headers["HX-Push-Url"] = url_for("access_log.index", **filters.as_args())
    return response


EXPORT_COLUMNS = [
    Column(_l("Time"), lambda row: row[0].created_at, DATETIME_FORMAT, width=18),
    Column(_l("Person"), lambda row: row.person, width=16),
    Column(_l("What"), lambda row: str(KIND_LABELS.get(row[0].kind, row[0].kind))),
    Column(_l("Page or list"), lambda row: row[0].target, width=40),
    Column(_l("Filter"), lambda row: row[0].filters, width=30),
    Column(_l("Rows"), lambda row: row[0].row_count),
    Column(_l("Address"), lambda row: row[0].address, width=16),
]


@bp.route("/access-log/export")
@roles_required(*LOG_ROLES)
def export():
    """The day's log as filtered on the page, within the user's scope, as an .xlsx file."""
    flush_access_log()
    filters = LogFilters.from_args(request.args)

    def rows():
        before = None
        while True:
            page, before = log_page(current_user, filters, before, page_size=5000)
            yield from page
            if not before:
                return

    return xlsx_response(_("Access log"), EXPORT_COLUMNS, rows())
