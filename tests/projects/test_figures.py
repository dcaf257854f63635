"""The figures of campaign 2 (selectors.project_values and friends) on a small hand-made dataset, with the
exact values it must produce.

The dataset (`district`), as of 15 March 2024 (two months completed: time-elapsed progress 16.7 %), flows
(visits, problems) within 1–15 March. Amounts in 万元; "Jan/Feb" are the reports counted, anything else not.

  code unit level  2024 plan  kind                      start planned → actual   reports (万元)
  P1   A    prov   1000       continuing (2023 plan 800) 2022-04-01 → 2022-05-01  Dec23 500, Jan 100, Feb 90,
                                                                                  Mar 50
  P2   A    mun    2000       new start                  2024-01-05 → 2023-12-29  Jan 60 (no Feb report)
  P3   B    dist    500       new start                  2024-03-01 → 2024-03-10  Feb 10
  P4   B    mun     800       new start                  2023-11-20 → 2024-04-10  Jan 100, Feb 100
  P5   A    dist    300       new start                  2024-06-01 → 2024-03-05  Feb 60
  P6   A    dist    200       continuing, completed 2024-03-01                    Jan 150, Feb 50
  P7   B    prov   1500       continuing, completed 2024-03-20 (after the period) Feb 300
  P10  A    dist    100       new start                  2024-09-01 → —           —
  P8   A    dist   2023 plan only (500)                                         Jun23 150, Dec23 100, Jan 100
  P9   B    dist   no plan at all                                               Jan 999, Feb 1
Lights on 15 March: P1 19.0 % green, P2 3.0 % yellow, P3 2.0 % yellow, P4 red (a new start planned more than
three months ago and — as of 15 March — not started, though its 25.0 % would be green), P5 20.0 % green,
P6 100 % green, P7 20.0 % green, P10 0.0 % yellow (16.7 behind; not due yet, so not red).

Visits and problems (campaign 1's visits and requests, linked to the project):
  20 Feb  visit P1 (A) + problem received 20 Feb, closed solved 4 Mar    → solved in the period, not raised
   5 Mar  visit P1 (A) + problem received 5 Mar, closed solved 8 Mar      → raised and solved
  12 Mar  visit P3 (B) + problem received 12 Mar, closed "explained" 14 Mar → raised, not solved
  16 Mar  visit P1 (A) + problem received 16 Mar                           → after the period
   6 Mar  an enterprise visit and a request (not project ones)            → never counted here
"""

from datetime import date
from decimal import Decimal

import pytest

from apps.core.figures import pct
from apps.projects import selectors
from apps.projects.models import Project, time_elapsed
from apps.service.models import Request

from ..service.factories import A, VisitFactory, act, category, local, make_request, walk_to
from .factories import YearPlanFactory, planned, project_visit, report, reports

pytestmark = pytest.mark.django_db

START, END = date(2024, 3, 1), date(2024, 3, 15)
PERIOD = {"start": START, "end": END}


@pytest.fixture
def district(unit_a, unit_b, staff_a, staff_b, manager_a):
    p1 = planned(
        unit_a,
        "1000",
        code="P1",
        level="provincial",
        planned_start=date(2022, 4, 1),
        actual_start=date(2022, 5, 1),
    )
    YearPlanFactory(project=p1, year=2023, planned_investment=Decimal("800"))
    reports(p1, {"2023-12": "500", "2024-01": "100", "2024-02": "90", "2024-03": "50"}, by=staff_a)
    p2 = planned(
        unit_a,
        "2000",
        new_start=True,
        code="P2",
        level="municipal",
        planned_start=date(2024, 1, 5),
        actual_start=date(2023, 12, 29),
    )
    report(p2, "2024-01", "60", by=staff_a)
    p3 = planned(
        unit_b,
        "500",
        new_start=True,
        code="P3",
        planned_start=date(2024, 3, 1),
        actual_start=date(2024, 3, 10),
    )
    report(p3, "2024-02", "10", by=staff_b)
    p4 = planned(
        unit_b,
        "800",
        new_start=True,
        code="P4",
        level="municipal",
        planned_start=date(2023, 11, 20),
        actual_start=date(2024, 4, 10),
    )
    reports(p4, {"2024-01": "100", "2024-02": "100"}, by=staff_b)
    p5 = planned(
        unit_a,
        "300",
        new_start=True,
        code="P5",
        planned_start=date(2024, 6, 1),
        actual_start=date(2024, 3, 5),
    )
    report(p5, "2024-02", "60", by=staff_a)
    p6 = planned(unit_a, "200", code="P6", stage="completed", actual_completion=date(2024, 3, 1))
    reports(p6, {"2024-01": "150", "2024-02": "50"}, by=staff_a)
    p7 = planned(unit_b, "1500", code="P7", level="provincial", actual_completion=date(2024, 3, 20))
    report(p7, "2024-02", "300", by=staff_b)
    p8 = planned(unit_a, "500", year=2023, code="P8")
    reports(p8, {"2023-06": "150", "2023-12": "100", "2024-01": "100"}, by=staff_a)
    p9 = planned(unit_b, None, code="P9")
    reports(p9, {"2024-01": "999", "2024-02": "1"}, by=staff_b)
    p10 = planned(unit_a, "100", new_start=True, code="P10", planned_start=date(2024, 9, 1))

    talent = category()
    problem = {"category": talent, "title": "施工用电增容", "handling_unit": unit_a}
    feb = project_visit(p1, staff_a, date(2024, 2, 20), [problem]).requests.get()
    walk_to(feb, "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 4, 10))
    march = project_visit(p1, staff_a, date(2024, 3, 5), [problem]).requests.get()
    walk_to(march, "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 8, 10))
    b_problem = project_visit(p3, staff_b, date(2024, 3, 12), [{**problem, "handling_unit": unit_b}])
    b_problem = walk_to(
        b_problem.requests.get(), "in_progress", handler=staff_b, manager=None, at=local(2024, 3, 12, 14)
    )
    act(b_problem, A.CLOSE, staff_b, local(2024, 3, 14, 10), outcome=Request.Outcome.EXPLAINED)
    project_visit(p1, staff_a, date(2024, 3, 16), [problem])
    # Campaign 1 in the same days: an enterprise visit and a solved request, counted only there.
    VisitFactory(created_by=staff_a, visited_on=date(2024, 3, 6))
    plain = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 6, 10))
    walk_to(plain, "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 7, 10))
    return {p.code: p for p in (p1, p2, p3, p4, p5, p6, p7, p8, p9, p10)}


DISTRICT = {
    "projects": 8,
    "annual_plan_wan": Decimal("6400"),
    "completed_wan": Decimal("1020"),
    "completion_rate_pct": Decimal("15.9"),  # 1020 / 6400 = 15.9375
    "time_elapsed_pct": Decimal("16.7"),
    "ahead_pp": Decimal("-0.7"),  # 15.9375 − 16.6667 = −0.729
    "new_due": 5,  # P2 P3 P4 P5 P10
    "new_started": 3,  # P2 (a week early, in December), P3, P5; P4 only in April
    "start_rate_pct": Decimal("60.0"),
    "start_rate_due_pct": Decimal("66.7"),  # due by 15 March: P2 P3 P4; started: P2 P3
    "started_early": 2,  # P2, P5
    "started_late": 1,  # P3 (P4's late start is after the period)
    "completed": 1,  # P6 (P7 on 20 March)
    "project_visits": 2,
    "problems_raised": 2,
    "problems_solved": 2,
    "reporting_pct": Decimal("75.0"),  # February reported: P1 P3 P4 P5 P6 P7 of 8
    "lights_red": 1,
    "lights_yellow": 3,
    "lights_green": 4,
}

UNIT_A = {
    "projects": 5,  # P1 P2 P5 P6 P10
    "annual_plan_wan": Decimal("3600"),
    "completed_wan": Decimal("510"),
    "completion_rate_pct": Decimal("14.2"),
    "time_elapsed_pct": Decimal("16.7"),
    "ahead_pp": Decimal("-2.5"),  # 14.1667 − 16.6667
    "new_due": 3,
    "new_started": 2,
    "start_rate_pct": Decimal("66.7"),
    "start_rate_due_pct": Decimal("100.0"),  # only P2 was due, and it started
    "started_early": 2,
    "started_late": 0,
    "completed": 1,
    "project_visits": 1,
    "problems_raised": 1,
    "problems_solved": 2,
    "reporting_pct": Decimal("60.0"),
    "lights_red": 0,
    "lights_yellow": 2,
    "lights_green": 3,
}

UNIT_B = {
    "projects": 3,  # P3 P4 P7 (not P9, which has no plan)
    "annual_plan_wan": Decimal("2800"),
    "completed_wan": Decimal("510"),
    "completion_rate_pct": Decimal("18.2"),
    "time_elapsed_pct": Decimal("16.7"),
    "ahead_pp": Decimal("1.5"),  # 18.2143 − 16.6667 = 1.548
    "new_due": 2,
    "new_started": 1,
    "start_rate_pct": Decimal("50.0"),
    "start_rate_due_pct": Decimal("50.0"),
    "started_early": 0,
    "started_late": 1,
    "completed": 0,
    "project_visits": 1,
    "problems_raised": 1,
    "problems_solved": 0,
    "reporting_pct": Decimal("100.0"),
    "lights_red": 1,
    "lights_yellow": 1,
    "lights_green": 1,
}


def test_the_dataset_lights_are_as_described(district):
    rows = Project.objects.with_progress(year=2024, months=2, as_of=END)
    assert {p.code: (p.rate_pct, p.light) for p in rows} == {
        "P1": (Decimal("19.0"), "green"),
        "P2": (Decimal("3.0"), "yellow"),
        "P3": (Decimal("2.0"), "yellow"),
        "P4": (Decimal("25.0"), "red"),
        "P5": (Decimal("20.0"), "green"),
        "P6": (Decimal("100.0"), "green"),
        "P7": (Decimal("20.0"), "green"),
        "P8": (None, ""),  # no 2024 plan
        "P9": (None, ""),  # no plan at all
        "P10": (Decimal("0.0"), "yellow"),
    }


def test_project_values_district_wide_as_of_15_march(district):
    assert selectors.project_values(**PERIOD) == DISTRICT


def test_project_values_of_unit_a(district, unit_a):
    assert selectors.project_values(**PERIOD, unit_id=unit_a.pk) == UNIT_A


def test_project_values_of_unit_b_leave_out_the_project_without_a_plan(district, unit_b):
    assert selectors.project_values(**PERIOD, unit_id=unit_b.pk) == UNIT_B


def test_units_add_up_to_the_district(district, unit_a, unit_b):
    a = selectors.project_values(**PERIOD, unit_id=unit_a.pk)
    b = selectors.project_values(**PERIOD, unit_id=unit_b.pk)
    for key in ("projects", "annual_plan_wan", "completed_wan", "new_due", "new_started", "project_visits"):
        assert a[key] + b[key] == DISTRICT[key], key


def test_project_values_of_provincial_projects(district):
    assert selectors.project_values(**PERIOD, level="provincial") == {
        "projects": 2,  # P1 P7
        "annual_plan_wan": Decimal("2500"),
        "completed_wan": Decimal("490"),
        "completion_rate_pct": Decimal("19.6"),
        "time_elapsed_pct": Decimal("16.7"),
        "ahead_pp": Decimal("2.9"),  # 19.6 − 16.6667 = 2.933
        "new_due": 0,
        "new_started": 0,
        "start_rate_pct": None,
        "start_rate_due_pct": None,
        "started_early": 0,
        "started_late": 0,
        "completed": 0,
        "project_visits": 1,
        "problems_raised": 1,
        "problems_solved": 2,
        "reporting_pct": Decimal("100.0"),
        "lights_red": 0,
        "lights_yellow": 0,
        "lights_green": 2,
    }


def test_project_values_of_one_level_in_one_unit(district, unit_b):
    values = selectors.project_values(**PERIOD, unit_id=unit_b.pk, level="municipal")
    assert (values["projects"], values["annual_plan_wan"], values["completed_wan"]) == (
        1,
        Decimal("800"),
        200,
    )
    assert (values["new_due"], values["new_started"], values["lights_red"]) == (1, 0, 1)


def test_december_2023_reports_count_in_2023_and_not_in_2024(district):
    values = selectors.project_values(start=date(2023, 12, 1), end=date(2023, 12, 31))
    assert {k: values[k] for k in ("projects", "annual_plan_wan", "completed_wan")} == {
        "projects": 2,  # P1 (2023 plan 800) and P8 (2023 plan 500)
        "annual_plan_wan": Decimal("1300"),
        "completed_wan": Decimal("750"),  # P1 Dec 500; P8 Jun 150 + Dec 100; no 2024 month
    }
    assert values["completion_rate_pct"] == Decimal("57.7")
    assert values["time_elapsed_pct"] == Decimal("100.0")
    assert values["ahead_pp"] == Decimal("-42.3")
    assert values["reporting_pct"] == Decimal("100.0")  # both reported December
    assert (values["lights_red"], values["lights_yellow"], values["lights_green"]) == (2, 0, 0)
    assert values["new_due"] == 0  # P2's new start belongs to its 2024 plan


def test_a_project_with_a_2023_plan_only_is_not_a_2024_project(district):
    assert not Project.objects.for_year(2024).filter(code="P8").exists()
    # P8's January 2024 report of 100 is not in the 2024 total (1020 without it).
    assert selectors.project_values(**PERIOD)["completed_wan"] == Decimal("1020")


def test_a_project_without_a_plan_has_no_light_and_is_not_counted(district):
    p9 = Project.objects.with_progress(year=2024, months=2, as_of=END).get(code="P9")
    assert (p9.plan_wan, p9.completed_wan, p9.rate_pct, p9.light) == (None, Decimal("1000"), None, "")
    values = selectors.project_values(**PERIOD)
    assert values["projects"] == 8
    assert values["lights_red"] + values["lights_yellow"] + values["lights_green"] == 8


def test_on_1_january_nothing_is_completed_and_no_new_start_is_red_yet(district):
    values = selectors.project_values(start=date(2024, 1, 1), end=date(2024, 1, 1))
    assert values["completed_wan"] == Decimal("0")
    assert values["completion_rate_pct"] == Decimal("0.0")
    assert values["time_elapsed_pct"] == Decimal("0.0")
    assert values["ahead_pp"] == Decimal("0.0")
    # P4 was planned for 20 Nov 2023: less than three months before 1 January.
    assert (values["lights_red"], values["lights_yellow"], values["lights_green"]) == (0, 0, 8)
    # P2 started on 29 Dec 2023, a week before its planned 5 January.
    assert (values["new_started"], values["started_early"]) == (1, 1)


def test_projects_by_unit_as_of_15_march(district, unit_a, unit_b):
    rows = {
        r["unit"].code: {k: v for k, v in r.items() if k != "unit"}
        for r in selectors.projects_by_unit(end=END)
    }
    assert rows == {
        "unit-a": {
            "projects": 5,
            "plan": Decimal("3600"),
            "done": Decimal("510"),
            "rate": Decimal("14.2"),
            "red": 0,
            "yellow": 2,
            "reporting_pct": Decimal("60.0"),
        },
        "unit-b": {
            "projects": 3,
            "plan": Decimal("2800"),
            "done": Decimal("510"),
            "rate": Decimal("18.2"),
            "red": 1,
            "yellow": 1,
            "reporting_pct": Decimal("100.0"),
        },
    }


def test_project_figures_carry_every_value_with_its_definition_and_unit(district):
    figures = selectors.project_figures(**PERIOD)
    assert [f.key for f in figures] == list(DISTRICT)
    assert {f.key: f.value for f in figures} == DISTRICT
    assert all(str(f.definition) and str(f.label) for f in figures)
    assert {f.key for f in figures if f.unit == "%"} == {
        "completion_rate_pct",
        "time_elapsed_pct",
        "start_rate_pct",
        "start_rate_due_pct",
        "reporting_pct",
    }
    assert next(f for f in figures if f.key == "time_elapsed_pct").display == "16.7%"


def test_project_visits_and_problems_do_not_count_other_units_or_enterprise_visits(district, unit_a):
    """Unit A's figures hold P1's visit and problems; the plain enterprise visit and request of 6 March by
    the same staff member are campaign 1's."""
    values = selectors.project_values(**PERIOD, unit_id=unit_a.pk)
    assert (values["project_visits"], values["problems_raised"], values["problems_solved"]) == (1, 1, 2)


# --- ahead / behind from exact values ------------------------------------------------------------------


def test_ahead_is_computed_from_the_exact_rate_2315000_plan_435500_done(unit_a, staff_a):
    project = planned(unit_a, "2315000")
    reports(project, {"2024-01": "200000", "2024-02": "235500", "2024-03": "100000"}, by=staff_a)
    values = selectors.project_values(**PERIOD, unit_id=unit_a.pk)
    assert values["completed_wan"] == Decimal("435500")
    assert values["completion_rate_pct"] == Decimal("18.8")  # 18.812
    assert values["ahead_pp"] == Decimal("2.1")  # 18.812 − 16.667 = 2.146


def test_ahead_is_not_the_difference_of_the_rounded_figures(unit_a, staff_a):
    """18.84 % at 2/12: exact 18.84 − 16.667 = 2.173 → 2.2, where 18.8 − 16.7 would give 2.1."""
    project = planned(unit_a, "10000")
    report(project, "2024-02", "1884", by=staff_a)
    values = selectors.project_values(**PERIOD, unit_id=unit_a.pk)
    assert (values["completion_rate_pct"], values["time_elapsed_pct"], values["ahead_pp"]) == (
        Decimal("18.8"),
        Decimal("16.7"),
        Decimal("2.2"),
    )


def test_no_plan_in_scope_gives_no_rates(unit_a):
    values = selectors.project_values(**PERIOD, unit_id=unit_a.pk)
    assert values["projects"] == 0
    assert values["annual_plan_wan"] == Decimal("0")
    assert (values["completion_rate_pct"], values["ahead_pp"], values["reporting_pct"]) == (None, None, None)
    assert (values["start_rate_pct"], values["start_rate_due_pct"]) == (None, None)


# --- months completed and time-elapsed progress ------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "months"),
    [
        (date(2024, 3, 15), 2),
        (date(2024, 3, 31), 3),
        (date(2024, 2, 29), 2),  # leap year: the last day of February
        (date(2024, 2, 28), 1),
        (date(2023, 2, 28), 2),
        (date(2024, 1, 1), 0),
        (date(2024, 1, 31), 1),
        (date(2024, 12, 30), 11),
        (date(2024, 12, 31), 12),
    ],
)
def test_months_completed(as_of, months):
    assert selectors.months_completed(as_of) == months


def test_time_elapsed_at_the_end_of_february_is_16_7():
    assert selectors.time_elapsed_pct(date(2024, 2, 29)) == Decimal("16.7")
    assert selectors.time_elapsed_pct(date(2023, 2, 28)) == Decimal("16.7")
    assert time_elapsed(2) == Decimal("16.7")


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 1, 1), Decimal("0.0")),
        (date(2024, 3, 15), Decimal("16.7")),
        (date(2024, 6, 30), Decimal("50.0")),
        (date(2024, 12, 31), Decimal("100.0")),
    ],
)
def test_time_elapsed_on_the_month_basis(as_of, expected):
    assert selectors.time_elapsed_pct(as_of) == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2024, 1, 1), Decimal("0.3")),  # 1 / 366
        (date(2024, 3, 15), Decimal("20.5")),  # 31 + 29 + 15 = 75 / 366 = 20.49
        (date(2023, 3, 15), Decimal("20.3")),  # 31 + 28 + 15 = 74 / 365 = 20.27
        (date(2024, 12, 31), Decimal("100.0")),
    ],
)
def test_time_elapsed_on_the_day_basis(as_of, expected):
    assert selectors.time_elapsed_pct(as_of, basis="day") == expected


def test_pct_rounds_half_up_to_one_decimal():
    assert pct(1, 8) == Decimal("12.5")
    assert pct(1, 16) == Decimal("6.3")  # 6.25
    assert pct(2, 3) == Decimal("66.7")
    assert pct(0, 0) is None
