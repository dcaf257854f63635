"""Excel export of list rows, safe against spreadsheet formula injection."""

from collections.abc import Iterable, Sequence
from io import BytesIO

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def xlsx_bytes(
    headers: Sequence[str],
    rows: Iterable[Sequence],
    *,
    sheet_title: str = "Sheet1",
    title: str = "",
    widths: Sequence[float] = (),
) -> bytes:
    """A sheet of `rows` under a bold header row; with `title`, a bold title row above it. The header stays
    in view when scrolling (frozen panes) when there is a title or widths, i.e. a report rather than a list
    dump. Numbers stay numbers (give Decimal or int, not text), so that the sheet can sum and sort them."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    if title or widths:  # (a write-only sheet takes its panes before its first row)
        sheet.freeze_panes = f"A{3 if title else 2}"
    if title:
        title_cell = WriteOnlyCell(sheet, value=neutralise(title))
        title_cell.font = Font(bold=True, size=14)
        sheet.append([title_cell])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=str(header))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(
    filename_stem: str, headers: Sequence[str], rows: Iterable[Sequence], **layout
) -> HttpResponse:
    """`layout`: xlsx_bytes's sheet_title, title and widths."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(xlsx_bytes(headers, rows, **layout), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}-{stamp}.xlsx"'
    return response
