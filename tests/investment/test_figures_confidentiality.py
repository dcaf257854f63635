"""The investment figures show another unit's leads as counts, never their amounts (issue #16, item 10).

Unit A signed one lead for 123456.78 万元 in March 2024; unit B recorded one lead and signed nothing. A
user may open a unit's leads when it is their own unit or they see every unit (leaders, admins): to anyone
else another unit's row on the figures page says how many leads and signings, not for how much.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.investment import selectors, services
from apps.investment.models import Lead

from ..conftest import client_for
from ..service.factories import local
from .factories import S, create

pytestmark = pytest.mark.django_db

AMOUNT = Decimal("123456.78")
PERIOD = {"from": "2024-03-01", "to": "2024-03-31"}
MARCH = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}
# who may open unit A's leads
OPENS_A = {
    "staff_a": True,
    "colleague_a": True,
    "manager_a": True,
    "leader": True,
    "admin": True,
    "staff_b": False,
}


@pytest.fixture
def signed(staff_a, staff_b):
    lead = create(staff_a, name="甲单位签约项目", at=local(2024, 3, 4, 10))
    for to, at in ((S.ASSESSED, local(2024, 3, 5, 10)), (S.NEGOTIATING, local(2024, 3, 6, 10))):
        lead = services.lead_move(lead=lead, to=to, by=staff_a, at=at)
    lead = services.lead_move(
        lead=lead,
        to=S.SIGNED,
        by=staff_a,
        at=local(2024, 3, 20, 10),
        signed_on=date(2024, 3, 20),
        signed_wan=AMOUNT,
    )
    create(staff_b, name="乙单位线索", at=local(2024, 3, 6, 10))
    return lead


def shows_amount(text: str) -> bool:
    return any(form in text for form in ("123456.78", "123,456.78", "123456.8", "12.35"))


@pytest.mark.parametrize("who", OPENS_A)
def test_the_figures_page_shows_unit_as_amount_only_to_who_may_open_its_leads(
    signed, users, unit_a, unit_b, who
):
    response = client_for(users[who]).get(reverse("investment:figures"), PERIOD)
    assert response.status_code == 200

    row = {r["unit"]: r for r in response.context["by_unit"]}
    assert (row[unit_a.pk]["n"], row[unit_a.pk]["signed"]) == (1, 1)  # the counts, to everyone
    assert row[unit_a.pk]["amount"] == (AMOUNT if OPENS_A[who] else None)
    assert row[unit_a.pk]["amount_hidden"] is not OPENS_A[who]
    by_unit_table = response.content.decode().split("<h2>", 3)[-1]  # the conversion-by-unit card onwards
    assert shows_amount(by_unit_table) is OPENS_A[who]


def test_staff_of_another_unit_see_their_own_rows_amount(signed, staff_b, unit_b):
    """Unit B signed nothing: its own row shows no amount, but is not hidden."""
    response = client_for(staff_b).get(reverse("investment:figures"), PERIOD)

    row = {r["unit"]: r for r in response.context["by_unit"]}[unit_b.pk]
    assert (row["n"], row["signed"], row["amount"], row["amount_hidden"]) == (1, 0, None, False)
    assert response.context["amounts_hidden"] is True


@pytest.mark.parametrize("who", OPENS_A)
def test_the_rule_is_the_lead_lists(signed, users, unit_a, who):
    user = users[who]
    assert user.opens_unit(unit_a.pk) is OPENS_A[who]
    assert Lead.objects.visible_to(user).filter(unit=unit_a).exists() is OPENS_A[who]


def test_a_units_values_keep_counts_and_drop_amounts_for_who_may_not_open_its_leads(
    signed, staff_a, staff_b, unit_a
):
    values = selectors.investment_values(**MARCH, unit_id=unit_a.pk)

    hidden = selectors.hide_amounts(values, user=staff_b, unit_id=unit_a.pk)
    assert (hidden["signed"], hidden["leads"], hidden["signed_amount_wan"]) == (1, 1, None)
    assert selectors.hide_amounts(values, user=staff_a, unit_id=unit_a.pk)["signed_amount_wan"] == AMOUNT
    # the district's totals are every unit's aggregate: shown to everyone
    district = selectors.investment_values(**MARCH)
    assert selectors.hide_amounts(district, user=staff_b, unit_id=None)["signed_amount_wan"] == AMOUNT
