"""Lead details are confidential to the responsible unit and leaders (issue 6).

Unit A has a lead (name, investor and amount unique to it) from unit A's trip, introduced by an enterprise
of unit B; unit B has a lead of its own. A user of unit B gets 404 on unit A's lead and every write to it,
and never finds it in a list, the pipeline board, an export, a search, the trip's page, the referrer's
enterprise record, a dropdown or the figures — which show unit A's lead only as a count. Unit A and the
leaders see it everywhere a lead is shown.
"""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from apps.investment.models import Lead, LeadEvent

from ..conftest import client_for
from ..factories import EnterpriseFactory
from ..service.factories import local
from .factories import TripFactory, create

pytestmark = pytest.mark.django_db

SECRET_NAME = "绝密固态电池总部项目"
SECRET_INVESTOR = "保密资本控股集团"
SECRET_AMOUNT = "876543"  # 万元, as the list would print it
OWN_NAME = "医药谷自有线索"
PERIOD = "?from=2024-01-01&to=2024-12-31"
SEES = {
    "staff_a": True,
    "colleague_a": True,
    "manager_a": True,
    "leader": True,
    "admin": True,
    "staff_b": False,
}


@pytest.fixture
def world(unit_a, unit_b, staff_a, staff_b, manager_a):
    trip = TripFactory(
        unit=unit_a, leader=manager_a, led_by_head=True, start_on=date(2024, 3, 4), cities="深圳"
    )
    referrer = EnterpriseFactory(unit=unit_b, name="医药谷推荐企业有限公司")
    secret = create(
        staff_a,
        name=SECRET_NAME,
        investor=SECRET_INVESTOR,
        investor_city="深圳",
        expected_wan=Decimal(SECRET_AMOUNT),
        source=Lead.Source.REFERRAL,
        referrer=referrer,
        trip=trip,
        notes="投资方要求保密",
        at=local(2024, 3, 5, 10),
    )
    own = create(
        staff_b,
        name=OWN_NAME,
        investor="医药谷投资方",
        expected_wan=Decimal("5000"),
        at=local(2024, 3, 6, 10),
    )
    return {"trip": trip, "referrer": referrer, "secret": secret, "own": own}


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def shows_secret(text: str) -> bool:
    """The lead's name or its investor is somewhere in `text`."""
    return SECRET_NAME in text or SECRET_INVESTOR in text


def exported(response) -> list[list]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def state(lead: Lead) -> dict:
    return {
        "lead": Lead.objects.filter(pk=lead.pk).values().get(),
        "events": list(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True)),
    }


# --- the lead itself --------------------------------------------------------------------------------


def test_another_units_staff_gets_404_on_the_lead(world, staff_b):
    response = client_for(staff_b).get(reverse("investment:lead_detail", args=[world["secret"].pk]))

    assert response.status_code == 404
    assert not shows_secret(response.content.decode())


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("lead_move", {"to": "assessed"}),
        ("lead_move", {"to": "dropped", "note": "越权放弃"}),
        ("lead_record", {"action": "respond", "note": "越权记录"}),
        ("lead_record", {"action": "feedback", "note": "越权记录"}),
    ],
)
def test_another_units_staff_gets_404_on_every_write_and_nothing_changes(world, staff_b, name, data):
    before = state(world["secret"])

    response = client_for(staff_b).post(reverse(f"investment:{name}", args=[world["secret"].pk]), data)

    assert response.status_code == 404
    assert state(world["secret"]) == before


@pytest.mark.parametrize("who", ["staff_a", "leader"])
def test_the_unit_and_leaders_open_the_lead(world, users, who):
    text = html(client_for(users[who]).get(reverse("investment:lead_detail", args=[world["secret"].pk])))

    assert shows_secret(text)
    assert "投资方要求保密" in text


# --- lists, board, export and search ----------------------------------------------------------------


def listed(response) -> set[str]:
    assert response.status_code == 200
    return {lead.name for lead in response.context["object_list"]}


def on_board(response) -> set[str]:
    assert response.status_code == 200
    return {lead.name for _value, _label, leads in response.context["columns"] for lead in leads}


@pytest.mark.parametrize("who", SEES)
def test_the_lead_list_shows_the_lead_only_to_its_unit_and_leaders(world, users, who):
    response = client_for(users[who]).get(reverse("investment:lead_list"))

    assert (SECRET_NAME in listed(response)) is SEES[who]
    assert shows_secret(html(response)) is SEES[who]
    assert (OWN_NAME in listed(response)) is (who not in ("staff_a", "colleague_a", "manager_a"))


@pytest.mark.parametrize("who", SEES)
def test_the_pipeline_board_shows_the_lead_only_to_its_unit_and_leaders(world, users, who):
    response = client_for(users[who]).get(reverse("investment:pipeline"))

    assert (SECRET_NAME in on_board(response)) is SEES[who]
    assert shows_secret(html(response)) is SEES[who]


@pytest.mark.parametrize("who", SEES)
def test_the_export_holds_the_lead_only_for_its_unit_and_leaders(world, users, who):
    rows = exported(client_for(users[who]).get(reverse("investment:lead_export")))

    assert rows[0][:2] == ["项目名称", "投资方"]
    names = {row[0] for row in rows[1:]}
    assert (SECRET_NAME in names) is SEES[who]
    assert any(SECRET_INVESTOR in str(cell) for row in rows for cell in row) is SEES[who]


@pytest.mark.parametrize("query", ["绝密固态", "保密资本", "电池", "深圳"])
@pytest.mark.parametrize("who", SEES)
def test_a_search_finds_the_lead_only_for_its_unit_and_leaders(world, users, who, query):
    client = client_for(users[who])

    found = listed(client.get(reverse("investment:lead_list"), {"q": query}))
    exported_names = {
        row[0] for row in exported(client.get(reverse("investment:lead_export"), {"q": query}))[1:]
    }

    expected = {SECRET_NAME} if SEES[who] and query != "深圳" else set()  # q searches name and investor
    assert (found, exported_names) == (expected, expected)


@pytest.mark.parametrize("who", SEES)
def test_filtering_by_band_and_stage_does_not_reveal_the_lead(world, users, who):
    """The lead is the only lead of 50 亿 or more: the filter answer must not confirm that it exists."""
    client = client_for(users[who])

    by_band = listed(client.get(reverse("investment:lead_list"), {"band": "50"}))
    by_stale = listed(client.get(reverse("investment:lead_list"), {"stale": "true"}))

    assert (SECRET_NAME in by_band, SECRET_NAME in by_stale) == (SEES[who], SEES[who])
    assert by_band <= {SECRET_NAME}


# --- pages that show leads of other records ---------------------------------------------------------


@pytest.mark.parametrize("who", SEES)
def test_the_trip_page_counts_the_lead_as_hidden_for_another_unit(world, users, who):
    response = client_for(users[who]).get(reverse("investment:trip_detail", args=[world["trip"].pk]))

    assert shows_secret(html(response)) is SEES[who]
    assert [lead.name for lead in response.context["leads"]] == ([SECRET_NAME] if SEES[who] else [])
    assert response.context["hidden_leads"] == (0 if SEES[who] else 1)


def test_the_trip_list_and_its_export_name_no_lead(world, staff_b):
    client = client_for(staff_b)

    assert not shows_secret(html(client.get(reverse("investment:trip_list"))))
    rows = exported(client.get(reverse("investment:trip_export")))
    assert len(rows) == 2
    assert not any(SECRET_NAME in str(c) or SECRET_INVESTOR in str(c) for row in rows for c in row)


@pytest.mark.parametrize("who", ["staff_b", "staff_a", "leader"])
def test_the_referrers_enterprise_record_names_no_lead_of_another_unit(world, users, who):
    """The referrer belongs to unit B, whose staff opens its record; the lead of unit A is not on it."""
    text = html(client_for(users[who]).get(reverse("enterprise_record", args=[world["referrer"].pk])))

    assert "医药谷推荐企业有限公司" in text
    if who == "staff_b":
        assert not shows_secret(text)


def test_the_lead_form_offers_only_the_users_own_units_trips(world, staff_b, staff_a, unit_b):
    own_trip = TripFactory(unit=unit_b, leader=staff_b, start_on=date(2024, 3, 8), cities="香港")
    response_b = client_for(staff_b).get(reverse("investment:lead_create"))
    response_a = client_for(staff_a).get(reverse("investment:lead_create"))

    assert list(response_b.context["form"].fields["trip"].queryset) == [own_trip]
    assert list(response_a.context["form"].fields["trip"].queryset) == [world["trip"]]
    assert not shows_secret(html(response_b))


def test_another_units_trip_cannot_be_posted_in_the_lead_form(world, staff_b):
    response = client_for(staff_b).post(
        reverse("investment:lead_create"),
        {
            "name": "借用他人行程的线索",
            "investor": "某集团",
            "investor_country": "中国",
            "industry": "C",
            "expected_wan": "1000",
            "source": "trip",
            "trip": world["trip"].pk,
        },
    )

    assert response.status_code == 200
    assert "trip" in response.context["form"].errors
    assert not Lead.objects.filter(name="借用他人行程的线索").exists()


# --- the figures: aggregates only -------------------------------------------------------------------


@pytest.mark.parametrize("who", SEES)
def test_the_figures_page_counts_the_lead_but_never_names_it(world, users, who):
    response = client_for(users[who]).get(reverse("investment:figures") + PERIOD)
    text = html(response)

    assert not shows_secret(text)
    assert SECRET_AMOUNT not in text.replace(",", "")
    district = {figure.key: figure.value for figure, _link in response.context["district"]}
    assert (district["leads"], district["pipeline_100m_plus"], district["pipeline_5bn_plus"]) == (2, 1, 1)
    by_source = {r["source"]: r["n"] for r in response.context["funnel"]["rows"]}
    assert by_source == {"referral": 1, "trip": 1}


def test_another_units_figures_page_shows_its_own_unit_and_the_district(world, staff_b, unit_b):
    response = client_for(staff_b).get(
        reverse("investment:figures") + PERIOD + "&unit=" + str(world["secret"].unit_id)
    )

    unit_figures = {figure.key: figure.value for figure, _link in response.context["unit_figures"]}
    assert response.context["unit"] == unit_b
    assert (unit_figures["leads"], unit_figures["pipeline_100m_plus"]) == (1, 0)
    assert [(r["stage"], r["n"]) for r in response.context["ageing"]] == [("Lead", 1)]


@pytest.mark.parametrize("who", SEES)
def test_the_figures_api_gives_counts_and_never_a_name(world, users, who):
    response = client_for(users[who]).get(reverse("figures_api") + PERIOD)

    assert response.status_code == 200
    assert not shows_secret(response.content.decode())
    assert response.json()["investment"]["pipeline_5bn_plus"] == 1
