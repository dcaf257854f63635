"""The investment figures say what their labels say (issue #16, item 9 c and d).

c. 超过办理时限 (past a handling limit) counts open leads only. Unit A, all recorded in 2024 and long past
   their two-week update today: O1 a lead, O2 negotiating, S1 signed 20 Mar 2024, R1 registered, D1 dropped.
   Stale now: O1 and O2 (the signed and registered leads have left the open stages; it was 4).
d. 平均停留天数 (average days in stage) is measured to the period's end, over the leads in each open stage
   then. Unit A:
     X created Fri 1 Mar 10:00, stays a lead
     V created Sun 3 Mar 10:00, assessed Wed 3 Apr 10:00
     Y created Sat 2 Mar 10:00, assessed Tue 5 Mar 08:00, negotiating Wed 10 Apr 09:00
     W created Thu 1 Feb 09:00, assessed 2 Feb, negotiating 3 Feb, signed 20 Mar
     Z created Tue 2 Apr 00:00, stays a lead
   At the end of March (1 Apr 00:00): lead X (30 d 14 h) and V (28 d 14 h) → 2, 29.6 days; assessed Y
   (26 d 16 h) → 1, 26.7 days; negotiating none (W was signed on 20 Mar).
   At the end of 5 April (6 Apr 00:00): lead X (35 d 14 h) and Z (4 d) → 2, 19.8 days; assessed Y (31 d 16 h)
   and V (2 d 14 h) → 2, 17.1 days.
"""

from datetime import date

import pytest
from django.urls import reverse

from apps.investment import selectors, services
from apps.investment.models import Lead
from apps.workbench import rollups

from ..conftest import client_for
from ..service.factories import local
from .factories import REASON, S, create, step_extra

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}


def moved(lead, by, *steps):
    for to, at in steps:
        lead = services.lead_move(lead=lead, to=to, by=by, at=at, **step_extra(lead, to))
    return lead


# --- c. only open leads are past a handling limit ---------------------------------------------------------


@pytest.fixture
def leads_of_every_stage(staff_a):
    at = local(2024, 3, 4, 10)
    create(staff_a, name="O1", at=at)
    moved(
        create(staff_a, name="O2", at=at),
        staff_a,
        (S.ASSESSED, local(2024, 3, 5, 10)),
        (S.NEGOTIATING, local(2024, 3, 6, 10)),
    )
    signing = [
        (S.ASSESSED, local(2024, 3, 5, 10)),
        (S.NEGOTIATING, local(2024, 3, 6, 10)),
        (S.SIGNED, local(2024, 3, 20, 10)),
    ]
    moved(create(staff_a, name="S1", at=at), staff_a, *signing)
    moved(create(staff_a, name="R1", at=at), staff_a, *signing, (S.REGISTERED, local(2024, 3, 25, 10)))
    moved(create(staff_a, name="D1", at=at), staff_a, (S.DROPPED, local(2024, 3, 5, 10)))


def test_only_open_leads_are_past_a_handling_limit(leads_of_every_stage, unit_a):
    assert selectors.investment_values(**MARCH)["stale"] == 2
    assert selectors.investment_values(**MARCH, unit_id=unit_a.pk)["stale"] == 2
    assert set(Lead.objects.stale().values_list("name", flat=True)) == {"O1", "O2"}


def test_the_figures_composed_once_count_the_leads_past_a_limit_at_the_moment_they_are_read(
    leads_of_every_stage, unit_a, monkeypatch, composed
):
    """The campaign's figures are composed once per process (batch.reused); its one figure of the moment, the
    leads past a limit now, is read at each call's moment (batch.NOW): on the morning O1 was recorded, before
    its one working day to respond ran out, neither open lead was past a limit."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: local(2024, 3, 4, 10, 30))
    assert selectors.investment_values(**MARCH, unit_id=unit_a.pk)["stale"] == 0
    composed.clear()
    monkeypatch.setattr(
        timezone, "now", lambda: local(2024, 3, 29, 10)
    )  # the same month: the same statements

    assert selectors.investment_values(**MARCH, unit_id=unit_a.pk)["stale"] == 2
    assert composed == []


def test_the_stale_filter_of_the_lead_list_shows_the_same_leads(leads_of_every_stage, staff_a):
    response = client_for(staff_a).get(reverse("investment:lead_list"), {"stale": "true"})

    assert {lead.name for lead in response.context["object_list"]} == {"O1", "O2"}


def test_a_signed_lead_has_no_handling_limit_flag(leads_of_every_stage):
    signed = Lead.objects.get(name="S1")

    assert (signed.stale_from, signed.flags()) == (None, [])


# --- d. average days in stage, to the period's end --------------------------------------------------------


@pytest.fixture
def ageing(staff_a):
    create(staff_a, name="X", at=local(2024, 3, 1, 10))
    moved(create(staff_a, name="V", at=local(2024, 3, 3, 10)), staff_a, (S.ASSESSED, local(2024, 4, 3, 10)))
    moved(
        create(staff_a, name="Y", at=local(2024, 3, 2, 10)),
        staff_a,
        (S.ASSESSED, local(2024, 3, 5, 8)),
        (S.NEGOTIATING, local(2024, 4, 10, 9)),
    )
    moved(
        create(staff_a, name="W", at=local(2024, 2, 1, 9)),
        staff_a,
        (S.ASSESSED, local(2024, 2, 2, 9)),
        (S.NEGOTIATING, local(2024, 2, 3, 9)),
        (S.SIGNED, local(2024, 3, 20, 10)),
    )
    create(staff_a, name="Z", at=local(2024, 4, 2, 0))


def rows(ageing_rows) -> list[tuple]:
    return [(r["stage"], r["n"], r["avg_days"]) for r in ageing_rows]


def test_average_days_in_stage_are_measured_to_the_end_of_the_period(ageing, staff_a):
    response = client_for(staff_a).get(
        reverse("investment:figures"), {"from": "2024-03-01", "to": "2024-03-31"}
    )

    assert rows(response.context["ageing"]) == [("Lead", 2, 29.6), ("Assessed", 1, 26.7)]


def test_average_days_in_stage_at_a_day_within_a_month(ageing, unit_a):
    """The end's own month is read from the events: V left the lead stage on 3 April, Z entered it."""
    assert rows(selectors.stage_ageing(end=date(2024, 4, 5), unit_id=unit_a.pk)) == [
        ("Lead", 2, 19.8),
        ("Assessed", 2, 17.1),
    ]


def test_the_stage_flows_equal_a_rebuild(ageing):
    assert rollups.differences() == {}


def test_average_days_in_stage_of_the_district_and_of_another_unit(ageing, unit_b):
    assert rows(selectors.stage_ageing(end=date(2024, 3, 31))) == [("Lead", 2, 29.6), ("Assessed", 1, 26.7)]
    assert selectors.stage_ageing(end=date(2024, 3, 31), unit_id=unit_b.pk) == []


def test_a_lead_dropped_leaves_its_stage(ageing, staff_a):
    x = Lead.objects.get(name="X")
    services.lead_move(lead=x, to=S.DROPPED, by=staff_a, at=local(2024, 3, 15, 10), note=REASON)

    assert rows(selectors.stage_ageing(end=date(2024, 3, 31))) == [("Lead", 1, 28.6), ("Assessed", 1, 26.7)]
    assert rollups.differences() == {}


def test_the_lead_list_marks_exactly_the_leads_past_a_limit_with_what_they_missed(
    leads_of_every_stage, staff_a
):
    """The list works out the limits only for the leads past one (their stored `stale_from`), with the same
    words as the lead's page."""
    response = client_for(staff_a).get(reverse("investment:lead_list"))

    marked = {lead.name: lead.past_limits for lead in response.context["object_list"]}
    assert {name for name, limits in marked.items() if limits} == {"O1", "O2"}
    assert marked["O1"] == Lead.objects.get(name="O1").flags()
    page = response.content.decode()
    assert page.count('class="due due-overdue"') == 2
    assert f'title="{"; ".join(marked["O1"])}"' in page
