"""The monthly investment screen says which lines it did not save and why (issue #16, item 11).

Unit A has projects A1, A2, A3 planned for 2024 (B1 is unit B's). Staff A opens the screen for March 2024
while nothing is reported; before they send it, their colleague reports A1 (50 万元) and A2 (30 万元). Staff
A then sends A1 999, A2 30 (the same amount), A3 12.5, and a line naming unit B's B1 (a forged or stale
line). A3 is saved; A1 is refused with the amount and who reported it; A2 is left as it is, and said so;
B1 is refused without a word about that project.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.projects.models import MonthlyReport

from ..conftest import client_for
from .factories import planned, report

pytestmark = pytest.mark.django_db

MONTHLY = reverse("projects:monthly_report") + "?month=2024-03"


@pytest.fixture
def screen(unit_a, unit_b):
    return {
        code: planned(unit, code=code)
        for code, unit in (("A1", unit_a), ("A2", unit_a), ("A3", unit_a), ("B1", unit_b))
    }


def sent(client, lines: list[tuple]) -> dict:
    data = {}
    for i, (project, amount) in enumerate(lines):
        data |= {f"r{i}-project": project.pk, f"r{i}-amount": amount, f"r{i}-note": ""}
    return data


def test_lines_reported_meanwhile_are_named_with_the_reason(screen, staff_a, colleague_a):
    client = client_for(staff_a)
    assert client.get(MONTHLY).context["done"] == 0  # the page as staff A opened it
    report(screen["A1"], "2024-03", "50", by=colleague_a)
    report(screen["A2"], "2024-03", "30", by=colleague_a)

    response = client.post(
        MONTHLY, sent(client, [(screen["A1"], "999"), (screen["A2"], "30"), (screen["A3"], "12.5")])
    )

    assert response.status_code == 302
    assert [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)] == [
        (
            "error",
            f"Line 1 (A1) was not saved: 2024-03 is already reported (50.00 万元, by {colleague_a}); "
            "correct it on the project page.",
        ),
        ("info", f"Line 2 (A2): 2024-03 was already reported with this amount by {colleague_a}."),
        ("success", "1 reports saved."),
    ]
    march = MonthlyReport.objects.filter(month=date(2024, 3, 1)).order_by("project__code")
    assert list(march.values_list("project__code", "amount", "reported_by")) == [
        ("A1", Decimal("50.00"), colleague_a.pk),
        ("A2", Decimal("30.00"), colleague_a.pk),
        ("A3", Decimal("12.50"), staff_a.pk),
    ]


def test_a_line_for_a_project_not_on_the_units_list_is_named_and_not_saved(screen, staff_a):
    response = client_for(staff_a).post(
        MONTHLY, sent(None, [(screen["A1"], "10"), (screen["B1"], "20"), (screen["A3"], "")])
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Line 2 was not saved: the project is no longer on this unit's list for the year.",
        "1 reports saved.",
    ]
    assert "B1" not in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert list(MonthlyReport.objects.values_list("project__code", flat=True)) == ["A1"]


def test_a_line_left_empty_is_not_mentioned(screen, staff_a, colleague_a):
    report(screen["A1"], "2024-03", "50", by=colleague_a)

    response = client_for(staff_a).post(
        MONTHLY, sent(None, [(screen["A1"], ""), (screen["A2"], ""), (screen["A3"], "")])
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == []
