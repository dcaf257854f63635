"""Signs of gaming (issue #19, item 3): the leaders' per-unit quality page — late withdrawals, closures in the
last hour before the deadline, explained-not-solved, reopen rate, enterprise-rated vs staff-rated satisfaction
— exact on a small constructed month, every number opening a request list that counts exactly it, leaders
only."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils.html import escape

from apps.rankings.quality import SIGNS, quality_table
from apps.service.models import Request, RequestEvent
from apps.service.services.enterprise_voice import request_rate
from tests.conftest import client_for
from tests.factories import ContactFactory
from tests.service.factories import acknowledge, act, close, confirm, contact, local, make_request, reopen

A = RequestEvent.Action
MARCH = date(2024, 3, 1)


@pytest.fixture
def march(unit_a, unit_b, staff_a, staff_b, manager_a):
    """Nine requests of unit A received on Monday 4 March 2024 (closing deadline 18 March, 18:00) and one of
    unit B. Closed in March and still closed: 5 (one in the last hour, one explained); reopened 2; withdrawn 2
    (one after its deadline); rated by staff 3 (2 satisfied), by the enterprise 2 (1 satisfied)."""

    def working(minute):
        req = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 4, 9, minute))
        return contact(acknowledge(req, staff_a, local(2024, 3, 4, 10)), staff_a, local(2024, 3, 4, 11))

    close(working(0), staff_a, local(2024, 3, 18, 17, 30))  # 30 minutes before the deadline
    close(working(1), staff_a, local(2024, 3, 6, 10), outcome=Request.Outcome.EXPLAINED)
    confirm(
        close(working(2), staff_a, local(2024, 3, 7, 10)), manager_a, local(2024, 3, 7, 11)
    )  # staff: satisfied
    confirm(
        close(working(8), staff_a, local(2024, 3, 7, 10)), manager_a, local(2024, 3, 7, 11)
    )  # staff: satisfied
    act(working(3), A.WITHDRAW, staff_a, local(2024, 3, 19, 10))  # after the deadline
    act(working(4), A.WITHDRAW, staff_a, local(2024, 3, 5, 10))
    reopen(
        close(working(5), staff_a, local(2024, 3, 8, 10)), manager_a, local(2024, 3, 8, 11)
    )  # staff: unsatisfied
    for minute, satisfaction in ((6, "satisfied"), (7, "unsatisfied")):
        req = close(working(minute), staff_a, local(2024, 3, 8, 10))
        person = ContactFactory(enterprise=req.enterprise)
        request_rate(request=req, contact=person, satisfaction=satisfaction, at=local(2024, 3, 9, 10))
    b = make_request(staff_b, handling_unit=unit_b, handler=staff_b, at=local(2024, 3, 4, 9))
    close(contact(acknowledge(b, staff_b, local(2024, 3, 4, 10)), staff_b, local(2024, 3, 4, 11)), staff_b,
          local(2024, 3, 18, 17, 59))  # fmt: skip


def _row(table, unit):
    return {
        c["code"]: (c["value"], c["num"], c["den"])
        for c in next(r for r in table if r["unit"] == unit)["cells"]
    }


@pytest.mark.django_db
def test_the_signs_are_exact_on_a_constructed_month(march, unit_a, unit_b):
    table = quality_table(MARCH)
    row = {code: (str(v) if v is not None else None, n, d) for code, (v, n, d) in _row(table, unit_a).items()}
    assert row == {
        "withdrawn_late": ("50.0", 1, 2),
        "last_hour": ("20.0", 1, 5),
        "explained": ("20.0", 1, 5),
        "reopened": ("22.2", 2, 9),
        "enterprise_satisfaction": ("50.0", 1, 2),
        "staff_satisfaction": ("66.7", 2, 3),
    }
    b = _row(table, unit_b)
    assert b["last_hour"][1:] == (1, 1) and b["withdrawn_late"] == (None, 0, 0)
    assert [s.code for s in SIGNS] == list(row)


@pytest.mark.django_db
def test_every_number_opens_a_request_list_that_counts_it(march, unit_a, unit_b, leader):
    client = client_for(leader)
    checked = 0
    for row in quality_table(MARCH):
        if row["unit"] not in (unit_a, unit_b):
            continue
        for cell in row["cells"]:
            for url, expected in ((cell["url"], cell["den"]), (cell["num_url"], cell["num"])):
                response = client.get(url)
                assert response.status_code == 200, url
                assert response.context["paginator"].count == expected, (cell["code"], url)
                checked += 1
    assert checked == 24


@pytest.mark.django_db
def test_the_page_shows_each_definition_and_is_for_leaders_only(march, staff_a, manager_a, leader):
    url = reverse("rankings:quality") + "?month=2024-03"
    page = client_for(leader).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for sign in SIGNS:
        assert escape(str(sign.definition)) in text
    for user in (staff_a, manager_a):
        assert client_for(user).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302
