"""The lead list's unfiltered pages read their rows in statements composed once per process for whose leads
the list shows (every unit's for a leader, else the unit's): composing a page's row statement cost more in
Python than PostgreSQL spends running it. What the rows show is read afresh on every view, and a staff member
never reads the statement composed for a leader of their unit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts import roles
from apps.investment.models import Lead

from ..conftest import client_for
from ..factories import UserFactory
from .factories import LeadFactory

pytestmark = pytest.mark.django_db

LIST = reverse("investment:lead_list")


def shown(response) -> list[int]:
    assert response.status_code == 200
    return [row.pk for row in response.context["object_list"]]


def test_an_unfiltered_lead_page_reads_its_rows_in_a_statement_composed_once(
    staff_a, colleague_a, unit_a, unit_b, composed_sql
):
    leader_a = UserFactory(username="leader_a", unit=unit_a, role=roles.LEADER)
    start = timezone.now() - timedelta(days=30)
    staff_b = UserFactory(username="staff_b", unit=unit_b, role=roles.STAFF)
    for i in range(60):
        owner = staff_a if i % 3 else staff_b
        LeadFactory(unit=owner.unit, owner=owner, created_at=start + timedelta(hours=i))
    everything = list(Lead.objects.order_by("-created_at", "-id").values_list("pk", flat=True))
    theirs = list(
        Lead.objects.filter(unit=unit_a).order_by("-created_at", "-id").values_list("pk", flat=True)
    )

    def pages_composed():  # the page's rows (the count is composed on each view)
        return [sql for sql in composed_sql if '"investment_lead"' in sql and "LIMIT" in sql]

    assert shown(client_for(leader_a).get(LIST)) == everything[:50]
    assert shown(client_for(staff_a).get(LIST)) == theirs  # 40: the unit's alone
    composed_sql.clear()

    again = client_for(colleague_a).get(LIST)

    assert pages_composed() == []
    assert shown(again) == theirs
    newest = LeadFactory(unit=unit_a, owner=colleague_a, name="新线索", created_at=timezone.now())
    composed_sql.clear()

    mine, by_leader = client_for(staff_a).get(LIST), client_for(leader_a).get(f"{LIST}?page=last")

    assert shown(mine) == [newest.pk, *theirs]
    assert mine.context["object_list"][0].name == "新线索"
    assert mine.context["object_list"][0].owner_name == str(colleague_a)
    assert shown(by_leader) == everything[49:]  # 61 leads: the last page's 11, the newest first on page 1
    assert pages_composed() != []  # the leader's last page: a slice not read before
    composed_sql.clear()
    assert shown(client_for(leader_a).get(f"{LIST}?page=last")) == everything[49:]
    assert pages_composed() == []
