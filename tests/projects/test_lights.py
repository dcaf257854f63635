"""Traffic lights (亮灯) through Project.objects.with_progress, at their edges.

Green at or above time-elapsed progress and less than 10 points behind; yellow 10–30 points behind, both
edges included; red more than 30 points behind, or a new start (新开工) not started three months after its
planned start. Rates and time-elapsed progress are one-decimal percentages.

Unless said otherwise: plan 1000 万元 for 2024, as of 30 June 2024 (six months: time elapsed 50.0 %), the
whole amount reported in January.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from apps.projects.models import Project, months_before

from .factories import planned, report

pytestmark = pytest.mark.django_db

END_OF_JUNE = date(2024, 6, 30)
THREE_MONTHS_BEFORE = date(2024, 3, 30)


def progress(project, *, as_of=END_OF_JUNE, months=6):
    return Project.objects.with_progress(year=2024, months=months, as_of=as_of).get(pk=project.pk)


def light_for(unit, completed: str | None, **project_fields) -> tuple[Decimal | None, str]:
    project = planned(unit, "1000", **project_fields)
    if completed is not None:
        report(project, "2024-01", completed)
    p = progress(project)
    return p.rate_pct, p.light


def test_three_months_before_the_end_of_june_is_30_march():
    assert months_before(END_OF_JUNE, 3) == THREE_MONTHS_BEFORE
    assert months_before(date(2024, 5, 31), 3) == date(2024, 2, 29)  # no 31 February
    assert months_before(date(2024, 2, 15), 3) == date(2023, 11, 15)


@pytest.mark.parametrize(
    ("completed", "rate", "light"),
    [
        ("600", Decimal("60.0"), "green"),  # ahead
        ("500", Decimal("50.0"), "green"),  # exactly on time
        ("401", Decimal("40.1"), "green"),  # 9.9 behind
        ("400", Decimal("40.0"), "yellow"),  # exactly 10 behind
        ("250", Decimal("25.0"), "yellow"),
        ("200", Decimal("20.0"), "yellow"),  # exactly 30 behind
        ("199", Decimal("19.9"), "red"),  # 30.1 behind
        ("0", Decimal("0.0"), "red"),
    ],
)
def test_light_at_the_end_of_june(unit_a, completed, rate, light):
    assert light_for(unit_a, completed) == (rate, light)


def test_a_project_with_no_report_at_all_is_at_zero(unit_a):
    assert light_for(unit_a, None) == (Decimal("0.0"), "red")


def test_lights_compare_one_decimal_rates(unit_a):
    """199.5 of 1000 is 19.95 %, shown as 20.0 %: exactly 30 points behind, so yellow."""
    assert light_for(unit_a, "199.50") == (Decimal("20.0"), "yellow")


def test_only_the_months_completed_count(unit_a):
    """As of 15 June (five months, 41.7 %), a June report of 500 does not count yet."""
    project = planned(unit_a, "1000")
    report(project, "2024-01", "300")
    report(project, "2024-06", "500")
    p = progress(project, as_of=date(2024, 6, 15), months=5)
    assert (p.completed_wan, p.rate_pct, p.behind_pp, p.light) == (
        Decimal("300"),
        Decimal("30.0"),
        Decimal("11.7"),
        "yellow",
    )


# --- new starts due for three months and not started -------------------------------------------------


def test_a_new_start_planned_exactly_three_months_before_and_not_started_is_red(unit_a):
    """On schedule by money (50.0 %), but not started three months after its planned start."""
    rate, light = light_for(unit_a, "500", planned_start=THREE_MONTHS_BEFORE, new_start=True)
    assert (rate, light) == (Decimal("50.0"), "red")


def test_a_new_start_planned_three_months_minus_one_day_before_is_not_red_for_that(unit_a):
    planned_start = THREE_MONTHS_BEFORE + timedelta(days=1)
    assert light_for(unit_a, "500", planned_start=planned_start, new_start=True) == (Decimal("50.0"), "green")


def test_a_new_start_due_and_not_started_is_red_even_with_no_investment_reported(unit_a):
    """End of March (25.0 %): no report at all would be yellow (25 behind); not started since the planned
    31 December 2023, it is red. Planned 1 January, it stays yellow."""
    due = planned(unit_a, "1000", new_start=True, planned_start=date(2023, 12, 31))
    not_yet = planned(unit_a, "1000", new_start=True, planned_start=date(2024, 1, 1))
    as_of = date(2024, 3, 31)
    assert progress(due, as_of=as_of, months=3).light == "red"
    assert progress(not_yet, as_of=as_of, months=3).light == "yellow"


def test_a_new_start_with_a_zero_plan_is_still_red_when_due(unit_a):
    due = planned(unit_a, "0", new_start=True, planned_start=date(2024, 1, 1))
    not_due = planned(unit_a, "0", new_start=True, planned_start=date(2024, 6, 1))
    assert (progress(due).rate_pct, progress(due).light) == (None, "red")
    assert (progress(not_due).rate_pct, progress(not_due).light) == (None, "")


def test_a_new_start_that_has_started_is_judged_by_money_only(unit_a):
    started = dict(new_start=True, planned_start=date(2024, 1, 1), actual_start=date(2024, 6, 1))
    assert light_for(unit_a, "500", **started) == (Decimal("50.0"), "green")


def test_a_start_after_the_as_of_date_does_not_count_yet(unit_a):
    """Looking back at the end of June: a project planned for 1 January that started on 15 July was red."""
    late = dict(new_start=True, planned_start=date(2024, 1, 1), actual_start=date(2024, 7, 15))
    assert light_for(unit_a, "500", **late) == (Decimal("50.0"), "red")


def test_a_continuing_project_is_never_red_for_its_start(unit_a):
    assert light_for(unit_a, "500", planned_start=date(2022, 1, 1)) == (Decimal("50.0"), "green")


def test_a_new_start_of_another_year_is_not_red_this_year(unit_a):
    """The 2023 plan was a new start; the 2024 plan is continuing: no red for a missing start in 2024."""
    project = planned(unit_a, "1000", planned_start=date(2023, 1, 1))
    project.plans.create(year=2023, planned_investment=Decimal("800"), is_new_start=True)
    report(project, "2024-01", "500")
    assert progress(project).light == "green"
