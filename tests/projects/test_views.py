"""The pages of campaign 2: the project list and its filters, the export of the filtered rows, the unit's
monthly reporting page, unit isolation (404, never a leak; a denied write changes nothing), and query
counts that hold at two data sizes.

The dataset (`listed`), 2024, as of 15 March (time elapsed 16.7 %); plans of 1000 万元:

  A1  unit A  provincial  continuing  started 2022-05-01        Jan 100, Feb 90  19.0 %  green
  A2  unit A  municipal   new start   planned 2024-02-01, not   Feb 30            3.0 %  yellow
  A3  unit A  district    new start   planned 2023-11-01, not   Feb 200          20.0 %  red (late start)
  B1  unit B  district    new start   2024-03-01 → 2024-03-05   Feb 200          20.0 %  green
  B2  unit B  municipal   continuing  started 2023-05-01        —                 0.0 %  yellow
  X   unit A  a 2023 plan only: not a 2024 project
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from apps.projects.models import MonthlyReport, Project

from ..conftest import client_for
from ..service.factories import category
from .factories import TaskForceMemberFactory, planned, project_visit, report, reports

pytestmark = pytest.mark.django_db

LIST = reverse("projects:list")
EXPORT = reverse("projects:export")
MONTHLY = reverse("projects:monthly_report")
AS_OF = "year=2024&as_of=2024-03-15"


def detail(project) -> str:
    return reverse("projects:detail", args=[project.pk])


@pytest.fixture
def listed(unit_a, unit_b, staff_a, staff_b):
    a1 = planned(unit_a, code="A1", level="provincial", actual_start=date(2022, 5, 1))
    reports(a1, {"2024-01": "100", "2024-02": "90"}, by=staff_a)
    a2 = planned(unit_a, code="A2", level="municipal", new_start=True, planned_start=date(2024, 2, 1))
    report(a2, "2024-02", "30", by=staff_a)
    a3 = planned(unit_a, code="A3", new_start=True, planned_start=date(2023, 11, 1))
    report(a3, "2024-02", "200", by=staff_a)
    b1 = planned(
        unit_b, code="B1", new_start=True, planned_start=date(2024, 3, 1), actual_start=date(2024, 3, 5)
    )
    report(b1, "2024-02", "200", by=staff_b)
    b2 = planned(unit_b, code="B2", level="municipal", actual_start=date(2023, 5, 1))
    x = planned(unit_a, year=2023, code="X")
    return {p.code: p for p in (a1, a2, a3, b1, b2, x)}


def listed_codes(client, query: str = "") -> list[str]:
    response = client.get(f"{LIST}?{AS_OF}&{query}")
    assert response.status_code == 200
    return [p.code for p in response.context["object_list"]]


def exported(client, query: str = "") -> list[dict]:
    response = client.get(f"{EXPORT}?{AS_OF}&{query}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


# --- the list and its filters ---------------------------------------------------------------------------


def test_the_list_shows_the_years_projects_with_their_progress(listed, leader):
    response = client_for(leader).get(f"{LIST}?{AS_OF}")
    rows = [
        (p.code, p.plan_wan, p.completed_wan, p.rate_pct, p.light) for p in response.context["object_list"]
    ]
    assert rows == [
        ("A1", Decimal("1000"), Decimal("190"), Decimal("19.0"), "green"),
        ("A2", Decimal("1000"), Decimal("30"), Decimal("3.0"), "yellow"),
        ("A3", Decimal("1000"), Decimal("200"), Decimal("20.0"), "red"),
        ("B1", Decimal("1000"), Decimal("200"), Decimal("20.0"), "green"),
        ("B2", Decimal("1000"), Decimal("0"), Decimal("0.0"), "yellow"),
    ]
    assert response.context["elapsed"] == Decimal("16.7")


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("light=green", ["A1", "B1"]),
        ("light=yellow", ["A2", "B2"]),
        ("light=red", ["A3"]),
        ("level=municipal", ["A2", "B2"]),
        ("level=provincial", ["A1"]),
        ("new_start=new", ["A2", "A3", "B1"]),
        ("new_start=continuing", ["A1", "B2"]),
        ("started=true", ["A1", "B1", "B2"]),
        ("started=false", ["A2", "A3"]),
        ("unit={unit_a}", ["A1", "A2", "A3"]),
        ("unit={unit_b}&light=yellow", ["B2"]),
        ("light=red&level=municipal", []),
        ("q=B", ["B1", "B2"]),
    ],
)
def test_the_list_filters_return_exactly_the_matching_projects(listed, leader, unit_a, unit_b, query, codes):
    query = query.format(unit_a=unit_a.pk, unit_b=unit_b.pk)
    assert listed_codes(client_for(leader), query) == codes


def test_staff_list_only_their_units_projects_whatever_the_filter(listed, staff_a, unit_b):
    client = client_for(staff_a)
    assert listed_codes(client) == ["A1", "A2", "A3"]
    assert listed_codes(client, f"unit={unit_b.pk}") == []
    assert listed_codes(client, "light=green") == ["A1"]


def test_a_past_year_lists_that_years_projects(listed, leader):
    response = client_for(leader).get(f"{LIST}?year=2023")
    assert [p.code for p in response.context["object_list"]] == ["X"]


# --- export -----------------------------------------------------------------------------------------------


def test_the_export_contains_exactly_the_filtered_rows(listed, leader):
    rows = exported(client_for(leader), "light=yellow")
    assert [
        (
            r["项目编码"],
            r["新开工"],
            r["年度计划投资（万元）"],
            r["累计完成（万元）"],
            r["完成率（%）"],
            r["序时进度（%）"],
            r["亮灯"],
        )
        for r in rows
    ] == [
        ("A2", "是", 1000, 30, 3, 16.7, "黄"),
        ("B2", "否", 1000, 0, 0, 16.7, "黄"),
    ]
    assert [r["计划开工"] for r in rows] == ["2024-02-01", None]


def test_the_export_of_staff_never_holds_another_units_project(listed, staff_b, unit_a):
    client = client_for(staff_b)
    assert [r["项目编码"] for r in exported(client)] == ["B1", "B2"]
    assert exported(client, f"unit={unit_a.pk}") == []


# --- the monthly reporting page --------------------------------------------------------------------------


def monthly_lines(response) -> list[tuple]:
    assert response.status_code == 200
    return [
        (
            line["project"].code,
            line["last"].amount if line["last"] else None,
            line["this"].amount if line["this"] else None,
        )
        for line in response.context["lines"]
    ]


def test_the_monthly_page_lists_the_units_projects_with_last_month_beside(listed, staff_a):
    report(listed["A1"], "2024-03", "50", by=staff_a)
    response = client_for(staff_a).get(f"{MONTHLY}?month=2024-03")
    assert monthly_lines(response) == [
        ("A1", Decimal("90"), Decimal("50")),
        ("A2", Decimal("30"), None),
        ("A3", Decimal("200"), None),
    ]
    assert (response.context["month"], response.context["previous"]) == (date(2024, 3, 1), date(2024, 2, 1))
    assert (response.context["done"], response.context["total"], response.context["can_report"]) == (
        1,
        3,
        True,
    )


def test_posting_the_monthly_page_saves_the_empty_lines_only(listed, staff_a, colleague_a):
    a1, a2, a3 = listed["A1"], listed["A2"], listed["A3"]
    report(a1, "2024-03", "50", by=colleague_a, note="已报")
    response = client_for(staff_a).post(
        f"{MONTHLY}?month=2024-03",
        {
            "r0-project": a1.pk,
            "r0-amount": "999",  # already reported: not overwritten
            "r0-note": "覆盖",
            "r1-project": a2.pk,
            "r1-amount": "1,234.5",
            "r1-note": "设备进场",
            "r2-project": a3.pk,
            "r2-amount": "",  # left empty: nothing reported
        },
    )
    assert response.status_code == 302
    assert response.url == f"{MONTHLY}?month=2024-03"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Line 1 (A1) was not saved: 2024-03 is already reported (50.00 万元, by {colleague_a}); "
        "correct it on the project page.",  # not overwritten, and said so (issue #16, item 11)
        "1 reports saved.",
    ]
    march = MonthlyReport.objects.filter(month=date(2024, 3, 1)).order_by("project__code")
    assert list(march.values_list("project__code", "amount", "reported_by", "note")) == [
        ("A1", Decimal("50"), colleague_a.pk, "已报"),
        ("A2", Decimal("1234.50"), staff_a.pk, "设备进场"),
    ]


def test_a_bad_amount_on_the_monthly_page_saves_nothing_for_that_line(listed, staff_a):
    a1, a2, a3 = listed["A1"], listed["A2"], listed["A3"]
    response = client_for(staff_a).post(
        f"{MONTHLY}?month=2024-03",
        {
            "r0-project": a1.pk,
            "r0-amount": "-5",
            "r1-project": a2.pk,
            "r1-amount": "abc",
            "r2-project": a3.pk,
            "r2-amount": "１２",
        },
    )
    march = MonthlyReport.objects.filter(month=date(2024, 3, 1))
    assert list(march.values_list("project__code", "amount")) == [("A3", Decimal("12"))]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Line 1: Ensure this value is greater than or equal to 0.",
        "Line 2: Enter a number.",
        "1 reports saved.",
    ]


def test_staff_of_unit_b_posting_to_unit_as_monthly_page_writes_nothing_for_unit_a(listed, staff_b, unit_a):
    a_projects = [listed["A1"], listed["A2"], listed["A3"]]
    before = list(MonthlyReport.objects.order_by("pk").values_list("pk", "project", "month", "amount"))
    client = client_for(staff_b)
    # the page is their own unit's, whatever ?unit= says
    assert [c for c, _, _ in monthly_lines(client.get(f"{MONTHLY}?month=2024-03&unit={unit_a.pk}"))] == [
        "B1",
        "B2",
    ]
    response = client.post(
        f"{MONTHLY}?month=2024-03&unit={unit_a.pk}",
        {f"r{i}-project": p.pk for i, p in enumerate(a_projects)} | {f"r{i}-amount": "999" for i in range(3)},
    )
    assert response.status_code == 302
    assert not MonthlyReport.objects.filter(project__in=a_projects, month=date(2024, 3, 1)).exists()
    assert (
        list(MonthlyReport.objects.order_by("pk").values_list("pk", "project", "month", "amount")) == before
    )
    assert {p.unit_id for p in Project.objects.filter(pk__in=[p.pk for p in a_projects])} == {unit_a.pk}


def test_a_leader_reports_for_the_unit_chosen(listed, leader, unit_a):
    a2 = listed["A2"]
    client_for(leader).post(
        f"{MONTHLY}?month=2024-03&unit={unit_a.pk}",
        {"r1-project": a2.pk, "r1-amount": "70", "r0-project": ""},
    )
    assert list(
        MonthlyReport.objects.filter(month=date(2024, 3, 1)).values_list("project__code", "amount")
    ) == [("A2", Decimal("70"))]


# --- detail and unit isolation ------------------------------------------------------------------------


def test_another_units_staff_get_404_for_a_project_detail(listed, staff_b):
    assert client_for(staff_b).get(detail(listed["A1"])).status_code == 404


def test_a_task_force_member_of_another_unit_sees_the_project_but_cannot_edit_it(listed, staff_b):
    a2 = listed["A2"]
    TaskForceMemberFactory(project=a2, user=staff_b)
    client = client_for(staff_b)
    response = client.get(f"{detail(a2)}?{AS_OF}")
    assert response.status_code == 200
    assert (response.context["project"].light, response.context["can_edit"]) == ("yellow", False)
    assert client.post(reverse("projects:start", args=[a2.pk]), {"on": "2024-03-01"}).status_code == 403
    a2.refresh_from_db()
    assert (a2.actual_start, a2.stage) == (None, Project.Stage.CONSTRUCTION)


def test_the_detail_shows_the_year_plan_and_the_reports(listed, staff_a):
    response = client_for(staff_a).get(f"{detail(listed['A1'])}?{AS_OF}")
    assert response.status_code == 200
    assert response.context["plan"].planned_investment == Decimal("1000")
    assert [(r.month, r.amount) for r in response.context["reports"]] == [
        (date(2024, 1, 1), Decimal("100")),
        (date(2024, 2, 1), Decimal("90")),
    ]
    assert (response.context["project"].rate_pct, response.context["elapsed"]) == (
        Decimal("19.0"),
        Decimal("16.7"),
    )


# --- query counts that hold at two data sizes ---------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_projects(n: int, unit, by, start: int):
    for i in range(start, start + n):
        project = planned(
            unit,
            code=f"Q{i:03d}",
            new_start=bool(i % 2),
            planned_start=date(2024, 2, 1),
            actual_start=date(2024, 2, 5),
        )
        reports(project, {"2024-01": "10", "2024-02": "20", "2024-03": "30"}, by=by)
        TaskForceMemberFactory(project=project, user=by, is_lead=True)


@pytest.mark.parametrize(
    "url",
    [f"{LIST}?{AS_OF}", f"{LIST}?{AS_OF}&light=green&started=true", f"{MONTHLY}?month=2024-03"],
    ids=["list", "list-filtered", "monthly"],
)
def test_the_list_and_the_monthly_page_make_the_same_number_of_queries_for_3_and_30_projects(
    url, unit_a, staff_a, colleague_a
):
    client = client_for(staff_a)
    add_projects(3, unit_a, colleague_a, start=0)
    client.get(url)  # warm up the session and the content types
    few = count_queries(client, url)

    add_projects(27, unit_a, colleague_a, start=3)
    many = count_queries(client, url)

    assert few == many


def test_the_detail_query_count_does_not_grow_with_its_reports(unit_a, staff_a, colleague_a):
    short, long = planned(unit_a, code="S"), planned(unit_a, code="L")
    report(short, "2024-01", "10", by=staff_a)
    reports(long, {f"2024-{m:02d}": "10" for m in range(1, 13)}, by=colleague_a)
    client = client_for(staff_a)
    client.get(detail(short))
    assert count_queries(client, f"{detail(short)}?year=2024") == count_queries(
        client, f"{detail(long)}?year=2024"
    )


def test_the_detail_query_count_does_not_grow_with_its_visits_and_problems(unit_a, staff_a):
    few, many = planned(unit_a, code="F"), planned(unit_a, code="M")
    problem = {"category": category(), "title": "施工用电增容", "handling_unit": unit_a}
    project_visit(few, staff_a, date(2024, 3, 5), [problem])
    for day in range(5, 10):
        project_visit(many, staff_a, date(2024, 3, day), [problem, problem])
    client = client_for(staff_a)
    client.get(detail(few))
    assert count_queries(client, f"{detail(few)}?year=2024") == count_queries(
        client, f"{detail(many)}?year=2024"
    )
