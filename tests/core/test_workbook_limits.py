"""Workbooks are measured before they are parsed (#17 item 6), and read as a stream.

The archive's declared sizes, the sheet's declared dimension and the rows, columns and cells that hold values
are checked by streaming the sheet's XML; only a workbook within every limit reaches openpyxl, in read-only
mode, over the area that holds values. Merged cells and formulas are still refused, from the sheet's XML.
"""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl.utils import get_column_letter

from apps.core import imports
from apps.core.imports import ImportFileError, read_table

MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
OPC = "application/vnd.openxmlformats-package.relationships+xml"
SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def excel_workbook(sheet_data: str, *, dimension: str = "A1:C3", merged: str = "", extra=None) -> bytes:
    """A workbook shaped as Excel saves it: shared strings, a date style, a declared dimension."""
    strings = ["项目编码", "月份", "金额", "A-001"]
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{PKG}/content-types"><Default Extension="rels" ContentType="{OPC}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(
                f'<Override PartName="/xl/{name}" ContentType="{SML}.{kind}+xml"/>'
                for name, kind in [
                    ("workbook.xml", "sheet.main"),
                    ("worksheets/sheet1.xml", "worksheet"),
                    ("styles.xml", "styles"),
                    ("sharedStrings.xml", "sharedStrings"),
                ]
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook {MAIN} xmlns:r="{REL}"><sheets><sheet name="月报" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet {MAIN}><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            f'<sst {MAIN} count="{len(strings)}">'
            + "".join(f"<si><t>{s}</t></si>" for s in strings)
            + "</sst>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet {MAIN}><dimension ref="{dimension}"/><sheetData>{sheet_data}</sheetData>'
            f"{merged}</worksheet>"
        ),
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text if isinstance(text, bytes) else text.encode())
    return buffer.getvalue()


GOOD = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
    '<row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3" s="1"><v>45323</v></c><c r="C3"><v>1250.5</v></c>'
    '<c r="D3" s="0"/></row>'
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("monthly.xlsx", content)


@pytest.fixture
def no_parsing(monkeypatch):
    """openpyxl must not see the file: the test fails if it is called."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("load_workbook called")

    monkeypatch.setattr(imports, "load_workbook", refuse)
    return calls


def refused(content: bytes, no_parsing) -> str:
    with pytest.raises(ImportFileError) as caught:
        read_table(upload(content))
    assert no_parsing == []
    return str(caught.value)


def test_an_excel_workbook_is_read_in_streaming_mode_with_its_shared_strings_and_dates(monkeypatch):
    seen = []
    real = imports.load_workbook

    def spy(*args, **kwargs):
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, "load_workbook", spy)
    headers, rows = read_table(upload(excel_workbook(GOOD)))
    assert headers == ["项目编码", "月份", "金额"]
    assert rows == [(3, {"项目编码": "A-001", "月份": "2024-02-01", "金额": "1250.5"})]
    assert seen == [{"read_only": True, "data_only": False}]


def test_a_cell_at_xfd200_is_refused_before_the_workbook_is_parsed(no_parsing):
    sheet = GOOD + '<row r="200"><c r="XFD200" t="s"><v>3</v></c></row>'
    message = refused(excel_workbook(sheet, dimension="A1:C3"), no_parsing)
    assert message == "The sheet has values in column XFD; at most 100 columns are read."


def test_a_cell_at_xfd1048576_is_refused_before_the_workbook_is_parsed(no_parsing):
    sheet = GOOD + '<row r="1048576"><c r="XFD1048576" t="s"><v>3</v></c></row>'
    message = refused(excel_workbook(sheet, dimension="A1:C3"), no_parsing)
    assert message == "The sheet has values in row 1048576; at most 50000 rows per file."


def test_a_declared_dimension_of_the_whole_sheet_is_refused(no_parsing):
    message = refused(excel_workbook(GOOD, dimension="A1:XFD1048576"), no_parsing)
    assert message == (
        "The sheet's used range reaches XFD1048576: delete the rows and columns after the table, save, "
        "and upload again."
    )


def test_empty_styled_cells_past_the_table_are_not_values(monkeypatch):
    sheet = GOOD + '<row r="4"><c r="CZ4" s="1"/></row>'
    headers, rows = read_table(upload(excel_workbook(sheet, dimension="A1:CZ4")))
    assert [number for number, _row in rows] == [3]


def test_too_many_value_rows_or_cells_are_refused_before_parsing(settings, no_parsing):
    settings.IMPORT_MAX_ROWS = 3
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>3</v></c></row>' for n in range(2, 7))
    assert refused(excel_workbook(GOOD[: GOOD.index('<row r="3">')] + rows), no_parsing) == (
        "At most 3 rows per file."
    )
    cells = "".join(f'<c r="{get_column_letter(n)}4"/>' for n in range(1, 100))  # empty, still cells
    assert refused(excel_workbook(GOOD + f'<row r="4">{cells}</row>'), no_parsing) == (
        "The sheet has more than 80 cells."
    )


def test_a_zip_bomb_is_refused_from_the_declared_sizes(monkeypatch, no_parsing):
    monkeypatch.setattr(imports, "XLSX_MAX_UNCOMPRESSED", 1024 * 1024, raising=False)
    bomb = excel_workbook(GOOD, extra={"xl/media/image1.png": b"\0" * (2 * 1024 * 1024)})
    assert len(bomb) < 20 * 1024
    assert refused(bomb, no_parsing) == (
        "The workbook unpacks to more than 1 MB: save only the table to import in a new file."
    )


def test_merged_cells_and_formulas_are_still_refused_from_the_sheets_xml(no_parsing):
    merged = '<mergeCells count="1"><mergeCell ref="A3:B3"/></mergeCells>'
    assert refused(excel_workbook(GOOD, merged=merged), no_parsing) == (
        "Merged cells are not allowed (A3:B3): unmerge them and fill every cell."
    )
    formula = GOOD.replace('<c r="C3"><v>1250.5</v></c>', '<c r="C3"><f>SUM(1,2)</f><v>3</v></c>')
    assert refused(excel_workbook(formula), no_parsing) == "Cell C3 holds a formula: paste values only."


def test_a_shared_string_or_style_the_workbook_lacks_is_refused(no_parsing):
    message = "The workbook cannot be read: a cell refers to something the file does not contain."
    assert refused(excel_workbook(GOOD.replace("<v>3</v>", "<v>4</v>")), no_parsing) == message
    assert refused(excel_workbook(GOOD.replace('s="1"', 's="2"')), no_parsing) == message


def test_a_csv_with_values_past_the_column_limit_is_refused():
    with pytest.raises(ImportFileError, match="Row 2 has more than 100 columns."):
        read_table(SimpleUploadedFile("f.csv", b"a,b\r\n" + b"," * 120 + b"x\r\n"))
    headers, rows = read_table(SimpleUploadedFile("f.csv", b"a,b\r\n1,2" + b"," * 120 + b"\r\n"))
    assert (headers, rows) == (["a", "b"], [(2, {"a": "1", "b": "2"})])


def test_thousands_of_blank_csv_lines_are_dropped_as_they_are_read(settings):
    settings.IMPORT_MAX_ROWS = 2
    headers, rows = read_table(SimpleUploadedFile("f.csv", b"a\r\n" + b"\r\n,\r\n" * 50_000 + b"1\r\n"))
    assert rows == [(100_002, {"a": "1"})]
