"""Reading an uploaded workbook safely: the checks before parsing, then rows as plain values.

Before openpyxl sees the file: it must be a ZIP package (an .xlsx), not an old .xls, a CSV or an
image; its declared uncompressed size and compression ratio must be sane (a zip bomb is refused
from its directory, without inflating anything); it must not carry macros. openpyxl then parses
the XML through defusedxml (entity bombs and external entities refuse), in read-only mode with
cached values only, so formulas are read as the values they had and never evaluated.
"""
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import load_workbook

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # all parts together, as the archive declares them
MAX_RATIO = 200  # uncompressed ÷ compressed, per part
MAX_PARTS = 2000
# Stop reading a sheet after this many empty rows in a row (a sheet "used" down to row 1,048,576).
EMPTY_RUN_LIMIT = 1000


class WorkbookError(ValueError):
    """Why a file cannot be read as a workbook: a short code the page turns into a message."""


def check_package(data: bytes, max_bytes: int) -> None:
    """Refuse what is not a plain .xlsx before parsing it (codes: empty, too_large, xls, not_xlsx,
    bomb, macros)."""
    if not data:
        raise WorkbookError("empty")
    if len(data) > max_bytes:
        raise WorkbookError("too_large")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookError("xls")
    if not data.startswith(b"PK\x03\x04"):
        raise WorkbookError("not_xlsx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise WorkbookError("not_xlsx") from None
    if len(parts) > MAX_PARTS or sum(part.file_size for part in parts) > MAX_UNCOMPRESSED:
        raise WorkbookError("bomb")
    for part in parts:
        if part.compress_size and part.file_size / part.compress_size > MAX_RATIO and part.file_size > 1024 * 1024:
            raise WorkbookError("bomb")
    names = {part.filename.lower() for part in parts}
    # A workbook's XML never declares a DTD; entity definitions are how entity bombs and external
    # entities begin, so a part that has one is refused before any parser sees it.
    for part in parts:
        if part.filename.lower().endswith((".xml", ".rels")):
            with archive.open(part) as handle:
                head = handle.read(64 * 1024)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise WorkbookError("unreadable")
    if "[content_types].xml" not in names or not any(name.startswith("xl/worksheets/") for name in names):
        raise WorkbookError("not_xlsx")
    if any(name.endswith("vbaproject.bin") for name in names):
        raise WorkbookError("macros")


def open_workbook(data: bytes, max_bytes: int):
    """The checked workbook, read-only with cached values (formulas are never evaluated)."""
    check_package(data, max_bytes)
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception:  # openpyxl and defusedxml raise many kinds for a broken or hostile file
        raise WorkbookError("unreadable") from None


def cell_text(value) -> str:
    """A cell as trimmed text in normal width (全角 letters and digits become half-width); numbers
    without a needless ".0"; dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return unicodedata.normalize("NFKC", str(value)).strip()


@dataclass
class SheetRows:
    headers: list[str]
    rows: list[tuple[int, dict]]  # (row number in the sheet, {header: raw value})


def read_sheet(sheet, known_headers: set[str], max_rows: int, progress=None) -> SheetRows:
    """The header row (the first non-empty row) and the non-empty rows under it, keyed by header.

    Reading stops after ``EMPTY_RUN_LIMIT`` empty rows in a row, or raises ``too_many_rows`` past
    ``max_rows`` data rows. Headers are matched after trimming and width folding; unknown headers
    are returned for the caller to name. ``progress()``, when given, is called for every row read."""
    headers: list[str] | None = None
    rows, empty_run = [], 0
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if progress is not None:
            progress()
        if not any(value is not None and (not isinstance(value, str) or value.strip()) for value in values):
            empty_run += 1
            if empty_run >= EMPTY_RUN_LIMIT:
                break
            continue
        empty_run = 0
        if headers is None:
            headers = [cell_text(value).rstrip("*") for value in values]
            continue
        rows.append((number, {header: value for header, value in zip(headers, values) if header}))
        if len(rows) > max_rows:
            raise WorkbookError("too_many_rows")
    return SheetRows(headers=[h for h in (headers or []) if h], rows=rows)
