"""One import pipeline for every bulk upload (enterprises now; projects, investment and leads later).

A file (.xlsx, or .csv in UTF-8 with or without BOM, or GB18030) is read into rows keyed by header,
every row is checked by the importer's columns and `clean_row`, and only a file without a single error
can be committed, in one transaction. A dry run shows what would be created and updated.

An importer subclass declares `columns`, the `key` column that identifies an existing record, and
implements `clean_row` (per-row rules beyond the column parsers) and `save` (bulk writes).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from .exports import xlsx_bytes

_FULLWIDTH = str.maketrans("０１２３４５６７８９．－，", "0123456789.-,")
_INVISIBLE = re.compile("[\u0000\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, empty, bad headers…)."""


def clean_text(value: Any) -> str:
    """Cell text without NUL, zero-width and bidi control characters, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    return _INVISIBLE.sub("", str(value)).strip()


def halfwidth(text: str) -> str:
    """Full-width digits, point, minus and comma (as Chinese input methods type them) in ASCII."""
    return text.translate(_FULLWIDTH)


# --- Column parsers: each takes the cleaned text (never empty) and returns a value or raises ---------


def parse_decimal(
    text: str, *, min_value: Decimal | None = Decimal(0), max_value: Decimal | None = None
) -> Decimal:
    normalized = halfwidth(text).replace(",", "").replace(" ", "")
    try:
        value = Decimal(normalized)
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text}) from None
    if not value.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": text})
    if min_value is not None and value < min_value:
        raise ValidationError(_("Must be at least %(min)s.") % {"min": min_value})
    if max_value is not None and value > max_value:
        raise ValidationError(_("Must be at most %(max)s.") % {"max": max_value})
    return value


def parse_date(text: str) -> date:
    normalized = halfwidth(text).replace("/", "-").replace(".", "-")
    normalized = re.sub(r"(\d{4})年(\d{1,2})月(\d{1,2})日?", r"\1-\2-\3", normalized)
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in normalized.split(" ")[0].split("-")))
    except ValueError:
        raise ValidationError(_("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": text}) from None


_YES = {"是", "y", "yes", "true", "1", "√", "重点"}
_NO = {"否", "n", "no", "false", "0", "×", ""}


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise ValidationError(_("Enter 是 or 否, not “%(value)s”.") % {"value": text})


def choice_parser(choices) -> Callable[[str], str]:
    """Accept either the stored value or the (translated) label of a TextChoices."""

    def parse(text: str) -> str:
        for value, label in choices:
            if text == value or text == str(label) or text.upper() == str(value).upper():
                return value
        # Labels in both languages, whatever language the uploader uses.
        from django.utils import translation

        for language in ("zh-hans", "en"):
            with translation.override(language):
                for value, label in choices:
                    if text == str(label):
                        return value
        raise ValidationError(_("“%(value)s” is not one of the allowed values.") % {"value": text})

    return parse


@dataclass
class Column:
    header: str
    field: str
    required: bool = False
    parse: Callable[[str], Any] | None = None
    max_length: int | None = None
    example: str = ""


@dataclass
class RowResult:
    number: int  # the row number in the file (the header is row 1)
    raw: dict[str, str]
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    action: str = ""  # "create" or "update" once checked

    def add_error(self, header: str, message: str) -> None:
        self.errors.setdefault(header, []).append(str(message))


@dataclass
class ImportReport:
    rows: list[RowResult]
    file_errors: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def error_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.error_rows and bool(self.rows)

    @property
    def to_create(self) -> int:
        return sum(1 for row in self.rows if row.action == "create")

    @property
    def to_update(self) -> int:
        return sum(1 for row in self.rows if row.action == "update")


class Importer:
    """Subclass per record type; see the module docstring."""

    title = gettext_lazy("Import")
    template_name = "import"
    columns: list[Column] = []
    key: str = ""  # the header whose value identifies an existing record

    def __init__(self, user):
        self.user = user

    # --- to implement -------------------------------------------------------------------------------

    def prepare(self, rows: list[RowResult]) -> None:
        """Load in bulk what the rows refer to (existing records, units…) before rows are checked."""

    def clean_row(self, row: RowResult) -> None:
        """Cross-field and permission rules; set row.action to "create" or "update"."""
        row.action = "create"

    def save(self, rows: list[RowResult]) -> tuple[int, int]:
        """Write all rows (bulk); return (created, updated). Runs inside a transaction.

        A field whose optional column is not in the file is absent from row.data: keep its stored value.
        """
        raise NotImplementedError

    # --- the pipeline -------------------------------------------------------------------------------

    def template_bytes(self) -> bytes:
        return xlsx_bytes([c.header for c in self.columns], [[c.example for c in self.columns]])

    def check(self, uploaded) -> ImportReport:
        try:
            headers, raw_rows = read_table(uploaded)
            self._check_headers(headers)
        except ImportFileError as exc:
            return ImportReport(rows=[], file_errors=[str(exc)])
        rows = [RowResult(number=number, raw=raw) for number, raw in raw_rows]
        if not rows:
            return ImportReport(rows=[], file_errors=[_("The file has a header row but no data rows.")])
        if len(rows) > settings.IMPORT_MAX_ROWS:
            return ImportReport(
                rows=[],
                file_errors=[_("At most %(max)d rows per file.") % {"max": settings.IMPORT_MAX_ROWS}],
            )
        for row in rows:
            self._parse_columns(row)
        self._mark_duplicates(rows)
        self.prepare(rows)
        for row in rows:
            if not row.errors:
                self.clean_row(row)
        return ImportReport(rows=rows)

    def commit(self, uploaded) -> ImportReport:
        report = self.check(uploaded)
        if report.ok:
            with transaction.atomic():
                report.created, report.updated = self.save(report.rows)
        return report

    def _check_headers(self, headers: list[str]) -> None:
        known = {c.header for c in self.columns}
        duplicates = sorted({h for h in headers if headers.count(h) > 1 and h})
        if duplicates:
            raise ImportFileError(_("Duplicate columns: %(cols)s.") % {"cols": "、".join(duplicates)})
        missing = [c.header for c in self.columns if c.required and c.header not in headers]
        if missing:
            raise ImportFileError(_("Missing columns: %(cols)s.") % {"cols": "、".join(missing)})
        extra = [h for h in headers if h and h not in known]
        if extra:
            raise ImportFileError(
                _("Unknown columns: %(cols)s. Use the template's headers.") % {"cols": "、".join(extra)}
            )

    def _parse_columns(self, row: RowResult) -> None:
        """Fill row.data, leaving out optional columns missing from the file (`save` keeps those values)."""
        for column in self.columns:
            if column.header not in row.raw:
                continue
            text = row.raw[column.header]
            if not text:
                if column.required:
                    row.add_error(column.header, _("This value is required."))
                else:
                    row.data[column.field] = None
                continue
            if column.max_length and len(text) > column.max_length:
                row.add_error(
                    column.header,
                    _("At most %(max)d characters (this has %(count)d).")
                    % {"max": column.max_length, "count": len(text)},
                )
                continue
            try:
                row.data[column.field] = column.parse(text) if column.parse else text
            except ValidationError as exc:
                for message in exc.messages:
                    row.add_error(column.header, message)

    def _mark_duplicates(self, rows: list[RowResult]) -> None:
        if not self.key:
            return
        seen: dict[str, int] = {}
        for row in rows:
            value = row.raw.get(self.key, "").upper()
            if not value:
                continue
            if value in seen:
                row.add_error(self.key, _("Same as row %(row)d.") % {"row": seen[value]})
            else:
                seen[value] = row.number


def read_table(uploaded) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Headers and (row number, {header: text}) for every non-blank row of an .xlsx or .csv file."""
    size = getattr(uploaded, "size", None)
    if size is not None and size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    content = uploaded.read(settings.IMPORT_MAX_BYTES + 1)
    if len(content) > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)d MB.") % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    name = (getattr(uploaded, "name", "") or "").lower()
    if content[:4] == b"PK\x03\x04":
        table = _read_xlsx(content)
    elif name.endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportFileError(_("This is not a valid .xlsx file."))
    elif name.endswith((".csv", ".txt")) or not name:
        table = _read_csv(content)
    else:
        raise ImportFileError(_("Upload an .xlsx or .csv file."))
    if not table:
        raise ImportFileError(_("The file is empty."))
    header_row = table[0][1]
    headers = [clean_text(h) for h in header_row]
    while headers and not headers[-1]:
        headers.pop()
    if not any(headers):
        raise ImportFileError(_("The first row must hold the column headers."))
    rows = []
    for number, cells in table[1:]:
        values = [clean_text(v) for v in cells]
        if not any(values):
            continue
        if len(values) > len(headers) and any(values[len(headers) :]):
            raise ImportFileError(
                _("Row %(row)d has values beyond the last column header.") % {"row": number}
            )
        rows.append((number, {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers) if h}))
    return headers, rows


def _read_csv(content: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte sequence that got this far
        raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 text."))
    if "\x00" in text:
        raise ImportFileError(_("The CSV file contains binary data."))
    try:
        return [(i, row) for i, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)]
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


def _read_xlsx(content: bytes) -> list[tuple[int, list[Any]]]:
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportFileError(_("This is not a valid .xlsx file.")) from None
    sheet = workbook.worksheets[0]
    merged = [str(r) for r in sheet.merged_cells.ranges]
    if merged:
        raise ImportFileError(
            _("Merged cells are not allowed (%(ranges)s): unmerge them and fill every cell.")
            % {"ranges": ", ".join(merged[:5])}
        )
    table = []
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        values = []
        for cell in cells:
            if cell.data_type == "f":
                raise ImportFileError(
                    _("Cell %(cell)s holds a formula: paste values only.")
                    % {"cell": f"{get_column_letter(cell.column)}{number}"}
                )
            values.append(cell.value)
        table.append((number, values))
    return table


def error_report_bytes(report: ImportReport) -> bytes:
    """The errors by row and column, as a spreadsheet the uploader can fix from."""
    rows = [[_("file"), "", message] for message in report.file_errors]
    for row in report.error_rows:
        for header, messages in row.errors.items():
            rows.extend([row.number, header, message] for message in messages)
    return xlsx_bytes([_("row"), _("column"), _("error")], rows)


__all__ = [
    "Column",
    "ImportFileError",
    "ImportReport",
    "Importer",
    "RowResult",
    "choice_parser",
    "clean_text",
    "error_report_bytes",
    "halfwidth",
    "parse_bool",
    "parse_date",
    "parse_decimal",
    "read_table",
]
