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
import posixpath
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .exports import xlsx_bytes

_FULLWIDTH = str.maketrans("０１２３４５６７８９．－，", "0123456789.-,")
_INVISIBLE = re.compile("[\u0000\u200b\u200c\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


PROGRESS_EVERY = 500  # rows between two progress reports while an import is applied as a job


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

    def check(self, uploaded, progress: Callable[[int, int], None] | None = None) -> ImportReport:
        """`progress(done, total)` is told every PROGRESS_EVERY rows checked (an import applied as a job)."""
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
        for number, row in enumerate(rows, start=1):
            self._parse_columns(row)
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(number // 2, len(rows))  # parsing is the first half of the work, checking the second
        self._mark_duplicates(rows)
        self.prepare(rows)
        for row in rows:
            if not row.errors:
                self.clean_row(row)
        return ImportReport(rows=rows)

    def commit(self, uploaded, progress: Callable[[int, int], None] | None = None) -> ImportReport:
        report = self.check(uploaded, progress)
        if report.ok:
            if progress is not None:
                progress(len(report.rows) * 3 // 4, len(report.rows))  # checked; writing
            with transaction.atomic():
                report.created, report.updated = self.save(report.rows)
            if progress is not None:
                progress(len(report.rows), len(report.rows))
        return report

    def _check_headers(self, headers: list[str]) -> None:
        known = {c.header for c in self.columns}
        counts = Counter(h for h in headers if h)
        duplicates = sorted(h for h, n in counts.items() if n > 1)
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
    headers: list[str] | None = None
    rows = []
    for number, cells in table:  # streamed: blank rows are dropped as they come
        values = [clean_text(v) for v in cells]
        if headers is None:
            headers = values
            while headers and not headers[-1]:
                headers.pop()
            if not any(headers):
                raise ImportFileError(_("The first row must hold the column headers."))
            continue
        if not any(values):
            continue
        if len(values) > len(headers) and any(values[len(headers) :]):
            raise ImportFileError(
                _("Row %(row)d has values beyond the last column header.") % {"row": number}
            )
        if len(rows) >= settings.IMPORT_MAX_ROWS:
            raise ImportFileError(_("At most %(max)d rows per file.") % {"max": settings.IMPORT_MAX_ROWS})
        rows.append((number, {h: (values[i] if i < len(values) else "") for i, h in enumerate(headers) if h}))
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    return headers, rows


def _read_csv(content: bytes) -> Iterator[tuple[int, list[str]]]:
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
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if len(row) > MAX_COLUMNS:
                if any(cell.strip() for cell in row[MAX_COLUMNS:]):
                    raise ImportFileError(
                        _("Row %(row)d has more than %(max)d columns.") % {"row": number, "max": MAX_COLUMNS}
                    )
                row = row[:MAX_COLUMNS]
            yield number, row
    except csv.Error as exc:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": exc}) from None


# --- Reading the file: limits first, then values ------------------------------------------------------
#
# A workbook is checked before openpyxl parses it: the archive's members and their uncompressed sizes (the zip
# module never inflates a member past its declared size), then the first sheet's XML, streamed: its declared
# dimension, the rows, columns and cells that hold values, formulas, merged cells, and the styles and shared
# strings cells refer to. Only a workbook within every limit is read, in openpyxl's read-only (streaming)
# mode, and only over the area that holds values. Whatever openpyxl still cannot read (broken styles, a date
# beyond the calendar…) is the file's fault, answered with a message, never a server error.

XLSX_MAX_MEMBERS = 500  # a workbook saved by Excel or WPS has a few dozen parts
XLSX_MAX_UNCOMPRESSED = 100 * 1024 * 1024  # all parts together, as declared in the archive
XLSX_MAX_PART = 10 * 1024 * 1024  # a part read whole (workbook, relationships, styles)
MAX_COLUMNS = 100  # columns holding values (the widest template has 12)
DECLARED_MAX_COLUMNS = 1000  # the sheet's declared used range may reach past the values, not this far


def max_sheet_rows() -> int:
    """The last row number that may hold a value: the rows allowed, a header, and as many blank rows."""
    return 2 * settings.IMPORT_MAX_ROWS + 1


def max_cells() -> int:
    """Cells (with or without a value) the sheet may declare."""
    return (settings.IMPORT_MAX_ROWS + 1) * 20


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_NS = re.compile(r"^\{[^}]*\}")


def _local(tag: str) -> str:
    return _NS.sub("", tag)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _ref(text: str) -> tuple[int, int]:
    match = _CELL_REF.match(text.upper())
    if match is None:
        raise ImportFileError(_("This is not a valid .xlsx file."))
    return _column_number(match[1]), int(match[2])


def _xml_events(archive: zipfile.ZipFile, member: str, events=("start", "end")):
    """(event, element) while streaming a part of the archive; a document type declaration is refused."""
    parser = ET.XMLPullParser(events=events)
    with archive.open(member) as stream:
        first = True
        while chunk := stream.read(64 * 1024):
            if first and b"<!DOCTYPE" in chunk[:4096].upper():
                raise ImportFileError(_("This is not a valid .xlsx file."))
            first = False
            parser.feed(chunk)
            yield from parser.read_events()
    parser.close()
    yield from parser.read_events()


def _children(archive: zipfile.ZipFile, member: str, *, deep: bool = False) -> list:
    """The elements under a small part's root (every descendant if `deep`): the part is built as a tree,
    so it must be small."""
    if archive.getinfo(member).file_size > XLSX_MAX_PART:
        raise ImportFileError(_("This is not a valid .xlsx file."))
    root = None
    for _event, element in _xml_events(archive, member, events=("start",)):
        if root is None:
            root = element
    if root is None:
        return []
    return [e for e in root.iter() if e is not root] if deep else list(root)


@dataclass
class _SheetScan:
    title: str
    last_row: int = 0
    last_column: int = 0
    value_rows: int = 0


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str, int, int]:
    """The title and the part name of the workbook's first worksheet, and how many cell styles and shared
    strings the workbook holds (what a cell may refer to)."""
    names = set(archive.namelist())
    workbook = "xl/workbook.xml"
    if "_rels/.rels" in names:
        for rel in _children(archive, "_rels/.rels"):
            if rel.get("Type", "").endswith("/officeDocument"):
                workbook = rel.get("Target", workbook).lstrip("/")
    if workbook not in names:
        raise ImportFileError(_("This is not a valid .xlsx file."))
    folder = posixpath.dirname(workbook)
    rels_name = posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels")
    targets, parts = {}, {}
    if rels_name in names:
        for rel in _children(archive, rels_name):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if kind == "worksheet":
                targets[rel.get("Id")] = posixpath.normpath(path)
            elif kind in ("styles", "sharedStrings"):
                parts[kind] = posixpath.normpath(path)
    sheets = [
        element
        for element in _children(archive, workbook, deep=True)
        if _local(element.tag) == "sheet" and element.get(f"{{{_REL_NS}}}id") in targets
    ]
    if not sheets:
        raise ImportFileError(_("The workbook has no worksheet."))
    part = targets[sheets[0].get(f"{{{_REL_NS}}}id")]
    if part not in names:
        raise ImportFileError(_("The workbook's first sheet is missing from the file."))
    styles = parts.get("styles")
    cell_styles = 1  # without a styles part, openpyxl gives every cell the default style
    if styles in names:
        cell_xfs = [e for e in _children(archive, styles) if _local(e.tag) == "cellXfs"]
        cell_styles = sum(1 for e in cell_xfs[0] if _local(e.tag) == "xf") if cell_xfs else 0
    strings = parts.get("sharedStrings")
    shared_strings = 0
    if strings in names:
        for _event, element in _xml_events(archive, strings, events=("end",)):
            if _local(element.tag) == "si":
                shared_strings += 1
                element.clear()
    return sheets[0].get("name", ""), part, cell_styles, shared_strings


def _check_archive(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > XLSX_MAX_MEMBERS:
        raise ImportFileError(_("This is not a valid .xlsx file."))
    if sum(member.file_size for member in members) > XLSX_MAX_UNCOMPRESSED:
        raise ImportFileError(
            _("The workbook unpacks to more than %(mb)d MB: save only the table to import in a new file.")
            % {"mb": XLSX_MAX_UNCOMPRESSED // (1024 * 1024)}
        )


def _too_large(last_column: int, last_row: int) -> None:
    if last_column > MAX_COLUMNS:
        raise ImportFileError(
            _("The sheet has values in column %(column)s; at most %(max)d columns are read.")
            % {"column": get_column_letter(min(last_column, 16384)), "max": MAX_COLUMNS}
        )
    if last_row > max_sheet_rows():
        raise ImportFileError(
            _("The sheet has values in row %(row)d; at most %(max)d rows per file.")
            % {"row": last_row, "max": settings.IMPORT_MAX_ROWS}
        )


def _scan_sheet(
    archive: zipfile.ZipFile, title: str, part: str, cell_styles: int, shared_strings: int
) -> _SheetScan:
    """Stream the sheet's XML once: check its size, refuse formulas and merged cells, and check that every
    cell's style and shared string is one the workbook holds. A row is looked at when it ends (its cells
    are counted as they come, so a row of a million cells is refused before it is built)."""
    scan = _SheetScan(title=title)
    names: dict[str, str] = {}  # namespaced tag → local name
    state = {"row": 0}
    cells, cells_allowed = 0, max_cells()
    merged: list[str] = []
    for _event, element in _xml_events(archive, part, events=("end",)):
        tag = names.get(element.tag) or names.setdefault(element.tag, _local(element.tag))
        if tag == "c":
            cells += 1
            if cells > cells_allowed:
                raise ImportFileError(_("The sheet has more than %(max)d cells.") % {"max": cells_allowed})
        elif tag == "row":
            _scan_row(element, scan, state, names, cell_styles, shared_strings)
            element.clear()
        elif tag == "dimension":
            corners = (element.get("ref") or "A1").split(":")
            last_column, last_row = _ref(corners[-1])
            if last_column > DECLARED_MAX_COLUMNS or last_row > max_sheet_rows():
                raise ImportFileError(
                    _(
                        "The sheet's used range reaches %(cell)s: delete the rows and columns after the"
                        " table, save, and upload again."
                    )
                    % {"cell": corners[-1].upper()}
                )
        elif tag == "mergeCell":
            merged.append(element.get("ref", ""))
    if merged:
        raise ImportFileError(
            _("Merged cells are not allowed (%(ranges)s): unmerge them and fill every cell.")
            % {"ranges": ", ".join(merged[:5])}
        )
    return scan


def _scan_row(row, scan: _SheetScan, state: dict, names: dict, cell_styles: int, shared_strings: int) -> None:
    missing = ImportFileError(
        _("The workbook cannot be read: a cell refers to something the file does not contain.")
    )
    row_number = state["row"] = int(row.get("r") or state["row"] + 1)
    if row_number > max_sheet_rows():
        _too_large(0, row_number)
    column, has_value = 0, False
    for cell in row:
        style, reference = cell.get("s"), cell.get("r")
        if style is not None and not (style.isdigit() and int(style) < max(cell_styles, 1)):
            raise missing
        if reference:
            column, cell_row = _ref(reference)
            if cell_row != row_number:
                raise ImportFileError(_("This is not a valid .xlsx file."))
        else:
            column += 1
        value = False
        for child in cell:
            tag = names.get(child.tag) or names.setdefault(child.tag, _local(child.tag))
            if tag == "f":
                raise ImportFileError(
                    _("Cell %(cell)s holds a formula: paste values only.")
                    % {"cell": f"{get_column_letter(min(max(column, 1), 16384))}{row_number}"}
                )
            if tag == "is":
                value = True
            elif tag == "v" and child.text:
                value = True
                if cell.get("t") == "s":
                    index = child.text.strip()
                    if not (index.isdigit() and int(index) < shared_strings):
                        raise missing
        if value:
            _too_large(column, row_number)
            scan.last_column = max(scan.last_column, column)
            has_value = True
    if has_value:
        scan.last_row = max(scan.last_row, row_number)
        scan.value_rows += 1
        if scan.value_rows > settings.IMPORT_MAX_ROWS + 1:
            raise ImportFileError(_("At most %(max)d rows per file.") % {"max": settings.IMPORT_MAX_ROWS})


def _read_xlsx(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    invalid = ImportFileError(_("This is not a valid .xlsx file."))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_archive(archive)
            scan = _scan_sheet(archive, *_first_sheet(archive))
    except ImportFileError:
        raise
    except Exception:  # a hostile or broken archive can fail in any of zipfile's and expat's ways
        raise invalid from None
    if not scan.last_row:
        return
    unreadable = ImportFileError(
        _("This workbook cannot be read: open it in Excel or WPS, save it again as .xlsx and upload that.")
    )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # broken styles, relationships, properties…: openpyxl's many ways to fail
        raise unreadable from None
    try:
        sheet = workbook[scan.title]
        rows = sheet.iter_rows(min_row=1, max_row=scan.last_row, max_col=scan.last_column, values_only=True)
        yield from enumerate(rows, start=1)
    except Exception:  # a number styled as a date beyond the calendar, anything else the scan let by
        raise unreadable from None
    finally:
        workbook.close()


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
