"""Trips are public within the district (who went where), but the companies met and the summary can name
the investors of confidential leads: only those who took part in the trip (its organising unit, the other
units on it, its members) and leaders read them — on the list, the detail page and the export alike."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from apps.accounts import roles

from ..conftest import client_for
from ..factories import UnitFactory, UserFactory
from .factories import TripFactory

pytestmark = pytest.mark.django_db

MET = "深圳某新能源投资集团"
SUMMARY = "洽谈电池材料项目落地，对方拟投资20亿元"


@pytest.fixture
def trip(manager_a):
    return TripFactory(unit=manager_a.unit, leader=manager_a, companies_met=MET, summary=SUMMARY)


def _pages(user, trip) -> dict[str, str]:
    """The trip as `user` reads it on every page that renders trips."""
    client = client_for(user)
    detail = client.get(reverse("investment:trip_detail", args=[trip.pk]))
    listing = client.get(reverse("investment:trip_list"))
    export = client.get(reverse("investment:trip_export"))
    assert (detail.status_code, listing.status_code, export.status_code) == (200, 200, 200)
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    cells = "\n".join(str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None)
    return {"detail": detail.content.decode(), "list": listing.content.decode(), "export": cells}


def test_another_units_staff_sees_the_trip_without_companies_met_or_summary(trip, staff_b):
    pages = _pages(staff_b, trip)
    assert "上海、深圳" in pages["detail"] and "上海、深圳" in pages["export"]  # the trip itself is public
    assert {name: MET in text or SUMMARY in text for name, text in pages.items()} == {
        "detail": False,
        "list": False,
        "export": False,
    }


@pytest.mark.parametrize("who", ["organiser", "joint unit", "member", "leader"])
def test_those_who_took_part_and_leaders_read_companies_met_and_summary(trip, staff_a, leader, who):
    if who == "joint unit":
        user = UserFactory(unit=UnitFactory(code="unit-c"), role=roles.STAFF)
        trip.units.add(user.unit)
    elif who == "member":
        user = UserFactory(unit=UnitFactory(code="unit-d"), role=roles.STAFF)
        trip.members.add(user)
    else:
        user = {"organiser": staff_a, "leader": leader}[who]
    pages = _pages(user, trip)
    assert MET in pages["detail"] and SUMMARY in pages["detail"]
    assert MET in pages["export"]
