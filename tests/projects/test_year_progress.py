"""YearPlan.completed_by_month, the running totals that progress figures read instead of summing reports:
right after every kind of write (report, correction, a plan made after its reports, an import's bulk insert)
and equal to a rebuild from scratch."""

from decimal import Decimal

import pytest

from apps.projects import rollups, services
from apps.projects.models import YearPlan

from .factories import YearPlanFactory, planned, report, reports

pytestmark = pytest.mark.django_db


def totals(project, year=2024) -> list[Decimal]:
    return YearPlan.objects.get(project=project, year=year).completed_by_month


def cumulative(*monthly: str) -> list[Decimal]:
    running, out = Decimal(0), []
    for amount in monthly:
        running += Decimal(amount)
        out.append(running)
    return out


def test_reports_and_corrections_keep_the_running_totals(unit_a, manager_a):
    project = planned(unit_a, "1000")
    jan, _mar = reports(project, {"2024-01": "100", "2024-03": "40.50"})
    report(project, "2023-12", "999")  # another year: not in 2024's totals
    assert totals(project) == cumulative("100", "0", "40.50", *["0"] * 9)
    services.report_correct(report=jan, amount=Decimal("120"), reason="统计口径更正", by=manager_a)
    assert totals(project) == cumulative("120", "0", "40.50", *["0"] * 9)
    services.report_correct(report=jan, amount=Decimal("0"), reason="误报", by=manager_a)
    assert totals(project) == cumulative("0", "0", "40.50", *["0"] * 9)
    assert YearPlan.objects.get(project=project, year=2024).reported_months == 0b101  # January and March


def test_a_plan_made_after_its_reports_starts_with_them(unit_a):
    project = planned(unit_a, None)
    reports(project, {"2024-02": "30", "2024-12": "70"})
    YearPlanFactory(project=project, year=2024, planned_investment=Decimal("500"))
    assert totals(project) == cumulative("0", "30", *["0"] * 9, "70")


def test_kept_totals_equal_a_recount_from_scratch(unit_a, unit_b):
    for unit, amounts in ((unit_a, {"2024-01": "1", "2024-06": "2.25"}), (unit_b, {"2024-12": "3"})):
        reports(planned(unit, "10"), amounts)
    kept = rollups.kept()
    YearPlan.objects.update(completed_by_month=[Decimal(0)] * 12, reported_months=0)
    rollups.rebuild()
    assert rollups.kept() == kept
