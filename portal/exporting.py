"""Any list as an .xlsx file: a list declares its columns, the rows come from its own query.

Usage, from a list's route::

    COLUMNS = [Column(_l("Name"), lambda row: row.name, width=30),
               Column(_l("Amount"), lambda row: row.amount, MONEY_FORMAT)]
    return xlsx_response(_("Customers"), COLUMNS, rows)  # rows: any iterable, consumed once

The list passes the same filtered, scoped query its page shows (typically its keyset pages
walked to the end, so exactly the current view and nothing outside the user's scope). Rows are
written with openpyxl's write-only mode, which spools them to disk, so memory stays flat however
long the list is; dates and amounts are real numbers with formats, not text. The header row is frozen
and filtered, columns have widths, and the file is named after the list and the day.

Text that a spreadsheet could take for a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return) is written as a text cell, never a formula (OWASP ASVS 1.2.10).
"""
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable, Iterable

from flask import abort, has_request_context, request, send_file
from flask_babel import format_datetime, gettext, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.access_log import ACCESS_LOG, record_access
from portal.company_settings import SettingDefinition, get_setting, register_setting
from portal.database import utcnow
from portal.models.access_log import EXPORT
from portal.rules.exports import DEFAULT_LEVELS, DETAILS, NAMES, columns_for_level, export_level
from portal.rules.followups import company_today

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "#,##0.00"
QUANTITY_FORMAT = "#,##0.###"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Font(bold=True)


@dataclass(frozen=True)
class Column:
    header: object  # a (lazy) translated label
    value: Callable  # row -> value
    number_format: str | None = None
    width: float = 14
    # Phones, mobiles, e-mail, WeChat: left out where the role's export right is "names".
    contact: bool = False


# The export right of each role (what a list carrying contact details exports for it).
EXPORT_RIGHT_HINT = _l("details: with phones, mobiles, e-mail and WeChat; names: without them; none: no such export.")
EXPORT_RIGHTS = {
    role: register_setting(SettingDefinition(
        f"exports.{role}", label, default=DEFAULT_LEVELS[role], group=ACCESS_LOG, max_length=10, hint=EXPORT_RIGHT_HINT,
    ))
    for role, label in (
        ("sales", _l("Exports of salespeople")),
        ("head", _l("Exports of department heads")),
        ("admin", _l("Exports of administrators")),
    )
}


def user_export_level(user) -> str:
    """``details``, ``names`` or ``none``: what exports carrying contact details give ``user``."""
    definition = EXPORT_RIGHTS.get(str(user.role))
    return export_level(user.role, get_setting(definition.key) if definition else None)


def export_right_note(user) -> str:
    """The sentence the export buttons show: what the user's export carries."""
    level = user_export_level(user)
    if level == DETAILS:
        return gettext("Your exports carry contact details.")
    if level == NAMES:
        return gettext("Your exports leave out phones, mobiles, e-mail and WeChat.")
    return gettext("Lists with contact details cannot be exported with your role.")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _cell(sheet, value, number_format: str | None):
    """The value itself where openpyxl writes it right as it is (plain text and numbers: the
    fast path), else a cell carrying its format or its text type."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value.startswith(FORMULA_TRIGGERS):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # text, even for "=…": never evaluated
        return cell
    if isinstance(value, datetime):
        # Shown in the company's time zone, written without one (Excel has no zones).
        value = to_user_timezone(value).replace(tzinfo=None)
        number_format = number_format or DATETIME_FORMAT
    elif isinstance(value, date):
        if number_format in (None, DATE_FORMAT):
            return value  # openpyxl gives a date this very format by itself: no cell object needed
        number_format = number_format or DATE_FORMAT
    if not number_format:
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = number_format
    return cell


def write_workbook(target, title: str, columns: list[Column], rows: Iterable) -> int:
    """Write ``rows`` under ``columns`` into ``target`` (a path or file); returns the row count."""
    return write_sheets(target, [(title, columns, rows)])[0]


def write_sheets(target, sheets, stamp: str = "", author: str = "") -> list[int]:
    """Several lists in one workbook: ``sheets`` are (title, columns, rows); the row counts.
    ``stamp`` (who exported it and when) goes into the document's properties and every sheet's
    printed footer, ``author`` into its author field."""
    workbook = Workbook(write_only=True)
    if stamp:
        workbook.properties.creator = author
        workbook.properties.lastModifiedBy = author
        workbook.properties.description = stamp
        workbook.properties.subject = stamp
    counts = [_write_sheet(workbook, title, columns, rows, stamp) for title, columns, rows in sheets]
    workbook.save(target)
    return counts


def _write_sheet(workbook, title, columns: list[Column], rows: Iterable, stamp: str = "") -> int:
    # Sheet titles: at most 31 characters, none of []:*?/\
    safe_title = "".join(" " if character in "[]:*?/\\" else character for character in str(title))[:31]
    sheet = workbook.create_sheet(title=safe_title)
    if stamp:
        sheet.oddFooter.center.text = stamp.replace("&", "&&")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = _BOLD
        header.append(cell)
    sheet.append(header)
    count = 0
    getters = [(column.value, column.number_format) for column in columns]
    for row in rows:
        sheet.append([_cell(sheet, value(row), number_format) for value, number_format in getters])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    return count


def xlsx_response(list_name, columns: list[Column], rows: Iterable):
    """The download of ``rows`` as ``<list name>-<date>.xlsx``. The rows are spooled to disk by
    openpyxl while written; only the finished, compressed file is held (about 5 MB at 100,000)."""
    return write_sheets_response(list_name, [(list_name, columns, rows)])


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def write_sheets_response(list_name, sheets):
    """The download of a workbook of several sheets (see ``write_sheets``) as ``<name>-<date>.xlsx``,
    each sheet's columns as the user's export right allows (403 where it allows no such export),
    stamped with who exported it and when, and recorded in the access log."""
    level = user_export_level(current_user)
    allowed = []
    for title, columns, rows in sheets:
        kept = columns_for_level(columns, level)
        if kept is None:
            abort(403)
        allowed.append((title, kept, rows))
    buffer = io.BytesIO()
    counts = write_sheets(buffer, allowed, export_stamp(current_user), current_user.display_name)
    return xlsx_file_response(buffer.getvalue(), f"{list_name}-{company_today().isoformat()}.xlsx", sum(counts))


def export_stamp(user) -> str:
    """"Exported by <name> (<username>) at <time>": the line a leaked file is traced by."""
    return gettext("Exported by %(name)s (%(username)s) at %(time)s", name=user.display_name, username=user.username,
                   time=format_datetime(utcnow(), "yyyy-MM-dd HH:mm"))


def xlsx_file_response(data: bytes, filename: str, row_count: int | None = None, *, record: bool = True):
    """A finished workbook (a formatted report built by its area) as a download named ``filename``;
    the export is recorded in the access log (the list's address, its filter and its rows) unless
    ``record`` is false (a blank template holds no data)."""
    if record and has_request_context() and current_user.is_authenticated:
        record_access(EXPORT, target=request.path, filters=request.query_string.decode("utf-8", "replace"),
                      row_count=row_count, at_once=True)
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


def keyset_rows(fetch_page, page_size: int = 5000):
    """Every row of a keyset-paginated list: ``fetch_page(after, page_size)`` returns
    ``(rows, next_cursor)``; pages are read one at a time, so only one is in memory."""
    after = None
    while True:
        rows, after = fetch_page(after, page_size)
        yield from rows
        if not after:
            return
