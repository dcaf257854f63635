"""The project list at province scale (issue "Fast pages for everyone").

Before: the list read every project through `with_progress`, whose nested expressions (the light refers to the
distance behind, which refers to the rate, which refers to the completed amount and its fallback subquery)
Django composed twice per page, for the count and for the rows, each costing more than running them: 60 ms a
page of which 11 ms SQL. Now the page reads its projects' plan columns and works out the progress of its
50 rows with the in-memory twins of the same definitions (`progress`, `light_of`); only a filter on the light
asks SQL for it. The order ended on the code, which is unique within a unit only, so the last page, read
backwards, need not hold the rows the pages before it left. And the unit dropdown built a model object for
each of a province's 300 units."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.projects.models import Project, months_completed
from apps.units.models import Unit

from ..conftest import client_for, models_built
from ..factories import UnitFactory
from .factories import planned, report, reports

pytestmark = pytest.mark.django_db

LIST = reverse("projects:list")


@pytest.fixture
def projects(unit_a, unit_b):
    """2024 projects at the edges of the lights (plan 1000 万元 unless said): reports in January, March and
    June; a zero plan; new starts due (or not) and started (or not, or after the day looked at); the same
    code in two units."""
    made = [
        planned(unit_a, code="P01"),  # nothing reported
        planned(unit_a, "0", code="P02", new_start=True, planned_start=date(2024, 1, 1)),
        planned(unit_a, "0", code="P03", new_start=True, planned_start=date(2024, 6, 1)),
        planned(unit_a, code="P04", new_start=True, planned_start=date(2023, 12, 31)),
        planned(
            unit_a, code="P05", new_start=True, planned_start=date(2024, 1, 1), actual_start=date(2024, 7, 15)
        ),
        planned(
            unit_a, code="P06", new_start=True, planned_start=date(2024, 2, 1), actual_start=date(2024, 1, 20)
        ),
        planned(unit_a, code="P07"),
        planned(unit_b, code="P07"),
        planned(unit_b, "3", code="P08"),
    ]
    reports(made[3], {"2024-01": "100", "2024-03": "150"})
    reports(made[4], {"2024-01": "500"})
    reports(made[5], {"2024-03": "199.50"})
    reports(made[6], {"2024-01": "400", "2024-06": "500"})
    reports(made[7], {"2024-06": "600"})
    report(made[8], "2024-01", "1")
    planned(unit_a, year=2023, code="P09")  # not a 2024 project
    return made


@pytest.mark.parametrize("as_of", ["2024-01-15", "2024-01-31", "2024-03-31", "2024-06-15", "2024-06-30"])
def test_the_list_shows_the_progress_with_progress_computes(projects, leader, as_of):
    day = date.fromisoformat(as_of)
    response = client_for(leader).get(LIST, {"year": 2024, "as_of": as_of})
    columns = ("pk", "code", "plan_wan", "completed_wan", "rate_pct", "behind_pp", "light")
    expected = [
        tuple(getattr(p, c) for c in columns)
        for p in Project.objects.with_progress(year=2024, months=months_completed(day), as_of=day)
        .filter(plans__year=2024)
        .order_by("code", "id")
    ]
    shown = [tuple(getattr(p, c) for c in columns) for p in response.context["object_list"]]
    assert shown == expected
    assert len(shown) == 9


def test_the_page_composes_no_progress_expression_in_sql(projects, leader):
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(LIST, {"year": 2024, "as_of": "2024-06-30"})
    assert response.status_code == 200
    assert not [q["sql"] for q in queries if "projects_monthlyreport" in q["sql"] or "ROUND(" in q["sql"]]


def test_filtering_on_the_light_still_asks_sql_for_it(projects, leader):
    response = client_for(leader).get(LIST, {"year": 2024, "as_of": "2024-06-30", "light": "red"})
    assert [(p.code, p.light) for p in response.context["object_list"]] == [
        ("P01", "red"),
        ("P02", "red"),
        ("P04", "red"),  # 25.0 %: yellow by money, but not started three months after its planned start
        ("P05", "red"),  # 50.0 %: started after the day looked at
    ]


def test_the_order_ends_on_the_id(projects, leader):
    """Two units' projects with the same code keep one order on every page, and on the last page read
    backwards (TwoEndedPaginator needs an order that ends on a unique column)."""
    with CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(LIST, {"year": 2024})
    [rows] = [
        q["sql"]
        for q in queries
        if '"projects_project"."code"' in q["sql"].split(" FROM ")[0] and not q["sql"].startswith("EXPLAIN")
    ]
    order_by = re.search(r"ORDER BY (.*?)(?: LIMIT|$)", rows).group(1)
    assert order_by.endswith('"projects_project"."id" ASC'), order_by
    sevens = [p for p in response.context["object_list"] if p.code == "P07"]
    assert [p.pk for p in sevens] == sorted(p.pk for p in sevens)


def test_the_unit_dropdown_is_read_as_pairs_not_model_objects(projects, leader, unit_a, unit_b):
    """A province's 300 units built as model objects for the dropdown cost more than the page's rows."""
    UnitFactory.create_batch(20)
    UnitFactory(name="已撤销的单位", is_active=False)
    with models_built(Unit) as built:
        response = client_for(leader).get(LIST, {"year": 2024, "unit": unit_b.pk})
    assert len(built) <= 1  # the signed-in user's own unit, at most
    assert [p.code for p in response.context["object_list"]] == ["P07", "P08"]
    choices = response.context["filter"].form.fields["unit"].choices
    active = list(Unit.objects.active().values_list("id", "name"))
    assert [(str(v), str(label)) for v, label in choices][1:] == [(str(pk), name) for pk, name in active]
    assert "已撤销的单位" not in response.content.decode()


@pytest.mark.parametrize("page", ["1", "last"])
def test_the_rows_are_read_as_values_with_the_months_running_total_alone(projects, leader, page):
    """A model instance of each of 50 projects, and the year plan's twelve running totals read to print one,
    cost more than the page's query: the rows are the shown columns as values, with that month's total."""
    with models_built(Project) as built, CaptureQueriesContext(connection) as queries:
        response = client_for(leader).get(LIST, {"year": 2024, "as_of": "2024-03-31", "page": page})
    assert response.status_code == 200
    assert built == []
    [rows] = [q["sql"] for q in queries if '"projects_project"."code"' in q["sql"].split(" FROM ")[0]]
    selected = rows.split(" FROM ")[0]
    assert re.findall(r'"completed_by_month"\)?(\[\d+\])?', selected) == [
        "[3]"
    ]  # March: PostgreSQL counts from 1
    assert '"description"' not in selected and '"total_investment"' not in selected
    shown = [(p.code, p.completed_wan, p.rate_pct, p.light) for p in response.context["object_list"]]
    assert shown == [
        ("P01", Decimal(0), Decimal("0.0"), "yellow"),  # 25 points behind March's 25 %
        ("P02", Decimal(0), None, ""),  # no plan amount; planned for January: not yet three months late
        ("P03", Decimal(0), None, ""),
        ("P04", Decimal("250.00"), Decimal("25.0"), "red"),  # on time by money, not started since December
        ("P05", Decimal("500.00"), Decimal("50.0"), "green"),  # started after the day looked at, not yet late
        ("P06", Decimal("199.50"), Decimal("20.0"), "green"),  # 5 points behind
        ("P07", Decimal("400.00"), Decimal("40.0"), "green"),
        ("P07", Decimal(0), Decimal("0.0"), "yellow"),
        ("P08", Decimal("1.00"), Decimal("33.3"), "green"),
    ]


def test_the_count_reads_no_table_the_rows_are_not_counted_by(projects, staff_a):
    """The unit's short name is a shown column of the page's rows, not a join of the count: joined there,
    PostgreSQL planned and hashed the units for every count (a park's staff member's count at province
    scale planned in 0.32-0.49 ms with the join, 0.20-0.25 without)."""
    with CaptureQueriesContext(connection) as queries:
        response = client_for(staff_a).get(LIST, {"year": 2024})
    assert response.status_code == 200
    [count] = [q["sql"] for q in queries if "count_upto" in q["sql"]]
    assert "units_unit" not in count and "projects_yearplan" in count
    assert [p.unit__short_name for p in response.context["object_list"]] == ["研创园"] * 7


@pytest.fixture
def served_list(projects, staff_a):
    """Staff A's project list when A also serves on two of unit B's task forces: the response and the
    statements it ran."""
    from apps.projects.models import TaskForceMember

    for project in Project.objects.exclude(unit=staff_a.unit)[:2]:
        TaskForceMember.objects.create(project=project, user=staff_a, is_lead=False)
    with CaptureQueriesContext(connection) as captured:
        response = client_for(staff_a).get(f"{LIST}?year=2024")
    assert response.status_code == 200
    return response, captured


def test_a_staff_members_task_forces_are_read_from_an_index_of_the_users_memberships(served_list, staff_a):
    """The user's task forces were read through an index on the user alone and then the table's pages (a
    bitmap heap scan of 216 pages for a generated province's bureau staff member on 3,659 task forces,
    1.4 ms of every count and page). They are read from (user, project) alone, still as an index condition
    of the projects ORed with the unit's (a hashed `IN` would walk every project for a user on a few)."""
    response, captured = served_list
    reading = [q["sql"] for q in captured if "projects_taskforcemember" in q["sql"]]
    assert len(reading) == 2, reading  # the count and the page's rows
    for sql in reading:
        counted = re.match(r"SELECT count_upto\('((?:[^']|'')*)'", sql)  # the count: the query it counts
        sql = counted.group(1).replace("''", "'") if counted else sql
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # on a few rows a scan is right; not at scale
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert " taskforce_user_projects " in plan, plan  # index-only once the table is vacuumed
        assert "hashed SubPlan" not in plan, plan
    own = Project.objects.filter(plans__year=2024, unit=staff_a.unit).count()
    assert response.context["page_obj"].paginator.count == own + 2  # and unit B's two, by their task force
    assert [p.code for p in response.context["object_list"]] == ["P01", "P02", "P03", "P04", "P05", "P06",
                                                                 "P07", "P07", "P08"]  # fmt: skip


def test_a_staff_members_list_reads_their_task_forces_without_sorting_them(served_list, staff_a):
    """Visibility ORs the unit's projects with those whose task force the user serves on, as
    `id = ANY(ARRAY(subquery))` (pk_among): the subquery kept the members' own order (lead first), so every
    count and page sorted the user's memberships first — 3,673 of them for a generated province's busiest
    staff member, 1.6 ms each time. A set of ids needs no order."""
    response, captured = served_list
    arrays = [
        m for q in captured for m in re.findall(r"ARRAY\((.*?projects_taskforcemember.*?)\)\)", q["sql"])
    ]
    assert arrays, [q["sql"] for q in captured]
    assert not [a for a in arrays if "ORDER BY" in a], arrays
    own = Project.objects.filter(plans__year=2024, unit=staff_a.unit).count()
    assert response.context["page_obj"].paginator.count == own + 2  # and unit B's two, by their task force


def test_an_unfiltered_page_reads_its_rows_in_a_statement_composed_once_per_user_and_year(
    unit_a, unit_b, staff_a, colleague_a, composed_sql
):
    """The year's list, unfiltered: its page's row statement is composed once per process for whose projects
    the user sees (every unit's; or the unit's and the task forces they serve on: each user's own) and the
    year's months so far, no longer on every view; what it shows is read afresh."""
    from apps.accounts import roles
    from apps.projects.models import TaskForceMember

    from ..factories import UserFactory
    from .factories import planned

    year = timezone.localdate().year
    leader_a = UserFactory(username="leader_a", unit=unit_a, role=roles.LEADER)
    ours = [planned(unit_a, year=year, code=f"A{i:02d}") for i in range(3)]
    served = planned(unit_b, year=year, code="B01")
    others = planned(unit_b, year=year, code="B02")
    TaskForceMember.objects.create(project=served, user=staff_a)

    def shown(user):
        response = client_for(user).get(LIST)
        assert response.status_code == 200
        return [row.code for row in response.context["object_list"]]

    def pages_composed():
        return [sql for sql in composed_sql if '"projects_project"' in sql and "LIMIT" in sql]

    assert shown(leader_a) == ["A00", "A01", "A02", "B01", "B02"]
    assert shown(staff_a) == ["A00", "A01", "A02", "B01"]
    assert shown(colleague_a) == ["A00", "A01", "A02"]  # not on the task force: not the statement of staff_a
    composed_sql.clear()
    assert (shown(leader_a), shown(staff_a)) == (
        ["A00", "A01", "A02", "B01", "B02"],
        ["A00", "A01", "A02", "B01"],
    )
    assert pages_composed() == []
    TaskForceMember.objects.create(project=others, user=colleague_a)
    ours[0].name = "改名项目"
    ours[0].save()
    composed_sql.clear()

    # read afresh: the task force they joined (a page of four rows now: its slice composed once)
    assert shown(colleague_a) == ["A00", "A01", "A02", "B02"]
    composed_sql.clear()
    assert shown(colleague_a) == ["A00", "A01", "A02", "B02"]
    assert client_for(staff_a).get(LIST).context["object_list"][0].name == "改名项目"
    assert pages_composed() == []
