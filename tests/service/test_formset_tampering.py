"""Every formset of the app (the requests heard at a visit — enterprise, project and R&D entity visits — and
the leads of a trip report), posted with a management form that does not match the rows sent: a negative,
zero, non-numeric, empty or huge TOTAL_FORMS, a negative INITIAL_FORMS or one above the total. The answer is
the form again with a clear error and the typed row on it; nothing is saved. (Before, `TOTAL_FORMS=-1` read
as "no rows": the visit was saved and the typed request silently dropped.)"""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.investment.models import Lead, Trip
from apps.service.models import Request, Visit

from ..conftest import client_for
from ..factories import EnterpriseFactory
from ..projects.factories import planned
from ..research.factories import EntityFactory
from .factories import category

pytestmark = pytest.mark.django_db

TYPED = "人才公寓申请（已填写）"
MESSAGE = "The form changed on its way here"

# (TOTAL_FORMS, INITIAL_FORMS) as a tampered page posts them beside one typed row
TAMPERED = [
    ("-1", "0"),
    ("0", "0"),
    ("-2147483649", "0"),
    ("abc", "0"),
    ("", "0"),
    ("1.5", "0"),
    (str(2**63), "0"),
    ("1000", "0"),
    ("1", "-1"),
    ("1", "5"),
    ("1", "abc"),
]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _visit_data(prefix_total, prefix_initial, enterprise, unit) -> dict:
    return {
        "visited_on": timezone.localdate().isoformat(),
        "enterprise": enterprise.pk,
        "lead_unit": unit.pk,
        "mode": "on_site",
        "summary": "了解企业用工需求",
        "requests-TOTAL_FORMS": prefix_total,
        "requests-INITIAL_FORMS": prefix_initial,
        "requests-MIN_NUM_FORMS": "0",
        "requests-MAX_NUM_FORMS": "30",
        "requests-0-category": category().pk,
        "requests-0-title": TYPED,
        "requests-0-urgency": "normal",
    }


def _trip_data(total, initial, leader) -> dict:
    today = timezone.localdate().isoformat()
    return {
        "start_on": today,
        "end_on": today,
        "cities": "上海",
        "kind": "visit",
        "leader": leader.pk,
        "companies_met": "上海示例集团",
        "summary": "赴沪招商",
        "leads-TOTAL_FORMS": total,
        "leads-INITIAL_FORMS": initial,
        "leads-MIN_NUM_FORMS": "0",
        "leads-MAX_NUM_FORMS": "30",
        "leads-0-name": TYPED,
        "leads-0-investor": "上海示例集团",
        "leads-0-industry": "C",
        "leads-0-expected_wan": "5000",
    }


def _counts() -> tuple[int, ...]:
    return Visit.objects.count(), Request.objects.count(), Trip.objects.count(), Lead.objects.count()


@pytest.mark.parametrize(("total", "initial"), TAMPERED)
@pytest.mark.parametrize("target", ["enterprise visit", "project visit", "R&D entity visit", "trip"])
def test_a_tampered_formset_count_is_refused_with_an_error_and_saves_nothing(
    target, total, initial, staff_a, manager_a
):
    enterprise = EnterpriseFactory(unit=staff_a.unit)
    user = staff_a
    if target == "enterprise visit":
        url = reverse("service:visit_create")
        data = _visit_data(total, initial, enterprise, staff_a.unit)
    elif target == "project visit":
        project = planned(staff_a.unit, "1000", owner=enterprise, code="FZ-T-001")
        url = reverse("projects:visit_create", args=[project.pk])
        data = _visit_data(total, initial, enterprise, staff_a.unit)
    elif target == "R&D entity visit":
        entity = EntityFactory(unit=staff_a.unit, park=staff_a.unit, enterprise=enterprise)
        url = reverse("research:entity_visit", args=[entity.pk])
        data = _visit_data(total, initial, enterprise, staff_a.unit)
    else:
        user = manager_a
        url = reverse("investment:trip_create")
        data = _trip_data(total, initial, manager_a)
    before = _counts()

    response = client_for(user).post(url, data)

    assert response.status_code == 200  # the form again, not a redirect to a saved record
    page = response.content.decode()
    assert MESSAGE in page or "Please submit at most" in page
    assert TYPED in page  # the typed row comes back: nothing typed is lost
    assert _counts() == before


@pytest.mark.parametrize("target", ["enterprise visit", "trip"])
def test_the_page_posts_a_consistent_count_after_a_tampered_one(target, staff_a, manager_a):
    """The form that comes back counts the rows it shows, so saving it again works."""
    enterprise = EnterpriseFactory(unit=staff_a.unit)
    if target == "trip":
        user, url, data, prefix = (
            manager_a,
            reverse("investment:trip_create"),
            _trip_data("-1", "0", manager_a),
            "leads",
        )
    else:
        user, url, prefix = staff_a, reverse("service:visit_create"), "requests"
        data = _visit_data("-1", "0", enterprise, staff_a.unit)
    client = client_for(user)
    response = client.post(url, data)
    management = response.context["formset"].management_form
    assert (management["TOTAL_FORMS"].value(), management["INITIAL_FORMS"].value()) == (1, 0)

    response = client.post(url, {**data, f"{prefix}-TOTAL_FORMS": "1"})

    assert response.status_code == 302
    assert TYPED in (
        Request.objects.values_list("title", flat=True)
        if target != "trip"
        else Lead.objects.values_list("name", flat=True)
    )


def test_a_count_above_the_rows_sent_with_blank_rows_is_not_tampering(staff_a):
    """What the page itself posts: its count includes the blank rows it shows (posted with their defaults)."""
    enterprise = EnterpriseFactory(unit=staff_a.unit)
    data = _visit_data("3", "0", enterprise, staff_a.unit)
    data |= {"requests-1-category": "", "requests-1-title": "", "requests-1-urgency": "normal"}
    data |= {
        "requests-2-category": category().pk,
        "requests-2-title": "融资需求",
        "requests-2-urgency": "normal",
    }

    response = client_for(staff_a).post(reverse("service:visit_create"), data)

    assert response.status_code == 302
    assert sorted(Request.objects.values_list("title", flat=True)) == sorted([TYPED, "融资需求"])
