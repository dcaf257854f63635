"""Excel imports of R&D results and carriers: template headers, all-or-nothing, an error for every bad row
named by row and column, updates without duplicates for carriers, and no result catalogued twice."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from apps.research.importers import CarrierImporter, ResultImporter
from apps.research.models import Carrier, Result, ResultEvent

from .factories import CarrierFactory, EntityFactory

pytestmark = pytest.mark.django_db

RESULT_HEADERS = [
    "成果名称",
    "研发主体",
    "行业门类",
    "成果类型",
    "成熟度",
    "拟落地方式",
    "需求面积（㎡）",
    "责任单位",
]
CARRIER_HEADERS = [
    "载体名称",
    "载体类型",
    "所属园区",
    "总面积（㎡）",
    "空置面积（㎡）",
    "价格/租金",
    "联系人",
]


def upload(headers, rows, name="file.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def results_file(*rows):
    return upload(RESULT_HEADERS, rows)


def carriers_file(*rows):
    return upload(CARRIER_HEADERS, rows)


def errors_of(report) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.errors for row in report.error_rows}


def all_results() -> list[tuple]:
    return list(
        Result.objects.order_by("title").values_list(
            "title",
            "entity__name",
            "industry",
            "type",
            "maturity",
            "landing_mode",
            "need_space_m2",
            "unit__code",
        )
    )


def all_carriers() -> list[tuple]:
    return list(
        Carrier.objects.order_by("name").values_list(
            "name", "kind", "park__code", "unit__code", "total_area_m2", "free_area_m2", "price", "contact"
        )
    )


@pytest.fixture
def entities(unit_a):
    return [
        EntityFactory(unit=unit_a, name="南京示例研究院"),
        EntityFactory(unit=unit_a, name="江北新材料研究所"),
    ]


GOOD_RESULTS = [
    ["高通量基因测序仪", "南京示例研究院", "C", "patent", "pilot", "transfer", "800", "产业技术研创园"],
    ["石墨烯导热膜", "江北新材料研究所", "C", "product", "small_batch", "spin_off", "", "研创园"],
]


# --- templates -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("importer_class", "headers"), [(ResultImporter, RESULT_HEADERS), (CarrierImporter, CARRIER_HEADERS)]
)
def test_the_template_has_exactly_the_documented_headers(staff_a, importer_class, headers):
    importer = importer_class(staff_a)

    sheet = load_workbook(io.BytesIO(importer.template_bytes())).worksheets[0]

    assert [c.header for c in importer.columns] == headers
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == headers


def test_the_result_templates_example_row_imports_as_it_reads(staff_a, unit_a):
    """The example row shows Chinese labels (专利, 中试, 技术转让): a file filled in like it must import."""
    EntityFactory(unit=unit_a, name="南京示例研究院")
    example = [c.example for c in ResultImporter.columns]
    example[-1] = "产业技术研创园"  # the example names another unit

    report = ResultImporter(staff_a).commit(results_file(example))

    assert errors_of(report) == {}
    assert all_results() == [
        (
            "高通量基因测序仪",
            "南京示例研究院",
            "C",
            "patent",
            "pilot",
            "transfer",
            Decimal("800.00"),
            "unit-a",
        )
    ]


def test_the_carrier_templates_example_row_imports_as_it_reads(staff_a):
    example = [c.example for c in CarrierImporter.columns]

    report = CarrierImporter(staff_a).commit(carriers_file(example))

    assert errors_of(report) == {}
    assert all_carriers() == [
        (
            "研创园孵化器A座",
            "incubator",
            "unit-a",
            "unit-a",
            Decimal("12000.00"),
            Decimal("3500.00"),
            "1.2元/㎡·天",
            "王经理 13812345678",
        )
    ]


# --- results ---------------------------------------------------------------------------------------


def test_a_results_file_catalogues_one_result_per_row_with_its_event(entities, staff_a):
    report = ResultImporter(staff_a).commit(results_file(*GOOD_RESULTS))

    assert (report.ok, report.created, report.updated) == (True, 2, 0)
    assert all_results() == [
        ("石墨烯导热膜", "江北新材料研究所", "C", "product", "small_batch", "spin_off", None, "unit-a"),
        (
            "高通量基因测序仪",
            "南京示例研究院",
            "C",
            "patent",
            "pilot",
            "transfer",
            Decimal("800.00"),
            "unit-a",
        ),
    ]
    assert set(Result.objects.values_list("status", "catalogued_on")) == {
        ("catalogued", timezone.localdate())
    }
    assert sorted(ResultEvent.objects.values_list("result__title", "from_status", "to_status", "by")) == [
        ("石墨烯导热膜", "", "catalogued", staff_a.pk),
        ("高通量基因测序仪", "", "catalogued", staff_a.pk),
    ]


def test_a_results_file_with_one_bad_row_writes_nothing(entities, staff_a):
    bad = ["碳化硅功率器件", "南京示例研究院", "C", "patent", "lab", "transfer", "-5", "研创园"]

    report = ResultImporter(staff_a).commit(results_file(GOOD_RESULTS[0], bad, GOOD_RESULTS[1]))

    assert (report.ok, report.created) == (False, 0)
    assert errors_of(report) == {3: {"需求面积（㎡）": ["Must be at least 0."]}}
    assert all_results() == []
    assert ResultEvent.objects.count() == 0


def test_unknown_entity_and_unknown_unit_are_row_errors(entities, staff_a):
    report = ResultImporter(staff_a).commit(
        results_file(
            GOOD_RESULTS[0],
            ["成果甲", "不存在研究院", "C", "patent", "lab", "transfer", "", "研创园"],
            ["成果乙", "南京示例研究院", "C", "patent", "lab", "transfer", "", "不存在单位"],
            ["成果丙", "南京示例研究院", "Q9", "专利", "lab", "transfer", "", "研创园"],
        )
    )

    assert report.ok is False
    assert errors_of(report) == {
        3: {"研发主体": ["No R&D entity is called “不存在研究院”."]},
        4: {"责任单位": ["No unit is called “不存在单位”."]},
        5: {"行业门类": ["“Q9” is not one of the allowed values."]},
    }
    assert all_results() == []


def test_results_of_another_unit_are_row_errors(entities, staff_b):
    report = ResultImporter(staff_b).commit(results_file(*GOOD_RESULTS))

    assert errors_of(report) == {
        2: {"责任单位": ["You may only import results of your own unit."]},
        3: {"责任单位": ["You may only import results of your own unit."]},
    }
    assert all_results() == []


def test_the_same_results_file_twice_is_refused_the_second_time(entities, staff_a):
    first = ResultImporter(staff_a).commit(results_file(*GOOD_RESULTS))
    before = all_results()

    second = ResultImporter(staff_a).commit(results_file(*GOOD_RESULTS))

    assert (first.ok, first.created) == (True, 2)
    assert (second.ok, second.created) == (False, 0)
    assert errors_of(second) == {
        2: {"成果名称": ["This result of this entity is already in the library."]},
        3: {"成果名称": ["This result of this entity is already in the library."]},
    }
    assert all_results() == before
    assert ResultEvent.objects.count() == 2


def test_the_same_title_of_another_entity_is_a_different_result(entities, staff_a):
    ResultImporter(staff_a).commit(results_file(GOOD_RESULTS[0]))
    same_title = ["高通量基因测序仪", "江北新材料研究所", "C", "patent", "pilot", "transfer", "", "研创园"]

    report = ResultImporter(staff_a).commit(results_file(same_title))

    assert (report.ok, report.created) == (True, 1)
    assert Result.objects.filter(title="高通量基因测序仪").count() == 2


def test_the_same_result_twice_in_one_file_is_a_row_error(entities, staff_a):
    report = ResultImporter(staff_a).commit(results_file(GOOD_RESULTS[0], GOOD_RESULTS[1], GOOD_RESULTS[0]))

    assert report.ok is False
    assert errors_of(report) == {4: {"成果名称": ["Same as row 2."]}}
    assert all_results() == []


# --- carriers --------------------------------------------------------------------------------------

GOOD_CARRIERS = [
    ["研创园孵化器A座", "incubator", "研创园", "12000", "3500", "1.2元/㎡·天", "王经理"],
    ["研创园标准厂房1号", "factory", "产业技术研创园", "30000", "0", "", ""],
]


def test_a_carriers_file_creates_one_carrier_per_row_owned_by_its_park(staff_a):
    report = CarrierImporter(staff_a).commit(carriers_file(*GOOD_CARRIERS))

    assert (report.ok, report.created, report.updated) == (True, 2, 0)
    assert all_carriers() == [
        (
            "研创园孵化器A座",
            "incubator",
            "unit-a",
            "unit-a",
            Decimal("12000.00"),
            Decimal("3500.00"),
            "1.2元/㎡·天",
            "王经理",
        ),
        ("研创园标准厂房1号", "factory", "unit-a", "unit-a", Decimal("30000.00"), Decimal("0.00"), "", ""),
    ]


def test_a_free_area_above_the_total_is_a_row_error_and_nothing_is_written(staff_a):
    report = CarrierImporter(staff_a).commit(
        carriers_file(GOOD_CARRIERS[0], ["研创园加速器", "accelerator", "研创园", "1000", "1000.01", "", ""])
    )

    assert (report.ok, report.created) == (False, 0)
    assert errors_of(report) == {3: {"空置面积（㎡）": ["The free area cannot exceed the total area."]}}
    assert all_carriers() == []


def test_unknown_park_and_another_units_park_are_row_errors(staff_a, unit_b):
    report = CarrierImporter(staff_a).commit(
        carriers_file(
            GOOD_CARRIERS[0],
            ["某载体", "incubator", "不存在园区", "100", "10", "", ""],
            ["医药谷孵化器", "incubator", "医药谷", "100", "10", "", ""],
        )
    )

    assert errors_of(report) == {
        3: {"所属园区": ["No unit is called “不存在园区”."]},
        4: {"所属园区": ["You may only import carriers of your own unit."]},
    }
    assert all_carriers() == []


def test_reimporting_the_same_carriers_file_updates_and_creates_no_duplicates(staff_a):
    CarrierImporter(staff_a).commit(carriers_file(*GOOD_CARRIERS))
    changed = ["研创园孵化器A座", "incubator", "研创园", "12000", "2800", "1.0元/㎡·天", "李经理"]

    again = CarrierImporter(staff_a).commit(carriers_file(changed, GOOD_CARRIERS[1]))

    assert (again.ok, again.created, again.updated) == (True, 0, 2)
    assert [row.action for row in again.rows] == ["update", "update"]
    assert all_carriers() == [
        (
            "研创园孵化器A座",
            "incubator",
            "unit-a",
            "unit-a",
            Decimal("12000.00"),
            Decimal("2800.00"),
            "1.0元/㎡·天",
            "李经理",
        ),
        ("研创园标准厂房1号", "factory", "unit-a", "unit-a", Decimal("30000.00"), Decimal("0.00"), "", ""),
    ]


def test_the_same_carrier_twice_in_one_file_is_a_row_error(staff_a):
    report = CarrierImporter(staff_a).commit(carriers_file(GOOD_CARRIERS[0], GOOD_CARRIERS[0]))

    assert errors_of(report) == {3: {"载体名称": ["Same as row 2."]}}
    assert all_carriers() == []


def test_another_units_carrier_of_the_same_name_cannot_be_overwritten(staff_b, unit_a):
    CarrierFactory(name="研创园孵化器A座", park=unit_a, free_area_m2=Decimal("100"))
    before = all_carriers()

    report = CarrierImporter(staff_b).commit(
        carriers_file(["研创园孵化器A座", "incubator", "医药谷", "500", "50", "", ""])
    )

    assert errors_of(report) == {
        2: {"载体名称": ["This carrier belongs to another unit; you may not change it."]}
    }
    assert all_carriers() == before
