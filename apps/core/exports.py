"""Excel export of list rows, safe against spreadsheet formula injection."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from types import SimpleNamespace
from typing import Any

from django.http import HttpResponse, QueryDict
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


# --- Exports too large for a request: a job with a progress page ----------------------------------------
#
# A list registers a sheet builder under a name (`@sheet("service.requests")`); its export view calls
# `export_response(request, name)`: up to EXPORT_DIRECT_MAX rows are answered at once, as before; more are
# written by a background job (apps/core/tasks.py, export_run) while the user watches its progress page, and
# the file is served to that user only. The builder runs again in the job, as the user, with the same filters.


@dataclass(frozen=True)
class Sheet:
    filename_stem: str
    headers: Sequence[str]
    queryset: Any  # the rows, already limited to what the user may open
    row: Callable[[Any], Sequence]
    title: str = ""  # the job's title on its progress page


_sheets: dict[str, Callable[[Any], Sheet]] = {}


def sheet(name: str):
    """Register `builder(request) -> Sheet`, where request has `.user` and `.GET` (in a job: a stand-in)."""

    def register(builder):
        _sheets[name] = builder
        return builder

    return register


def build_sheet(name: str, *, user, query: str) -> Sheet:
    return _sheets[name](SimpleNamespace(user=user, GET=QueryDict(query), method="GET"))


def export_response(request, name: str, *, back: str = "") -> HttpResponse:
    """The registered sheet `name` for this request's user and filters: the file itself, or (more than
    EXPORT_DIRECT_MAX rows) a redirect to a new job's progress page, whose "Continue" leads to `back`."""
    from django.conf import settings
    from django.shortcuts import redirect

    from apps.jobs.services import job_start

    from .tasks import export_run
    from .views import count_upto

    built = _sheets[name](request)
    limit = settings.EXPORT_DIRECT_MAX
    if count_upto(built.queryset, limit, 10) <= limit:
        rows = (built.row(obj) for obj in built.queryset.iterator(chunk_size=2000))
        return xlsx_response(built.filename_stem, built.headers, rows)
    job = job_start(user=request.user, title=built.title or built.filename_stem, next_url=back)
    export_run.enqueue(job_id=str(job.pk), sheet=name, query=request.GET.urlencode())
    return redirect("jobs:detail", pk=job.pk)
