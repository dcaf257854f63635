"""The import pipeline (apps.core.imports) through the enterprise importer and its upload view.

Every bad file of quality.md gets a clear error and writes nothing; a good file writes every row, once.
"""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from apps.enterprises.credit_code import make_credit_code
from apps.enterprises.importers import EnterpriseImporter
from apps.enterprises.models import Contact, Enterprise

from ..conftest import client_for
from ..factories import ContactFactory, EnterpriseFactory

HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所属园区",
    "行业门类",
    "企业规模",
    "是否重点企业",
    "注册地址",
    "联系人",
    "联系电话",
]
CODES = [make_credit_code("9", "1", "320111", f"A{n:07d}") for n in range(1, 6)]
URL = "/enterprises/import/"


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert the messages in the source language, whatever translations exist."""
    settings.LANGUAGE_CODE = "en"


def row(code, name="南京示例科技有限公司", unit="产业技术研创园", **overrides):
    values = {
        "企业名称": name,
        "统一社会信用代码": code,
        "所属园区": unit,
        "行业门类": "C",
        "企业规模": "small",
        "是否重点企业": "否",
        "注册地址": "",
        "联系人": "",
        "联系电话": "",
        **overrides,
    }
    return [values[h] for h in HEADERS]


def xlsx(rows, headers=HEADERS, name="enterprises.xlsx", change=None) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    if change:
        change(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def csv_bytes(rows, headers=HEADERS, encoding="utf-8") -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


def csv_file(rows, headers=HEADERS, encoding="utf-8", name="enterprises.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows, headers, encoding))


def errors_by_row(report) -> dict[int, dict[str, list[str]]]:
    return {r.number: r.errors for r in report.error_rows}


def enterprises() -> list[tuple]:
    return list(
        Enterprise.objects.order_by("credit_code").values_list(
            "credit_code", "name", "unit__code", "industry", "size", "is_key", "address"
        )
    )


def contacts() -> list[tuple]:
    return list(
        Contact.objects.order_by("enterprise__credit_code").values_list(
            "enterprise__credit_code", "name", "mobile", "is_primary"
        )
    )


# --- good files ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_good_xlsx_creates_every_row_with_its_primary_contact(staff_a, unit_a):
    file = xlsx(
        [
            row(CODES[0], "南京甲科技有限公司", "产业技术研创园", 是否重点企业="是", 注册地址="江北新区1号"),
            row(
                CODES[1],
                "南京乙科技有限公司",
                "研创园",
                行业门类="I",
                企业规模="medium",
                联系人="张三",
                联系电话="138 1234-5678",
            ),
        ]
    )
    report = EnterpriseImporter(staff_a).commit(file)
    assert report.ok
    assert (report.created, report.updated, report.to_create, report.to_update) == (2, 0, 2, 0)
    assert enterprises() == [
        (CODES[0], "南京甲科技有限公司", "unit-a", "C", "small", True, "江北新区1号"),
        (CODES[1], "南京乙科技有限公司", "unit-a", "I", "medium", False, ""),
    ]
    assert contacts() == [(CODES[1], "张三", "13812345678", True)]


@pytest.mark.django_db
def test_check_is_a_dry_run_that_writes_nothing(staff_a, unit_a):
    report = EnterpriseImporter(staff_a).check(xlsx([row(CODES[0]), row(CODES[1])]))
    assert report.ok
    assert (report.to_create, report.to_update) == (2, 0)
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_lower_case_credit_code_is_stored_upper_case(staff_a, unit_a):
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0].lower())]))
    assert report.ok
    assert list(Enterprise.objects.values_list("credit_code", flat=True)) == [CODES[0]]


@pytest.mark.django_db
def test_utf8_csv_with_bom_imports(staff_a, unit_a):
    content = b"\xef\xbb\xbf" + csv_bytes([row(CODES[0], "南京丙科技有限公司")])
    report = EnterpriseImporter(staff_a).commit(SimpleUploadedFile("e.csv", content))
    assert report.file_errors == []
    assert report.ok
    assert enterprises() == [(CODES[0], "南京丙科技有限公司", "unit-a", "C", "small", False, "")]


@pytest.mark.django_db
def test_gb18030_csv_imports_with_chinese_names_intact(staff_a, unit_a):
    content = csv_bytes(
        [
            row(
                CODES[0],
                "南京江北新区生物医药有限公司",
                "产业技术研创园",
                注册地址="浦口区药谷大道",
                联系人="欧阳娜娜",
            )
        ],
        encoding="gb18030",
    )
    content.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    report = EnterpriseImporter(staff_a).commit(SimpleUploadedFile("e.csv", content))
    assert report.ok
    assert enterprises() == [
        (CODES[0], "南京江北新区生物医药有限公司", "unit-a", "C", "small", False, "浦口区药谷大道")
    ]
    assert contacts() == [(CODES[0], "欧阳娜娜", "", True)]


@pytest.mark.django_db
def test_zero_width_and_bidi_characters_are_stripped(staff_a, unit_a):
    file = xlsx(
        [row(f"\u200b{CODES[0][:9]}\u200d{CODES[0][9:]}\ufeff", "南京\u200b示例\u202e科技\u2066有限公司 ")]
    )
    report = EnterpriseImporter(staff_a).commit(file)
    assert report.ok
    assert enterprises() == [(CODES[0], "南京示例科技有限公司", "unit-a", "C", "small", False, "")]


@pytest.mark.django_db
def test_nul_byte_in_a_csv_is_a_clear_file_error(staff_a, unit_a):
    content = csv_bytes([row(CODES[0], "南京\x00示例科技有限公司")])
    report = EnterpriseImporter(staff_a).commit(SimpleUploadedFile("e.csv", content))
    assert report.file_errors == ["The CSV file contains binary data."]
    assert not report.ok
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mobile", ["１３８１２３４５６７８", "138１２３４５６７８", "１３８-１２３４-５６７８"]
)
def test_full_width_digits_in_the_phone_number_are_stored_as_ascii_digits(staff_a, unit_a, mobile):
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], 联系人="张三", 联系电话=mobile)]))
    assert report.ok, errors_by_row(report)
    assert contacts() == [(CODES[0], "张三", "13812345678", True)]


@pytest.mark.django_db
def test_english_labels_and_stored_values_of_choices_are_accepted(staff_a, unit_a):
    report = EnterpriseImporter(staff_a).commit(
        xlsx(
            [
                row(CODES[0], 行业门类="Manufacturing", 企业规模="Large"),
                row(CODES[1], 行业门类="i", 企业规模="MICRO"),
            ]
        )
    )
    # "Manufacturing" is not a label ("C Manufacturing" is); the stored value or the full label is needed.
    assert errors_by_row(report) == {2: {"行业门类": ["“Manufacturing” is not one of the allowed values."]}}
    report = EnterpriseImporter(staff_a).commit(
        xlsx(
            [
                row(CODES[0], 行业门类="C Manufacturing", 企业规模="Large"),
                row(CODES[1], 行业门类="i", 企业规模="MICRO"),
            ]
        )
    )
    assert report.ok
    assert [e[3:5] for e in enterprises()] == [("C", "large"), ("I", "micro")]


@pytest.mark.django_db
def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_file(staff_a, unit_a):
    file = xlsx([row(CODES[0]), ["", "", ""], row(CODES[1], 所属园区="")])
    report = EnterpriseImporter(staff_a).check(file)
    assert [r.number for r in report.rows] == [2, 4]
    assert errors_by_row(report) == {4: {"所属园区": ["This value is required."]}}


# --- re-imports ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_the_same_file_twice_updates_and_never_duplicates(staff_a, unit_a):
    rows = [row(CODES[0], "甲", 联系人="张三", 联系电话="13812345678"), row(CODES[1], "乙", 联系人="李四")]
    first = EnterpriseImporter(staff_a).commit(xlsx(rows))
    second = EnterpriseImporter(staff_a).commit(xlsx(rows))
    assert (first.created, first.updated) == (2, 0)
    assert (second.to_create, second.to_update) == (0, 2)
    assert (second.created, second.updated) == (0, 2)
    assert Enterprise.objects.count() == 2
    assert contacts() == [(CODES[0], "张三", "13812345678", True), (CODES[1], "李四", "", True)]


@pytest.mark.django_db
def test_reimport_changes_the_record_and_its_primary_contact_in_place(staff_a, unit_a):
    EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], "旧名", 联系人="张三", 联系电话="13812345678")]))
    pk = Enterprise.objects.get().pk
    report = EnterpriseImporter(staff_a).commit(
        xlsx(
            [
                row(
                    CODES[0],
                    "新名",
                    是否重点企业="是",
                    注册地址="新地址",
                    联系人="王五",
                    联系电话="13900000000",
                )
            ]
        )
    )
    assert (report.created, report.updated) == (0, 1)
    assert enterprises() == [(CODES[0], "新名", "unit-a", "C", "small", True, "新地址")]
    assert Enterprise.objects.get().pk == pk
    assert contacts() == [(CODES[0], "王五", "13900000000", True)]


@pytest.mark.django_db
def test_reimport_leaves_other_contacts_alone(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, credit_code=CODES[0])
    ContactFactory(enterprise=enterprise, name="旧主联系人", mobile="13700000000", is_primary=True)
    ContactFactory(enterprise=enterprise, name="副联系人", mobile="13600000000", is_primary=False)
    EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], 联系人="新主联系人", 联系电话="13500000000")]))
    assert sorted(Contact.objects.values_list("name", "mobile", "is_primary")) == [
        ("副联系人", "13600000000", False),
        ("新主联系人", "13500000000", True),
    ]


@pytest.mark.django_db
def test_reimport_without_optional_columns_keeps_their_stored_values(staff_a, unit_a):
    EnterpriseFactory(unit=unit_a, credit_code=CODES[0], name="旧名", is_key=True, address="江北新区1号")
    headers = ["企业名称", "统一社会信用代码", "所属园区", "行业门类", "企业规模"]
    report = EnterpriseImporter(staff_a).commit(xlsx([["新名", CODES[0], "研创园", "E", "large"]], headers))
    assert (report.created, report.updated) == (0, 1)
    assert enterprises() == [(CODES[0], "新名", "unit-a", "E", "large", True, "江北新区1号")]


@pytest.mark.django_db
def test_new_rows_without_optional_columns_get_the_defaults(staff_a, unit_a):
    headers = ["企业名称", "统一社会信用代码", "所属园区", "行业门类", "企业规模"]
    report = EnterpriseImporter(staff_a).commit(xlsx([["甲", CODES[0], "研创园", "E", "large"]], headers))
    assert (report.created, report.updated) == (1, 0)
    assert enterprises() == [(CODES[0], "甲", "unit-a", "E", "large", False, "")]
    assert contacts() == []


# --- bad files: a file error, nothing written ---------------------------------------------------------


def _commit_file_error(user, file) -> list[str]:
    report = EnterpriseImporter(user).commit(file)
    assert not report.ok
    assert report.rows == []
    assert Enterprise.objects.count() == 0
    return report.file_errors


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n  ", b"\xef\xbb\xbf"])
def test_empty_csv_is_a_file_error(staff_a, content):
    assert _commit_file_error(staff_a, SimpleUploadedFile("e.csv", content)) == ["The file is empty."]


@pytest.mark.django_db
def test_empty_xlsx_is_a_file_error(staff_a):
    assert _commit_file_error(staff_a, xlsx([], headers=[])) == ["The file is empty."]


@pytest.mark.django_db
@pytest.mark.parametrize("file", [lambda: xlsx([]), lambda: csv_file([])], ids=["xlsx", "csv"])
def test_header_only_file_is_a_file_error(staff_a, file):
    assert _commit_file_error(staff_a, file()) == ["The file has a header row but no data rows."]


@pytest.mark.django_db
def test_missing_required_columns_are_named(staff_a, unit_a):
    headers = [h for h in HEADERS if h not in ("统一社会信用代码", "企业规模")]
    values = [v for h, v in zip(HEADERS, row(CODES[0]), strict=True) if h in headers]
    assert _commit_file_error(staff_a, xlsx([values], headers)) == [
        "Missing columns: 统一社会信用代码、企业规模."
    ]


@pytest.mark.django_db
def test_unknown_extra_column_is_named(staff_a, unit_a):
    file = xlsx([[*row(CODES[0]), "备注内容"]], [*HEADERS, "备注"])
    assert _commit_file_error(staff_a, file) == ["Unknown columns: 备注. Use the template's headers."]


@pytest.mark.django_db
def test_duplicate_column_is_named(staff_a, unit_a):
    file = xlsx([[*row(CODES[0]), "另一个名字"]], [*HEADERS, "企业名称"])
    assert _commit_file_error(staff_a, file) == ["Duplicate columns: 企业名称."]


@pytest.mark.django_db
def test_values_beyond_the_last_header_are_a_file_error(staff_a, unit_a):
    file = xlsx([row(CODES[0]), [*row(CODES[1]), "", "多余的值"]])
    assert _commit_file_error(staff_a, file) == ["Row 3 has values beyond the last column header."]


@pytest.mark.django_db
def test_xlsx_with_merged_cells_is_a_file_error(staff_a, unit_a):
    file = xlsx([row(CODES[0]), row(CODES[1])], change=lambda sheet: sheet.merge_cells("C2:C3"))
    assert _commit_file_error(staff_a, file) == [
        "Merged cells are not allowed (C2:C3): unmerge them and fill every cell."
    ]


@pytest.mark.django_db
def test_xlsx_with_a_formula_is_a_file_error(staff_a, unit_a):
    file = xlsx([row(CODES[0]), row(CODES[1], name='=CONCAT("南京", "乙")')])
    assert _commit_file_error(staff_a, file) == ["Cell A3 holds a formula: paste values only."]


@pytest.mark.django_db
def test_file_over_the_size_limit_is_a_file_error(staff_a, unit_a, settings):
    settings.IMPORT_MAX_BYTES = 2 * 1024 * 1024
    content = csv_bytes([row(CODES[0], 注册地址="很长的地址" * 20)] * 7000)
    assert len(content) > settings.IMPORT_MAX_BYTES
    assert _commit_file_error(staff_a, SimpleUploadedFile("e.csv", content)) == [
        "The file is larger than 2 MB."
    ]


@pytest.mark.django_db
def test_file_over_the_size_limit_without_a_declared_size_is_a_file_error(staff_a, unit_a, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    file = io.BytesIO(csv_bytes([row(CODES[0], 注册地址="地" * 150)] * 3000))
    file.name = "e.csv"
    assert _commit_file_error(staff_a, file) == ["The file is larger than 1 MB."]


@pytest.mark.django_db
def test_file_at_the_size_limit_is_accepted(staff_a, unit_a, settings):
    content = csv_bytes([row(CODES[0])])
    settings.IMPORT_MAX_BYTES = len(content)
    assert EnterpriseImporter(staff_a).commit(SimpleUploadedFile("e.csv", content)).created == 1


@pytest.mark.django_db
def test_too_many_rows_is_a_file_error(staff_a, unit_a, settings):
    settings.IMPORT_MAX_ROWS = 2
    file = xlsx([row(CODES[0]), row(CODES[1]), row(CODES[2])])
    assert _commit_file_error(staff_a, file) == ["At most 2 rows per file."]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("e.xlsx", b"PK\x03\x04not really a zip file", "This is not a valid .xlsx file."),
        ("e.xlsx", "企业名称,统一社会信用代码\n".encode(), "This is not a valid .xlsx file."),
        ("e.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "This is not a valid .xlsx file."),
        ("e.pdf", b"%PDF-1.4 something", "Upload an .xlsx or .csv file."),
    ],
)
def test_file_that_is_not_a_table_is_a_file_error(staff_a, name, content, error):
    assert _commit_file_error(staff_a, SimpleUploadedFile(name, content)) == [error]


# --- row errors: reported by row and column, nothing written ------------------------------------------


@pytest.mark.django_db
def test_same_rows_twice_in_one_file_are_row_errors(staff_a, unit_a):
    rows = [row(CODES[0]), row(CODES[1]), row(CODES[0]), row(CODES[1].lower())]
    report = EnterpriseImporter(staff_a).commit(xlsx(rows))
    assert errors_by_row(report) == {
        4: {"统一社会信用代码": ["Same as row 2."]},
        5: {"统一社会信用代码": ["Same as row 3."]},
    }
    assert not report.ok
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_one_bad_row_among_good_rows_writes_nothing(staff_a, unit_a):
    existing = EnterpriseFactory(unit=unit_a, credit_code=CODES[3], name="原名称")
    rows = [row(CODES[0]), row(CODES[1]), row(CODES[3], "改后名称"), row(CODES[2], 联系电话="12345")]
    report = EnterpriseImporter(staff_a).commit(xlsx(rows))
    assert not report.ok
    assert (report.created, report.updated) == (0, 0)
    assert errors_by_row(report) == {
        5: {
            "联系电话": ["Enter an 11-digit mobile number starting with 1 (e.g. 13812345678)."],
        }
    }
    assert list(Enterprise.objects.values_list("pk", "name")) == [(existing.pk, "原名称")]
    assert Contact.objects.count() == 0


@pytest.mark.django_db
def test_failure_while_writing_leaves_no_partial_write(staff_a, unit_a, monkeypatch):
    existing = EnterpriseFactory(unit=unit_a, credit_code=CODES[2], name="原名称")

    def fail(self, contacts):
        raise RuntimeError("database went away")

    monkeypatch.setattr(EnterpriseImporter, "_save_primary_contacts", fail)
    rows = [row(CODES[0], 联系人="张三"), row(CODES[1]), row(CODES[2], "改后名称")]
    with pytest.raises(RuntimeError):
        EnterpriseImporter(staff_a).commit(xlsx(rows))
    assert list(Enterprise.objects.values_list("pk", "name")) == [(existing.pk, "原名称")]


@pytest.mark.django_db
def test_errors_are_reported_by_row_number_and_column_header(staff_a, unit_a):
    bad_check = CODES[1][:17] + ("0" if CODES[1][17] != "0" else "1")
    rows = [
        row(CODES[0]),
        row(bad_check),
        row(CODES[2], "", "不存在的园区"),
        row(CODES[3], 是否重点企业="也许", 联系电话="23812345678"),
        row(CODES[4], "名" * 201, 行业门类="Z", 企业规模="巨型"),
        row("", 所属园区="不存在的园区"),
        row(make_credit_code("9", "1", "320111", "B0000001"), 联系电话="13812345678"),
    ]
    report = EnterpriseImporter(staff_a).check(xlsx(rows))
    assert not report.ok
    assert errors_by_row(report) == {
        3: {"统一社会信用代码": ["The check character (character 18) is wrong."]},
        4: {"企业名称": ["This value is required."]},
        5: {
            "是否重点企业": ["Enter 是 or 否, not “也许”."],
            "联系电话": ["Enter an 11-digit mobile number starting with 1 (e.g. 13812345678)."],
        },
        6: {
            "企业名称": ["At most 200 characters (this has 201)."],
            "行业门类": ["“Z” is not one of the allowed values."],
            "企业规模": ["“巨型” is not one of the allowed values."],
        },
        7: {"统一社会信用代码": ["This value is required."]},
        8: {"联系人": ["Give the contact's name with the phone number."]},
    }


@pytest.mark.django_db
def test_unknown_unit_name_is_a_row_error(staff_a, unit_a):
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0]), row(CODES[1], unit="不存在的园区")]))
    assert errors_by_row(report) == {3: {"所属园区": ["No unit is called “不存在的园区”."]}}
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("91350100M000100Y4", "A unified social credit code has 18 characters; this one has 17."),
        (
            "91350100M000100Y4S",
            "Characters not allowed in a credit code: S (I, O, S, V and Z are never used).",
        ),
        ("B1350100M000100Y43", "“B” is not a registration authority code."),
        ("94350100M000100Y43", "“4” is not an organisation type of registration authority “9”."),
        ("913501A0M000100Y43", "Characters 3–8 must be the administrative division code (digits)."),
        ("91350100M000100Y53", "The organisation code check character (character 17) is wrong."),
        ("91350100M000100Y44", "The check character (character 18) is wrong."),
    ],
)
def test_invalid_credit_code_is_a_row_error(staff_a, unit_a, code, error):
    report = EnterpriseImporter(staff_a).commit(xlsx([row(code)]))
    assert errors_by_row(report) == {2: {"统一社会信用代码": [error]}}
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["也许", "2", "yes please", "是的"])
def test_bad_key_enterprise_value_is_a_row_error(staff_a, unit_a, value):
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], 是否重点企业=value)]))
    assert errors_by_row(report) == {2: {"是否重点企业": [f"Enter 是 or 否, not “{value}”."]}}
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "expected"), [("是", True), ("否", False), ("Y", True), ("0", False), ("", False)]
)
def test_key_enterprise_values(staff_a, unit_a, value, expected):
    assert EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], 是否重点企业=value)])).ok
    assert Enterprise.objects.get().is_key is expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "mobile", ["12345678901", "1381234567", "138123456789", "1381234567a", "+8613812345678"]
)
def test_invalid_mobile_is_a_row_error(staff_a, unit_a, mobile):
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], 联系人="张三", 联系电话=mobile)]))
    assert errors_by_row(report) == {
        2: {"联系电话": ["Enter an 11-digit mobile number starting with 1 (e.g. 13812345678)."]}
    }
    assert Enterprise.objects.count() == 0


# --- who may import what ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_staff_cannot_import_an_enterprise_for_another_unit(staff_a, unit_a, unit_b):
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0]), row(CODES[1], unit="生物医药谷")]))
    assert errors_by_row(report) == {3: {"所属园区": ["You may only import enterprises of your own unit."]}}
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_staff_cannot_take_over_another_units_enterprise_by_import(staff_a, unit_a, unit_b):
    EnterpriseFactory(unit=unit_b, credit_code=CODES[0], name="医药谷企业", is_key=True)
    before = enterprises()
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], "改名", unit="研创园")]))
    assert errors_by_row(report) == {
        2: {"统一社会信用代码": ["This enterprise belongs to another unit; you may not change it."]}
    }
    assert enterprises() == before


@pytest.mark.django_db
def test_staff_cannot_change_another_units_enterprise_by_import(staff_a, unit_a, unit_b):
    EnterpriseFactory(unit=unit_b, credit_code=CODES[0], name="医药谷企业")
    before = enterprises()
    report = EnterpriseImporter(staff_a).commit(xlsx([row(CODES[0], "改名", unit="医药谷")]))
    assert errors_by_row(report) == {
        2: {
            "统一社会信用代码": ["This enterprise belongs to another unit; you may not change it."],
            "所属园区": ["You may only import enterprises of your own unit."],
        }
    }
    assert enterprises() == before


@pytest.mark.django_db
def test_leader_imports_for_any_unit_and_may_move_an_enterprise(leader, unit_a, unit_b):
    EnterpriseFactory(unit=unit_b, credit_code=CODES[2], name="医药谷企业")
    rows = [
        row(CODES[0], "甲", "研创园"),
        row(CODES[1], "乙", "生物医药谷"),
        row(CODES[2], "丙", "产业技术研创园"),
    ]
    report = EnterpriseImporter(leader).commit(xlsx(rows))
    assert (report.created, report.updated) == (2, 1)
    assert [e[:3] for e in enterprises()] == [
        (CODES[0], "甲", "unit-a"),
        (CODES[1], "乙", "unit-b"),
        (CODES[2], "丙", "unit-a"),
    ]


# --- the upload view ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_shows_a_preview_and_commit_writes(staff_a, unit_a):
    client = client_for(staff_a)
    response = client.post(URL, {"file": xlsx([row(CODES[0], "甲"), row(CODES[1], "乙")])})
    assert response.status_code == 200
    assert response.context["report"].ok
    assert "2 rows: 2 to create, 0 to update, 0 with errors." in response.content.decode()
    assert Enterprise.objects.count() == 0

    response = client.post(URL, {"commit": "1", "token": response.context["token"]})
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:list")
    assert [e[:2] for e in enterprises()] == [(CODES[0], "甲"), (CODES[1], "乙")]
    page = client.get(response["Location"]).content.decode()
    assert "Imported: 2 created, 0 updated." in page


@pytest.mark.django_db
def test_commit_token_is_single_use(staff_a, unit_a):
    client = client_for(staff_a)
    token = client.post(URL, {"file": xlsx([row(CODES[0])])}).context["token"]
    assert client.post(URL, {"commit": "1", "token": token}).status_code == 302
    response = client.post(URL, {"commit": "1", "token": token})
    assert response.status_code == 302
    assert response["Location"] == URL
    assert Enterprise.objects.count() == 1


@pytest.mark.django_db
def test_commit_with_another_users_token_writes_nothing(staff_a, colleague_a, unit_a):
    token = client_for(staff_a).post(URL, {"file": xlsx([row(CODES[0])])}).context["token"]
    response = client_for(colleague_a).post(URL, {"commit": "1", "token": token})
    assert response.status_code == 302
    assert response["Location"] == URL
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_commit_rechecks_the_file_and_writes_nothing_when_it_became_invalid(staff_a, unit_a, unit_b):
    client = client_for(staff_a)
    token = client.post(URL, {"file": xlsx([row(CODES[0]), row(CODES[1])])}).context["token"]
    EnterpriseFactory(unit=unit_b, credit_code=CODES[1])
    response = client.post(URL, {"commit": "1", "token": token})
    assert response.status_code == 200
    assert errors_by_row(response.context["report"]) == {
        3: {"统一社会信用代码": ["This enterprise belongs to another unit; you may not change it."]}
    }
    assert list(Enterprise.objects.values_list("credit_code", flat=True)) == [CODES[1]]


@pytest.mark.django_db
def test_upload_with_errors_lists_them_and_offers_no_commit(staff_a, unit_a):
    client = client_for(staff_a)
    response = client.post(
        URL, {"file": xlsx([row(CODES[0]), row(CODES[0]), row(CODES[1], unit="火星园区")])}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<tr><td>3</td><td>统一社会信用代码</td><td>Same as row 2.</td></tr>" in html
    assert "<tr><td>4</td><td>所属园区</td><td>No unit is called “火星园区”.</td></tr>" in html
    assert 'name="commit"' not in html
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_error_report_download_lists_every_error(staff_a, unit_a):
    client = client_for(staff_a)
    file = xlsx([row(CODES[0]), row(CODES[0]), row(CODES[1], unit="火星园区", 联系电话="13812345678")])
    token = client.post(URL, {"file": file}).context["token"]
    response = client.get(URL, {"errors": token})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="enterprises-errors.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert list(sheet.iter_rows(values_only=True)) == [
        ("row", "column", "error"),
        (3, "统一社会信用代码", "Same as row 2."),
        (4, "所属园区", "No unit is called “火星园区”."),
    ]


@pytest.mark.django_db
def test_error_report_of_an_unknown_token_redirects_to_the_upload_page(staff_a):
    response = client_for(staff_a).get(URL, {"errors": "0" * 32})
    assert response.status_code == 302
    assert response["Location"] == URL


@pytest.mark.django_db
def test_upload_of_a_bad_file_shows_the_file_error_and_keeps_nothing(staff_a, unit_a, settings):
    response = client_for(staff_a).post(
        URL, {"file": xlsx([row(CODES[0])], change=lambda s: s.merge_cells("A2:B2"))}
    )
    assert response.status_code == 200
    assert response.context["report"].file_errors == [
        "Merged cells are not allowed (A2:B2): unmerge them and fill every cell."
    ]
    assert response.context["token"] == ""
    assert not (settings.MEDIA_ROOT / "imports").exists()
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_upload_over_the_size_limit_shows_the_error(staff_a, unit_a, settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    file = SimpleUploadedFile("e.csv", csv_bytes([row(CODES[0], 注册地址="地" * 150)] * 3000))
    response = client_for(staff_a).post(URL, {"file": file})
    assert response.status_code == 200
    assert response.context["report"].file_errors == ["The file is larger than 1 MB."]
    assert Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_post_without_a_file_asks_for_one(staff_a):
    response = client_for(staff_a).post(URL, {})
    assert response.status_code == 200
    assert response.context["report"].file_errors == ["Choose a file to upload."]


@pytest.mark.django_db
def test_template_download_has_the_nine_headers(staff_a):
    response = client_for(staff_a).get(URL, {"template": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="enterprises-template.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 2


@pytest.mark.django_db
def test_anonymous_upload_is_redirected_to_login_and_writes_nothing(unit_a):
    response = client_for(None).post(URL, {"file": xlsx([row(CODES[0])])})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Enterprise.objects.count() == 0
