"""The performance sheet (业绩考核表) as a formatted workbook for HR: a summary worksheet with a row
per department, then one worksheet per department with a row per salesperson and a totals row.

Each worksheet has the company name and period in a title row, a frozen header row, number formats
for money (#,##0.00) and percentages, column widths that fit Chinese text, and is set up to print
landscape, fitted to the page width. Totals are written as values, the same the page shows. Only
salespeople's names appear: no customer names, phones or addresses.
"""
import io
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from portal.exporting import is_formula_like
from portal.rules.performance import total_of

MONEY = "#,##0.00"
PERCENT = "0.0%"
INTEGER = "#,##0"
DAYS = "0.0"
_TITLE = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="E8E8E8")


def columns() -> list[tuple[str, callable, str | None, float]]:
    """(header, value of a Metrics, number format, width) of the sheet, in order."""
    def percent(value):
        return None if value is None else float(value) / 100

    return [
        (_("New customers"), lambda m: m.new_customers, INTEGER, 10),
        (_("Follow-ups"), lambda m: m.follow_up_total, INTEGER, 10),
        (_("Quotes issued"), lambda m: m.quotes_issued, INTEGER, 10),
        (_("Quoted amount"), lambda m: m.quoted_amount, MONEY, 16),
        (_("Won"), lambda m: m.won, INTEGER, 8),
        (_("Lost"), lambda m: m.lost, INTEGER, 8),
        (_("Close rate"), lambda m: percent(m.close_rate), PERCENT, 10),
        (_("Lost-order rate"), lambda m: percent(m.lost_rate), PERCENT, 10),
        (_("Contracts"), lambda m: m.contracts, INTEGER, 8),
        (_("Deal amount"), lambda m: m.deal_amount, MONEY, 16),
        (_("Average deal"), lambda m: m.average_deal, MONEY, 14),
        (_("Collected"), lambda m: m.collected, MONEY, 16),
        (_("Collection rate"), lambda m: percent(m.collection_rate), PERCENT, 10),
        (_("Days to first deal"), lambda m: m.days_to_first_deal, DAYS, 10),
        (_("Target"), lambda m: m.target, MONEY, 16),
        (_("Attainment"), lambda m: percent(m.attainment), PERCENT, 10),
    ]


def _put(sheet, row: int, column: int, value, number_format=None, bold=False):
    if isinstance(value, Decimal):
        value = float(value)
    cell = sheet.cell(row=row, column=column)
    if value is None:
        cell.value = "—"
        cell.alignment = Alignment(horizontal="right")
    else:
        cell.value = value
        if isinstance(value, str) and is_formula_like(value):
            cell.data_type = "s"
        if number_format:
            cell.number_format = number_format
    if bold:
        cell.font = _BOLD
    return cell


def _write(sheet, title: str, first_header: str, rows, total) -> None:
    """Title row, header row (frozen), a row per (name, metrics), the totals row; print set-up."""
    spec = columns()
    sheet.cell(row=1, column=1, value=title).font = _TITLE
    sheet.append([])
    headers = [first_header] + [header for header, _value, _format, _width in spec]
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=3, column=index, value=header)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    row_number = 4
    for name, metrics in [*rows, (_("Total"), total)]:
        is_total = metrics is total
        _put(sheet, row_number, 1, name, bold=is_total)
        for index, (_header, value, number_format, _width) in enumerate(spec, start=2):
            _put(sheet, row_number, index, value(metrics), number_format, bold=is_total)
        row_number += 1
    sheet.freeze_panes = "B4"
    sheet.column_dimensions["A"].width = 18
    for index, (_header, _value, _format, width) in enumerate(spec, start=2):
        sheet.column_dimensions[sheet.cell(row=3, column=index).column_letter].width = width
    sheet.row_dimensions[3].height = 32
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "3:3"


def sheet_workbook(company: str, period, tables) -> bytes:
    """The workbook of ``tables`` ([(department, [(person, metrics)], totals)]) for ``period`` (the
    days shown: a running period ends today and its title says "to date")."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = _("Summary")[:31]
    span = f"{period.start.isoformat()} — {period.end.isoformat()}"
    if period.to_date:  # cut at today by ``up_to``: the period has not ended
        span = f"{span} {_('(to date)')}"
    _write(summary, f"{company} · {_('Performance sheet')} · {span}", _("Department"),
           [(department.name, totals) for department, _rows, totals in tables], total_of(t for _d, _r, t in tables))
    used = {summary.title}
    for department, rows, totals in tables:
        name = _safe_title(department.name, used)
        used.add(name)
        sheet = workbook.create_sheet(name)
        _write(sheet, f"{company} · {department.name} · {span}", _("Salesperson"),
               [(person.display_name, metrics) for person, metrics in rows], totals)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _safe_title(name: str, used: set) -> str:
    """A worksheet name Excel accepts (≤ 31 characters, none of []:*?/\\), unique in the book."""
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in name)[:28] or "_"
    title, number = cleaned, 2
    while title in used:
        title, number = f"{cleaned[:26]}-{number}", number + 1
    return title
