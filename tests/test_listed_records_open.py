"""A page lists only records whose own page opens for the same user; the others are told as a count.

The world: unit A's enterprise, R&D entity and project, each visited by unit A and by unit B; the project
has a problem handled by unit A and one handled by unit B, and a staff member of unit B on its task force.
Each page is opened as staff of unit A and of unit B, and every same-site link on it is followed: none may
answer 404 (nor fail), and what was left out is counted on the page.
"""

from datetime import date

import pytest
from django.urls import reverse

from apps.research import services as research_services
from apps.service import services as service_services

from .conftest import client_for
from .factories import EnterpriseFactory
from .links import links_on
from .projects.factories import TaskForceMemberFactory, planned, project_visit
from .research.factories import EntityFactory
from .service.factories import category

pytestmark = pytest.mark.django_db

ON = date(2024, 3, 4)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _visit(by, enterprise):
    return service_services.visit_record(
        by=by, visited_on=ON, enterprise=enterprise, lead_unit=by.unit, mode="on_site", summary="走访"
    )


def _follow_every_link(client, path) -> str:
    """Open `path`, then every same-site link on it; return the page's text."""
    response = client.get(path)
    assert response.status_code == 200, path
    page = response.content.decode()
    answers = {link: client.get(link).status_code for link in links_on(page)}
    broken = {link: status for link, status in answers.items() if status == 404 or status >= 500}
    assert broken == {}, f"links on {path} that do not open"
    return page


def test_enterprise_record_lists_only_the_visits_the_user_opens_and_counts_the_others(
    staff_a, colleague_a, staff_b
):
    enterprise = EnterpriseFactory(unit=staff_a.unit)
    mine = _visit(staff_a, enterprise)
    theirs = [_visit(staff_b, enterprise), _visit(staff_b, enterprise)]
    path = reverse("enterprise_record", args=[enterprise.pk])

    page = _follow_every_link(client_for(colleague_a), path)
    assert reverse("service:visit_detail", args=[mine.pk]) in page
    assert all(reverse("service:visit_detail", args=[v.pk]) not in page for v in theirs)
    assert "2 more visits by other units." in page

    page = _follow_every_link(client_for(staff_b), path)
    assert reverse("service:visit_detail", args=[mine.pk]) not in page
    assert "1 more visit by other units." in page


def test_enterprise_record_lists_a_joint_visit_to_the_joint_unit(staff_a, staff_b):
    enterprise = EnterpriseFactory(unit=staff_a.unit)
    joint = service_services.visit_record(
        by=staff_b,
        visited_on=ON,
        enterprise=enterprise,
        lead_unit=staff_b.unit,
        joint_units=[staff_a.unit],
        mode="on_site",
        summary="联合走访",
    )
    page = _follow_every_link(client_for(staff_a), reverse("enterprise_record", args=[enterprise.pk]))
    assert reverse("service:visit_detail", args=[joint.pk]) in page
    assert "more visit" not in page


def test_leader_sees_every_visit_on_the_enterprise_record_and_no_count(staff_a, staff_b, leader):
    enterprise = EnterpriseFactory(unit=staff_a.unit)
    visits = [_visit(staff_a, enterprise), _visit(staff_b, enterprise)]
    page = _follow_every_link(client_for(leader), reverse("enterprise_record", args=[enterprise.pk]))
    assert all(reverse("service:visit_detail", args=[v.pk]) in page for v in visits)
    assert "more visit" not in page


def test_rd_entity_page_lists_only_the_visits_the_user_opens_and_counts_the_others(staff_a, staff_b):
    entity = EntityFactory(unit=staff_a.unit, park=staff_a.unit)
    fields = {"visited_on": ON, "mode": "on_site", "summary": "走访研发主体"}
    mine = research_services.entity_visit_record(entity=entity, by=staff_a, lead_unit=staff_a.unit, **fields)
    theirs = research_services.entity_visit_record(
        entity=entity, by=staff_b, lead_unit=staff_b.unit, **fields
    )
    path = reverse("research:entity_detail", args=[entity.pk])

    page = _follow_every_link(client_for(staff_a), path)
    assert reverse("service:visit_detail", args=[mine.pk]) in page
    assert reverse("service:visit_detail", args=[theirs.pk]) not in page
    assert "1 more visit by other units." in page

    page = _follow_every_link(client_for(staff_b), path)
    assert reverse("service:visit_detail", args=[theirs.pk]) in page
    assert reverse("service:visit_detail", args=[mine.pk]) not in page


def test_project_page_shows_a_task_force_member_of_another_unit_counts_not_links(staff_a, staff_b):
    owner = EnterpriseFactory(unit=staff_a.unit)
    project = planned(staff_a.unit, "1000", owner=owner, code="FZ-A-009")
    TaskForceMemberFactory(project=project, user=staff_b)
    problem = {"category": category(), "title": "施工用电", "description": "", "urgency": "normal"}
    visit = project_visit(project, staff_a, ON, problems=[{**problem, "handling_unit": staff_a.unit}])
    path = reverse("projects:detail", args=[project.pk])

    page = _follow_every_link(client_for(staff_b), path)
    assert reverse("service:visit_detail", args=[visit.pk]) not in page
    assert "施工用电" not in page
    assert "1 more visit by other units." in page
    assert "1 more problem is handled by other units." in page

    page = _follow_every_link(client_for(staff_a), path)
    assert reverse("service:visit_detail", args=[visit.pk]) in page
    assert "施工用电" in page
    assert "more problem" not in page
