"""Malformed and hostile workbooks and CSV files, posted to every importer (#17 items 4 and 6).

Whatever the file, the answer is a page with a message: never a server error, and nothing is written. A
file whose size is hostile (a cell at XFD1048576, a zip bomb, too many cells or rows) is refused before
openpyxl parses it: `load_workbook` is replaced by a fake that records any call.
"""

import io
import re
import zipfile
from functools import cache

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from apps.core import imports
from apps.enterprises.importers import EnterpriseImporter
from apps.enterprises.models import Enterprise
from apps.investment.importers import LeadImporter
from apps.investment.models import Lead
from apps.projects.importers import MonthlyInvestmentImporter, ProjectImporter
from apps.projects.models import MonthlyReport, Project, YearPlan
from apps.research.importers import CarrierImporter, ResultImporter
from apps.research.models import Carrier, Result

from ..conftest import client_for

pytestmark = pytest.mark.django_db

IMPORTERS = {
    "/enterprises/import/": EnterpriseImporter,
    "/investment/leads/import/": LeadImporter,
    "/projects/import/": ProjectImporter,
    "/projects/monthly/import/": MonthlyInvestmentImporter,
    "/research/results/import/": ResultImporter,
    "/research/carriers/import/": CarrierImporter,
}
SHEET = "xl/worksheets/sheet1.xml"
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _headers(importer) -> list[str]:
    return [c.header for c in importer.columns]


@cache
def base_workbook(importer) -> bytes:
    """A good workbook for this importer as openpyxl saves it: headers and the template's example row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(_headers(importer))
    sheet.append([c.example for c in importer.columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(content: bytes, changes: dict) -> bytes:
    """The archive with parts replaced (bytes) or removed (None)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in changes:
                if changes[info.filename] is not None:
                    target.writestr(info.filename, changes[info.filename])
            else:
                target.writestr(info.filename, source.read(info.filename))
        for name, value in changes.items():
            if value is not None and name not in source.namelist():
                target.writestr(name, value)
    return buffer.getvalue()


def part(content: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(content)).read(name)


def edit_sheet(content: bytes, change) -> bytes:
    return rezip(content, {SHEET: change(part(content, SHEET).decode()).encode()})


def sheet_xml(cells: str, dimension: str = "A1:A1") -> bytes:
    return (
        f'<worksheet {MAIN}><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'
    ).encode()


def with_cells(cells: str, dimension: str = "A1:A1"):
    """The base workbook whose sheet holds only the given cells (inline strings, no shared strings)."""
    return lambda base: rezip(base, {SHEET: sheet_xml(cells, dimension)})


def _set_sheet(base: bytes, xml: bytes) -> bytes:
    return rezip(base, {SHEET: xml})


def _inline(ref: str, text: str = "x") -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


# --- The malformed files: (name, builder from the importer's good workbook) ------------------------------

MALFORMED = {
    "truncated sheet xml": lambda b: _set_sheet(b, part(b, SHEET)[: len(part(b, SHEET)) // 2]),
    "truncated workbook xml": lambda b: rezip(b, {"xl/workbook.xml": part(b, "xl/workbook.xml")[:200]}),
    "styles not xml": lambda b: rezip(b, {"xl/styles.xml": b"<styleSheet><numFmts count="}),
    "styles of the wrong shape": lambda b: rezip(
        b,
        {
            "xl/styles.xml": f'<styleSheet {MAIN}><cellXfs count="1"><xf numFmtId="x" fontId="y"/>'
            "</cellXfs></styleSheet>".encode()
        },
    ),
    "no sheets": lambda b: rezip(
        b, {"xl/workbook.xml": re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", part(b, "xl/workbook.xml"))}
    ),
    "missing sheet part": lambda b: rezip(b, {"xl/worksheets/sheet1.xml": None}),
    "missing workbook part": lambda b: rezip(b, {"xl/workbook.xml": None}),
    "shared string index out of range": lambda b: edit_sheet(
        b, lambda x: re.sub(r'<c r="A2"[^>]*>.*?</c>', '<c r="A2" t="s"><v>99999</v></c>', x, count=1)
    ),
    "style index out of range": lambda b: edit_sheet(
        b, lambda x: x.replace('<c r="A2"', '<c r="A2" s="999"', 1)
    ),
    "date beyond the calendar": lambda b: edit_sheet(
        b, lambda x: re.sub(r'<c r="A2"[^>]*>.*?</c>', '<c r="A2" s="1"><v>1e300</v></c>', x, count=1)
    ),
    "bad cell reference": lambda b: edit_sheet(b, lambda x: x.replace('r="A2"', 'r="2A"', 1)),
    "doctype with entities": lambda b: _set_sheet(
        b,
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        + sheet_xml(_inline("A1", "&b;")),
    ),
    "truncated archive": lambda b: b[: len(b) // 2],
    "not a zip": lambda b: b"PK\x03\x04" + b"\x00" * 200,
    "a zip without a workbook": lambda b: _zip({"hello.txt": b"hi"}),
    "formula": lambda b: edit_sheet(
        b, lambda x: x.replace('<c r="A2"', '<c r="A2"><f>1+1</f></c><c r="Z99"', 1)
    ),
    "merged cells": lambda b: edit_sheet(
        b,
        lambda x: x.replace(
            "</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="A2:B2"/></mergeCells>'
        ),
    ),
}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in members.items():
            archive.writestr(name, value)
    return buffer.getvalue()


def _zip_bomb(b: bytes) -> bytes:
    return rezip(b, {"xl/media/padding.bin": b"\0" * (2 * 1024 * 1024)})  # the limit is set to 1 MB


def _many_members(b: bytes) -> bytes:
    return rezip(
        b, {f"xl/extra/{n}.xml": b"<a/>" for n in range(getattr(imports, "XLSX_MAX_MEMBERS", 500) + 1)}
    )


def _many_rows(b: bytes) -> bytes:  # IMPORT_MAX_ROWS is 5 in these tests
    return _set_sheet(b, sheet_xml("".join(f'<row r="{n}">{_inline(f"A{n}")}</row>' for n in range(1, 9))))


def _many_cells(b: bytes) -> bytes:  # empty styled cells count too: (5 + 1) × 20 at most
    cells = "".join(f'<c r="{chr(65 + n % 26)}{n // 26 + 1}" s="0"/>' for n in range(200))
    return _set_sheet(b, sheet_xml(_inline("A1") + cells.replace('<c r="A1" s="0"/>', "", 1)))


# Refused on sight: openpyxl never sees them.
HOSTILE = {
    "a cell at XFD200": lambda b: _set_sheet(b, sheet_xml(_inline("A1") + _inline("XFD200"), "A1:XFD200")),
    "a cell at XFD1048576": lambda b: _set_sheet(
        b, sheet_xml(_inline("A1") + _inline("XFD1048576"), "A1:XFD1048576")
    ),
    "a value at A1048576 under a small dimension": lambda b: _set_sheet(
        b, sheet_xml(_inline("A1") + _inline("A1048576"), "A1:A2")
    ),
    "a value at column CW+1 under no dimension": lambda b: _set_sheet(
        b, sheet_xml(_inline("A1") + _inline("CX2"), "A1")
    ),
    "a declared dimension of the whole sheet": lambda b: _set_sheet(
        b, sheet_xml(_inline("A1") + _inline("B2"), "A1:XFD1048576")
    ),
    "a zip bomb": _zip_bomb,
    "too many archive members": _many_members,
    "too many rows": _many_rows,
    "too many cells": _many_cells,
}

CSV = {
    "empty": b"",
    "whitespace only": b" \r\n\t \n",
    "header only": None,  # built from the importer's headers
    "missing columns": "名称\r\nx\r\n".encode(),
    "unknown column": None,
    "duplicate columns": None,
    "nul bytes": b"a,b\x00c\r\n1,2\r\n",
    "a field past the csv module's limit": b"a\r\n" + b'"' + b"x" * 200_000 + b'"\r\n',
    "thousands of duplicate headers": ("项目编码," * 5000).encode() + b"\r\n1\r\n",
    "values past the column limit": b"a\r\n" + b"," * 150 + b"x\r\n",
    "too many blank-separated rows": None,
    "gb18030 with a bad row": None,
    "the same row twice": None,
    "a file over the size limit": None,
}


def _csv_for(case: str, importer) -> bytes:
    headers = _headers(importer)
    example = [c.example for c in importer.columns]
    line = lambda cells: ",".join(f'"{c}"' for c in cells) + "\r\n"  # noqa: E731
    built = {
        "header only": "\ufeff" + line(headers),
        "unknown column": line([*headers, "备注"]) + line([*example, "x"]),
        "duplicate columns": line([*headers, headers[0]]) + line([*example, example[0]]),
        "too many blank-separated rows": line(headers)
        + "".join(line(example) + "\r\n,,,\r\n" for _ in range(9)),
        "gb18030 with a bad row": line(headers) + line(["，" * 3] * len(headers)),
        "the same row twice": line(headers) + line(example) + line(example),
        "a file over the size limit": line(headers) + line(example) * 1000,
    }
    text = built.get(case)
    if text is None:
        return CSV[case]
    return text.encode("gb18030" if case == "gb18030 with a bad row" else "utf-8")


# --- The checks ------------------------------------------------------------------------------------------


def _written() -> tuple:
    return (
        Enterprise.objects.count(),
        Lead.objects.count(),
        Project.objects.count(),
        YearPlan.objects.count(),
        MonthlyReport.objects.count(),
        Result.objects.count(),
        Carrier.objects.count(),
    )


@pytest.fixture
def poster(admin_user, settings):
    settings.IMPORT_MAX_ROWS = 5
    settings.IMPORT_MAX_BYTES = 64 * 1024
    client = client_for(admin_user)

    def post_everywhere(build, name):
        """Post the file to every importer's preview and commit it directly; return the answers."""
        answers = {}
        for url, importer in IMPORTERS.items():
            content = build(importer)
            before = _written()
            response = client.post(url, {"file": SimpleUploadedFile(name, content)})
            assert response.status_code == 200, (url, response.status_code)
            report = response.context["report"]
            messages = [
                *report.file_errors,
                *(m for r in report.error_rows for ms in r.errors.values() for m in ms),
            ]
            assert messages and all(str(m).strip() for m in messages), url
            assert not report.ok, url
            committed = importer(admin_user).commit(SimpleUploadedFile(name, content))
            assert not committed.ok and (committed.created, committed.updated) == (0, 0), url
            assert _written() == before, url
            answers[url] = messages
        return answers

    return post_everywhere


@pytest.mark.parametrize("case", MALFORMED)
def test_a_malformed_workbook_gets_a_message_on_every_importer_and_writes_nothing(poster, case):
    poster(lambda importer: MALFORMED[case](base_workbook(importer)), "file.xlsx")


@pytest.fixture
def no_parsing(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("openpyxl.load_workbook called on a hostile file")

    monkeypatch.setattr(imports, "load_workbook", refuse)
    monkeypatch.setattr("openpyxl.load_workbook", refuse)
    return calls


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_workbook_is_refused_before_it_is_parsed(poster, no_parsing, monkeypatch, case):
    if case == "a zip bomb":
        monkeypatch.setattr(imports, "XLSX_MAX_UNCOMPRESSED", 1024 * 1024, raising=False)
    answers = poster(lambda importer: HOSTILE[case](base_workbook(importer)), "file.xlsx")
    assert no_parsing == []
    assert all(len(messages) == 1 for messages in answers.values()), answers


def test_the_limits_leave_a_good_workbook_readable(poster, admin_user):
    """The same machinery reads the example row of every template (the fakes above are not in play)."""
    for importer in IMPORTERS.values():
        headers, rows = imports.read_table(SimpleUploadedFile("f.xlsx", base_workbook(importer)))
        assert headers == _headers(importer)
        assert [number for number, _raw in rows] == [2]


@pytest.mark.parametrize("case", CSV)
def test_a_bad_csv_gets_a_message_on_every_importer_and_writes_nothing(poster, case):
    poster(lambda importer: _csv_for(case, importer), "file.csv")
