"""Amounts on the pages, with thousands separators, in Chinese and in English (issue #18, item 7): the
projects overview showed "2315000.00" (Django's zh-hans number format has no thousands separator).

The dataset: one 2024 project of unit A, total investment 3,000,000 万元, plan 2,315,000 万元, reported
200,000 in January and 235,500 in February (435,500 done as of 15 March 2024); a lead of unit A expecting
90,800 万元 and one signed on 1 March 2024 for 150,000 万元 (tests/investment/factories.py); a carrier of
unit A with 12,000 m², 3,500 of them free. Pages are read by the district leader; the exact strings are
asserted, and the ungrouped forms are absent.
"""

import pytest
from django.conf import settings

from .conftest import client_for
from .investment.factories import S, create, lead_at
from .projects.factories import planned, reports
from .research.factories import CarrierFactory

pytestmark = pytest.mark.django_db

PERIOD = "from=2024-01-01&to=2024-03-15"
AS_OF = "year=2024&as_of=2024-03-15"


@pytest.fixture
def amounts(unit_a, staff_a):
    project = planned(unit_a, "2315000", code="P-AMOUNT", total_investment="3000000")
    reports(project, {"2024-01": "200000", "2024-02": "235500"}, by=staff_a)
    lead = create(staff_a, name="大额招商线索", expected_wan="90800")
    signed = lead_at(create(staff_a, name="已签约线索", expected_wan="200000"), S.SIGNED, staff_a)
    CarrierFactory(park=unit_a, unit=unit_a, name="研创园大厂房", total_area_m2="12000", free_area_m2="3500")
    return {"project": project, "lead": lead, "signed": signed}


def page(user, path: str, language: str) -> str:
    client = client_for(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


LANGUAGES = ["zh-hans", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_projects_overview_groups_its_amounts(amounts, leader, language):
    html = page(leader, f"/projects/overview/?{PERIOD}", language)
    # the figure cards (district and no unit chosen): the plan and the investment completed, to the fen
    assert html.count(">2,315,000.00<") == 1
    assert html.count(">435,500.00<") == 1
    # the tables by level and by responsible unit, in whole 万元
    assert html.count(">2,315,000<") == 2
    assert html.count(">435,500<") == 2
    assert "2315000" not in html and "435500" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_project_list_groups_its_amounts(amounts, leader, language):
    html = page(leader, f"/projects/?{AS_OF}", language)
    assert '<td data-label="' in html and ">2,315,000<" in html and ">435,500<" in html
    assert "2315000" not in html and "435500" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_project_page_groups_its_amounts(amounts, leader, language):
    html = page(leader, f"/projects/{amounts['project'].pk}/?{AS_OF}", language)
    for shown in (
        "3,000,000.00 万元",
        "2,315,000.00 万元",
        "435,500.00 万元",
        ">200,000.00<",
        ">235,500.00<",
    ):
        assert shown in html
    assert "3000000" not in html and "2315000" not in html and "235500" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_lead_pages_group_their_amounts(amounts, staff_a, language):
    lead, signed = amounts["lead"], amounts["signed"]
    assert "90,800.00 万元" in page(staff_a, f"/investment/leads/{lead.pk}/", language)
    assert "150,000.00 万元" in page(staff_a, f"/investment/leads/{signed.pk}/", language)
    listed = page(staff_a, "/investment/leads/", language)
    assert ">90,800<" in listed and "90800" not in listed
    board = page(staff_a, "/investment/", language)
    assert "<strong>90,800</strong>" in board and "90800" not in board


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_investment_figures_group_the_signed_amounts(amounts, leader, language):
    html = page(leader, "/investment/figures/?from=2024-03-01&to=2024-03-31", language)
    # the district's card (to the fen) and unit A's row of the conversion table
    assert html.count(">150,000.00<") == 2
    assert "150000" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_carrier_areas_are_grouped(amounts, staff_a, language):
    html = page(staff_a, "/research/carriers/", language)
    assert 'class="num">3,500 / 12,000<svg' in html  # the carrier's row: free / total m²
    assert ">12,000<" in html  # the summary by park and kind: total area
    assert "12000" not in html and "3500" not in html
