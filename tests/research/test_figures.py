"""The figures of campaign 3 on a small hand-made dataset, with the exact values it must produce.

The dataset (`period`), period 19 February – 15 March 2024 (the demo district's):

R&D entities: E1, E2, E3 (unit A); E4, E5, E6 (unit B).
Visits (through the service): E1 on 1 and 8 Mar (two visits, one entity); E2 on 18 Feb (the day before the
period); E3 on 19 Feb (the first day); E4 on 15 Mar (the last day), led by unit A; E5 on 16 Mar (after);
E6 never.

Results, catalogued → landed (days), matches:
  R1 A  1 Feb → landed 4 Mar (32 days: 2024 is a leap year)   M1 landed
  R2 A 20 Feb → landed 10 Mar (19 days)                         M2 landed
  R3 A 15 Mar (the last day), in matching                       M3 proposed
  R4 A 16 Mar (after the period), catalogued                    —
  R5 A 10 Jan → landed 10 Feb (before the period)               M5 landed
  R6 B  1 Mar, in matching                                      M6a failed, M6b negotiating
  R7 A 25 Feb, shelved                                          —
  R8 B  1 Mar → landed 11 Mar (10 days)                         M8 landed

Carriers (owner unit): C1 A 1000 m², 250.50 free; C2 A 2000 m², none free; C3 B 500 m², 120 free.
"""

from datetime import date
from decimal import Decimal

import pytest

from apps.research import selectors
from apps.research.models import Carrier, Match
from apps.research.services import result_transition
from apps.service import selectors as service_selectors

from ..service.factories import VisitFactory, local
from .factories import REASON, CarrierFactory, EntityFactory, catalogue, entity_visit, match_at, move_match

pytestmark = pytest.mark.django_db

M = Match.Status
PERIOD = {"start": date(2024, 2, 19), "end": date(2024, 3, 15)}


def at(day: date, hour: int = 10):
    return local(day.year, day.month, day.day, hour)


@pytest.fixture
def period(staff_a, staff_b, unit_a, unit_b):
    e1, e2, e3 = (EntityFactory(unit=unit_a, name=f"研创园主体{i}") for i in (1, 2, 3))
    e4, e5, _e6 = (EntityFactory(unit=unit_b, name=f"医药谷主体{i}") for i in (4, 5, 6))
    entity_visit(e1, staff_a, date(2024, 3, 1))
    entity_visit(e1, staff_a, date(2024, 3, 8))
    entity_visit(e2, staff_a, date(2024, 2, 18))
    entity_visit(e3, staff_a, date(2024, 2, 19))
    entity_visit(e4, staff_a, date(2024, 3, 15))
    entity_visit(e5, staff_b, date(2024, 3, 16))

    c1 = CarrierFactory(park=unit_a, total_area_m2=Decimal("1000"), free_area_m2=Decimal("250.50"))
    CarrierFactory(park=unit_a, total_area_m2=Decimal("2000"), free_area_m2=Decimal("0"))
    c3 = CarrierFactory(park=unit_b, total_area_m2=Decimal("500"), free_area_m2=Decimal("120"))

    def landed(by, catalogued_on: date, landed_on: date, carrier):
        result = catalogue(by, entity=e1 if by == staff_a else e4, on=catalogued_on)
        match = match_at(result, M.NEGOTIATING, by, carrier=carrier, at=at(catalogued_on, 11))
        move_match(match, M.LANDED, by, at=at(landed_on))
        return result

    landed(staff_a, date(2024, 2, 1), date(2024, 3, 4), c1)  # R1
    landed(staff_a, date(2024, 2, 20), date(2024, 3, 10), c1)  # R2
    r3 = catalogue(staff_a, entity=e1, on=date(2024, 3, 15))
    match_at(r3, M.PROPOSED, staff_a, carrier=c1, at=at(date(2024, 3, 15), 11))  # M3
    catalogue(staff_a, entity=e2, on=date(2024, 3, 16))  # R4
    landed(staff_a, date(2024, 1, 10), date(2024, 2, 10), c1)  # R5
    r6 = catalogue(staff_b, entity=e4, on=date(2024, 3, 1))
    match_at(r6, M.FAILED, staff_b, carrier=c3, at=at(date(2024, 3, 2)))  # M6a
    match_at(r6, M.NEGOTIATING, staff_b, carrier=c3, at=at(date(2024, 3, 4)))  # M6b
    r7 = catalogue(staff_a, entity=e3, on=date(2024, 2, 25))
    result_transition(result=r7, to="shelved", by=staff_a, note=REASON, at=at(date(2024, 2, 26)))
    landed(staff_b, date(2024, 3, 1), date(2024, 3, 11), c3)  # R8


def test_district_research_figures_for_the_period(period):
    assert selectors.research_values(**PERIOD) == {
        "rd_entities": 6,
        "rd_entities_visited": 3,  # E1 (twice), E3 on the first day, E4 on the last day
        "results": 5,  # R2, R3, R6, R7, R8
        "results_matching": 2,  # R3, R6
        "results_landed": 3,  # R1, R2, R8
        "matches_open": 2,  # M3, M6b
        "matches_landed": 4,  # M1, M2, M5, M8
        "matches_failed": 1,  # M6a
        "carriers": 3,
        "free_area_m2": Decimal("370.50"),
        "avg_days_to_land": Decimal("20.3"),  # (32 + 19 + 10) ÷ 3 = 20.33
    }


def test_unit_a_research_figures_for_the_period(period, unit_a):
    assert selectors.research_values(**PERIOD, unit_id=unit_a.pk) == {
        "rd_entities": 3,
        "rd_entities_visited": 2,  # E1, E3
        "results": 3,  # R2, R3, R7
        "results_matching": 1,  # R3
        "results_landed": 2,  # R1, R2
        "matches_open": 1,  # M3
        "matches_landed": 3,  # M1, M2, M5
        "matches_failed": 0,
        "carriers": 2,
        "free_area_m2": Decimal("250.50"),
        "avg_days_to_land": Decimal("25.5"),  # (32 + 19) ÷ 2
    }


def test_unit_b_counts_its_entity_visited_by_another_unit(period, unit_b):
    assert selectors.research_values(**PERIOD, unit_id=unit_b.pk) == {
        "rd_entities": 3,
        "rd_entities_visited": 1,  # E4, visited by unit A on the last day; E5 after the period
        "results": 2,  # R6, R8
        "results_matching": 1,  # R6
        "results_landed": 1,  # R8
        "matches_open": 1,  # M6b
        "matches_landed": 1,  # M8
        "matches_failed": 1,  # M6a
        "carriers": 1,
        "free_area_m2": Decimal("120.00"),
        "avg_days_to_land": Decimal("10.0"),
    }


def test_a_unit_without_research_records_has_zeros_and_no_average(period, office):
    values = selectors.research_values(**PERIOD, unit_id=office.pk)

    assert values == {
        "rd_entities": 0,
        "rd_entities_visited": 0,
        "results": 0,
        "results_matching": 0,
        "results_landed": 0,
        "matches_open": 0,
        "matches_landed": 0,
        "matches_failed": 0,
        "carriers": 0,
        "free_area_m2": Decimal(0),
        "avg_days_to_land": None,
    }


def test_a_visit_outside_the_period_does_not_count(period):
    only_feb_18 = {"start": date(2024, 2, 18), "end": date(2024, 2, 18)}
    after = {"start": date(2024, 3, 16), "end": date(2024, 3, 31)}

    assert selectors.research_values(**only_feb_18)["rd_entities_visited"] == 1  # E2
    assert selectors.research_values(**after)["rd_entities_visited"] == 1  # E5


def test_results_landed_count_by_landing_date_not_by_cataloguing_date(period):
    february = selectors.research_values(start=date(2024, 2, 1), end=date(2024, 2, 29))

    assert (february["results"], february["results_landed"], february["avg_days_to_land"]) == (
        3,  # R1 (1 Feb), R2 (20 Feb), R7 (25 Feb)
        1,  # R5 (10 Feb)
        Decimal("31.0"),  # 10 Jan → 10 Feb
    )


def test_research_figures_carry_every_value_with_its_definition(period):
    figures = selectors.research_figures(**PERIOD)

    assert [(f.key, f.value) for f in figures] == list(selectors.research_values(**PERIOD).items())
    assert all(str(f.definition) for f in figures)
    assert {f.key: f.display for f in figures}["avg_days_to_land"] == "20.3"


def test_free_area_by_kind_and_park_rounds_the_exact_share(unit_a, unit_b):
    CarrierFactory(
        park=unit_a,
        kind=Carrier.Kind.INCUBATOR,
        total_area_m2=Decimal("1000"),
        free_area_m2=Decimal("250.50"),
    )
    CarrierFactory(
        park=unit_a, kind=Carrier.Kind.INCUBATOR, total_area_m2=Decimal("0.90"), free_area_m2=Decimal("0.90")
    )
    CarrierFactory(park=unit_b, kind=Carrier.Kind.LAND, total_area_m2=Decimal("3"), free_area_m2=Decimal("1"))

    rows = [
        (r["park__short_name"], r["kind"], r["n"], r["total"], r["free"], r["pct"])
        for r in selectors.free_area_by_kind_and_park()
    ]

    assert rows == [
        # 251.40 ÷ 1000.90 = 25.117… %
        ("医药谷", "land", 1, Decimal("3.00"), Decimal("1.00"), Decimal("33.3")),
        ("研创园", "incubator", 2, Decimal("1000.90"), Decimal("251.40"), Decimal("25.1")),
    ]


def test_a_carrier_with_a_fractional_free_area_is_not_truncated(unit_a):
    CarrierFactory(park=unit_a, total_area_m2=Decimal("200"), free_area_m2=Decimal("99.90"))

    [row] = selectors.free_area_by_kind_and_park()

    assert row["pct"] == Decimal("50.0")  # 99.9 ÷ 200 = 49.95 % → 50.0 (not 99 ÷ 200 = 49.5)


def test_campaign_1_visits_leave_out_rd_entity_visits(staff_a, unit_a):
    VisitFactory(created_by=staff_a, visited_on=date(2024, 3, 1))
    entity = EntityFactory(unit=unit_a)
    entity_visit(entity, staff_a, date(2024, 3, 1))
    entity_visit(entity, staff_a, date(2024, 3, 5))

    district = service_selectors.service_values(**PERIOD)
    unit = service_selectors.service_values(**PERIOD, unit_id=unit_a.pk)

    assert (district["visits"], unit["visits"]) == (1, 1)
    assert selectors.research_values(**PERIOD)["rd_entities_visited"] == 1
