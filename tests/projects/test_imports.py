"""Excel imports of projects and of monthly investment: template headers, all-or-nothing, no duplicates on a
second upload, and an error for every bad row named by row and column."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from apps.projects.importers import MonthlyInvestmentImporter, ProjectImporter
from apps.projects.models import MonthlyReport, Project, YearPlan

from ..factories import EnterpriseFactory
from .factories import planned, report

pytestmark = pytest.mark.django_db

INVESTMENT_HEADERS = ["项目编码", "项目名称", "月份", "本月完成投资（万元）"]
PROJECT_HEADERS = [
    "项目编码",
    "项目名称",
    "业主企业信用代码",
    "责任单位",
    "项目级别",
    "项目类型",
    "行业门类",
    "总投资（万元）",
    "计划开工",
    "年度",
    "年度计划投资（万元）",
    "是否新开工",
]


def upload(headers, rows, name="file.xlsx"):
    """An .xlsx file as a user makes it: cells as given (text, numbers or dates), nothing escaped."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def investment(*rows):
    return upload(INVESTMENT_HEADERS, rows)


def errors_of(report) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.errors for row in report.error_rows}


def all_reports() -> list[tuple]:
    return list(
        MonthlyReport.objects.order_by("project__code", "month").values_list(
            "project__code", "month", "amount"
        )
    )


def next_month() -> date:
    today = timezone.localdate()
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


@pytest.fixture
def a1(unit_a):
    return planned(unit_a, code="A-001", name="研创园一期")


@pytest.fixture
def a2(unit_a):
    return planned(unit_a, code="A-002", name="研创园二期")


@pytest.fixture
def b1(unit_b):
    return planned(unit_b, code="B-001", name="医药谷项目")


# --- templates -----------------------------------------------------------------------------------------


def test_the_investment_template_has_exactly_the_four_headers(staff_a):
    importer = MonthlyInvestmentImporter(staff_a)
    assert [c.header for c in importer.columns] == INVESTMENT_HEADERS
    sheet = load_workbook(io.BytesIO(importer.template_bytes())).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == INVESTMENT_HEADERS


def test_the_project_template_headers(staff_a):
    importer = ProjectImporter(staff_a)
    sheet = load_workbook(io.BytesIO(importer.template_bytes())).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == PROJECT_HEADERS


# --- monthly investment ------------------------------------------------------------------------------


def test_an_investment_file_creates_one_report_per_row(a1, a2, staff_a):
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(
            ["A-001", "研创园一期", "2024-01", "100"],
            ["A-001", "", "2024-02", "90.5"],
            ["A-002", "", "2024-02", "0"],
        )
    )
    assert (result.ok, result.created, result.updated) == (True, 3, 0)
    assert all_reports() == [
        ("A-001", date(2024, 1, 1), Decimal("100.00")),
        ("A-001", date(2024, 2, 1), Decimal("90.50")),
        ("A-002", date(2024, 2, 1), Decimal("0.00")),
    ]
    assert set(MonthlyReport.objects.values_list("reported_by", flat=True)) == {staff_a.pk}


def test_an_investment_file_with_one_bad_row_writes_nothing(a1, a2, staff_a):
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(
            ["A-001", "", "2024-01", "100"], ["A-404", "", "2024-01", "100"], ["A-002", "", "2024-01", "50"]
        )
    )
    assert (result.ok, result.created) == (False, 0)
    assert errors_of(result) == {3: {"项目编码": ["No project has this code."]}}
    assert all_reports() == []


def test_the_same_investment_file_twice_creates_no_duplicates(a1, a2, staff_a):
    rows = [["A-001", "", "2024-01", "100"], ["A-002", "", "2024-01", "50"]]
    first = MonthlyInvestmentImporter(staff_a).commit(investment(*rows))
    second = MonthlyInvestmentImporter(staff_a).commit(investment(*rows))
    assert (first.ok, first.created) == (True, 2)
    assert (second.ok, second.created, second.updated) == (True, 0, 0)
    assert [row.action for row in second.rows] == ["unchanged", "unchanged"]
    assert len(all_reports()) == 2


def test_a_second_file_adds_only_the_months_not_yet_reported(a1, staff_a):
    report(a1, "2024-01", "100", by=staff_a)
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(["A-001", "", "2024-01", "100.00"], ["A-001", "", "2024-02", "80"])
    )
    assert (result.ok, result.created) == (True, 1)
    assert all_reports() == [
        ("A-001", date(2024, 1, 1), Decimal("100")),
        ("A-001", date(2024, 2, 1), Decimal("80")),
    ]


def test_a_different_amount_for_a_month_already_reported_is_a_row_error(a1, a2, staff_a):
    report(a1, "2024-01", "100", by=staff_a)
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(["A-002", "", "2024-01", "50"], ["A-001", "", "2024-01", "120"])
    )
    assert result.ok is False
    assert errors_of(result) == {
        3: {
            "本月完成投资（万元）": [
                "This month is already reported (100.00 万元); correct it on the project page."
            ]
        }
    }
    assert all_reports() == [("A-001", date(2024, 1, 1), Decimal("100"))]


def test_full_width_digits_and_thousands_separators_are_accepted(a1, a2, staff_a):
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(
            ["A-001", "", "２０２４－０１", "１２３４．５"],
            ["A-001", "", "2024年2月", "1,000"],
            ["A-002", "", "2024/02", "１，２５０"],
        )
    )
    assert (result.ok, result.created) == (True, 3)
    assert all_reports() == [
        ("A-001", date(2024, 1, 1), Decimal("1234.50")),
        ("A-001", date(2024, 2, 1), Decimal("1000.00")),
        ("A-002", date(2024, 2, 1), Decimal("1250.00")),
    ]


def test_unknown_code_future_month_and_another_units_project_are_row_errors_alike(a1, b1, staff_a):
    future = f"{next_month():%Y-%m}"
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(
            ["A-001", "", "2024-01", "100"],
            ["X-999", "", "2024-01", "100"],
            ["A-001", "", future, "100"],
            ["B-001", "", "2024-01", "100"],
        )
    )
    assert result.ok is False
    assert errors_of(result) == {
        3: {"项目编码": ["No project has this code."]},
        4: {"月份": ["A month that has not started cannot be reported."]},
        5: {"项目编码": ["No project has this code."]},  # unit B's project: answered as an unknown code
    }
    assert all_reports() == []


def test_the_same_project_and_month_twice_in_one_file_is_a_row_error(a1, staff_a):
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(["A-001", "", "2024-01", "100"], ["A-001", "", "2024年1月", "100"])
    )
    assert result.ok is False
    assert errors_of(result) == {3: {"月份": ["Same project and month as row 2."]}}
    assert all_reports() == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-1", "Must be at least 0."),
        ("100000000.01", "Must be at most 100000000."),
        ("NaN", "“NaN” is not a number."),
        ("Infinity", "“Infinity” is not a number."),
        ("一百", "“一百” is not a number."),
        ("", "This value is required."),
    ],
)
def test_a_bad_amount_is_a_row_error(a1, staff_a, amount, message):
    result = MonthlyInvestmentImporter(staff_a).commit(investment(["A-001", "", "2024-01", amount]))
    assert errors_of(result) == {2: {"本月完成投资（万元）": [message]}}
    assert all_reports() == []


@pytest.mark.parametrize("month", ["2024-13", "2024", "2024-00", "二月"])
def test_a_bad_month_is_a_row_error(a1, staff_a, month):
    result = MonthlyInvestmentImporter(staff_a).commit(investment(["A-001", "", month, "100"]))
    assert list(errors_of(result)[2]) == ["月份"]
    assert all_reports() == []


def test_numbers_and_dates_typed_into_excel_cells_are_read(a1, staff_a):
    """Excel turns 2024-02 typed in a cell into the date 2024-02-01, and amounts into numbers."""
    result = MonthlyInvestmentImporter(staff_a).commit(
        investment(["A-001", None, datetime(2024, 2, 1), 1250.5], ["A-001", None, "2024-01", 300])
    )
    assert (result.ok, result.created) == (True, 2)
    assert all_reports() == [
        ("A-001", date(2024, 1, 1), Decimal("300.00")),
        ("A-001", date(2024, 2, 1), Decimal("1250.50")),
    ]


def test_the_investment_templates_example_row_imports(staff_a, unit_a):
    planned(unit_a, code="JB2024-001")
    importer = MonthlyInvestmentImporter(staff_a)
    result = importer.commit(SimpleUploadedFile("template.xlsx", importer.template_bytes()))
    assert (result.ok, result.created) == (True, 1)
    assert all_reports() == [("JB2024-001", date(2024, 2, 1), Decimal("1250.50"))]


def test_a_leader_imports_for_every_unit(a1, b1, leader):
    result = MonthlyInvestmentImporter(leader).commit(
        investment(["A-001", "", "2024-01", "100"], ["B-001", "", "2024-01", "200"])
    )
    assert (result.ok, result.created) == (True, 2)


# --- projects --------------------------------------------------------------------------------------------


def project_row(code, owner, unit="研创园", **overrides):
    row = {
        "项目编码": code,
        "项目名称": f"{code} 智能制造基地",
        "业主企业信用代码": owner.credit_code,
        "责任单位": unit,
        "项目级别": "市重大",
        "项目类型": "industrial",
        "行业门类": "C",
        "总投资（万元）": "120,000",
        "计划开工": "2024-04-01",
        "年度": "2024",
        "年度计划投资（万元）": "３００００",
        "是否新开工": "是",
        **overrides,
    }
    return [row[h] for h in PROJECT_HEADERS]


def test_a_project_file_creates_projects_and_their_plans(unit_a, staff_a):
    owner = EnterpriseFactory(unit=unit_a)
    result = ProjectImporter(staff_a).commit(
        upload(
            PROJECT_HEADERS,
            [
                project_row("A-101", owner),
                project_row("A-102", owner, unit="产业技术研创园", **{"是否新开工": "否"}),
            ],
        )
    )
    assert (result.ok, result.created, result.updated) == (True, 2, 0)
    assert list(
        Project.objects.order_by("code").values_list(
            "code", "unit", "owner", "level", "total_investment", "planned_start"
        )
    ) == [
        ("A-101", unit_a.pk, owner.pk, "municipal", Decimal("120000"), date(2024, 4, 1)),
        ("A-102", unit_a.pk, owner.pk, "municipal", Decimal("120000"), date(2024, 4, 1)),
    ]
    assert list(
        YearPlan.objects.order_by("project__code").values_list(
            "project__code", "year", "planned_investment", "is_new_start"
        )
    ) == [
        ("A-101", 2024, Decimal("30000"), True),
        ("A-102", 2024, Decimal("30000"), False),
    ]


def test_the_project_templates_example_row_imports(unit_a, staff_a):
    """The example shows the level as 市重大, as everyone writes it; the unit is unit A's full name."""
    owner = EnterpriseFactory(unit=unit_a, credit_code="91350100M000100Y43")
    importer = ProjectImporter(staff_a)
    result = importer.commit(SimpleUploadedFile("template.xlsx", importer.template_bytes()))
    assert errors_of(result) == {}
    assert (result.ok, result.created) == (True, 1)
    assert list(Project.objects.values_list("code", "unit", "owner", "level", "kind")) == [
        ("JB2025-001", unit_a.pk, owner.pk, "municipal", "industrial")
    ]
    assert list(YearPlan.objects.values_list("year", "planned_investment", "is_new_start")) == [
        (2025, Decimal("30000"), True)
    ]


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("省重大", "provincial"),
        ("市重大", "municipal"),
        ("区级", "district"),
        ("省重大项目", "provincial"),
        ("Municipal major project", "municipal"),
        ("district", "district"),
    ],
)
def test_the_project_level_is_read_from_its_usual_names(unit_a, staff_a, text, level):
    owner = EnterpriseFactory(unit=unit_a)
    result = ProjectImporter(staff_a).commit(
        upload(PROJECT_HEADERS, [project_row("A-101", owner, **{"项目级别": text})])
    )
    assert result.ok is True
    assert Project.objects.get(code="A-101").level == level


def test_an_unknown_project_level_is_a_row_error(unit_a, staff_a):
    owner = EnterpriseFactory(unit=unit_a)
    result = ProjectImporter(staff_a).commit(
        upload(PROJECT_HEADERS, [project_row("A-101", owner, **{"项目级别": "国家级"})])
    )
    assert errors_of(result) == {2: {"项目级别": ["“国家级” is not one of the allowed values."]}}
    assert not Project.objects.exists()


def test_a_project_file_with_one_bad_row_writes_nothing(unit_a, staff_a):
    owner = EnterpriseFactory(unit=unit_a)
    result = ProjectImporter(staff_a).commit(
        upload(
            PROJECT_HEADERS, [project_row("A-101", owner), project_row("A-102", owner, unit="不存在的单位")]
        )
    )
    assert (result.ok, result.created) == (False, 0)
    assert errors_of(result) == {3: {"责任单位": ["No unit is called “不存在的单位”."]}}
    assert not Project.objects.exists()
    assert not YearPlan.objects.exists()


def test_the_same_project_file_twice_updates_instead_of_duplicating(unit_a, staff_a):
    owner = EnterpriseFactory(unit=unit_a)
    rows = [project_row("A-101", owner)]
    ProjectImporter(staff_a).commit(upload(PROJECT_HEADERS, rows))
    second = ProjectImporter(staff_a).commit(upload(PROJECT_HEADERS, rows))
    assert (second.ok, second.created, second.updated) == (True, 0, 1)
    assert Project.objects.count() == 1
    assert YearPlan.objects.count() == 1


def test_a_project_file_cannot_create_for_or_change_another_unit(unit_a, unit_b, staff_a, b1):
    """Unit B's code B-001 is, to unit A, a code no project has: the row would create unit A's own B-001
    (codes are unique per unit) and unit B's project is never touched."""
    owner = EnterpriseFactory(unit=unit_a)
    result = ProjectImporter(staff_a).commit(
        upload(PROJECT_HEADERS, [project_row("A-101", owner, unit="医药谷"), project_row("B-001", owner)])
    )
    assert errors_of(result) == {2: {"责任单位": ["You may only import projects of your own unit."]}}
    assert [row.action for row in result.rows] == ["create", "create"]
    assert list(Project.objects.values_list("code", "unit")) == [("B-001", unit_b.pk)]


def test_a_project_file_with_an_unknown_owner_or_duplicate_code_is_refused(unit_a, staff_a):
    owner = EnterpriseFactory(unit=unit_a)
    stranger = EnterpriseFactory.build(credit_code="91320111MA1XXXXX0X")
    result = ProjectImporter(staff_a).commit(
        upload(
            PROJECT_HEADERS,
            [project_row("A-101", owner), project_row("A-101", owner), project_row("A-102", stranger)],
        )
    )
    assert errors_of(result) == {
        3: {"项目编码": ["Same as row 2."]},
        4: {"业主企业信用代码": ["No enterprise has this credit code. Record the enterprise first."]},
    }
    assert not Project.objects.exists()


def test_an_import_never_moves_or_changes_another_units_project_with_the_same_code(
    b1, unit_a, unit_b, leader
):
    """Codes are unique per unit: a row of unit A with unit B's code creates A's project; B's is untouched,
    even for a leader, who may edit both."""
    before = Project.objects.filter(pk=b1.pk).values().get()
    owner = EnterpriseFactory(unit=unit_a)
    result = ProjectImporter(leader).commit(upload(PROJECT_HEADERS, [project_row(b1.code, owner)]))
    assert (result.ok, result.created, result.updated) == (True, 1, 0)
    assert Project.objects.filter(pk=b1.pk).values().get() == before
    assert sorted(Project.objects.filter(code=b1.code).values_list("unit", flat=True)) == sorted(
        [unit_a.pk, unit_b.pk]
    )
