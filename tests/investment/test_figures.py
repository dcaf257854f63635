"""The investment figures on a hand-made dataset, with exact values.

The period is March 2024 (1–31 March, Asia/Shanghai). Every lead is recorded and moved through the services
with explicit times, so the stage a lead had at any moment comes from its events.

Trips (start date, unit, led by the unit's head):
    T1 1 Mar  A head · T2 31 Mar A · T3 29 Feb A head (ends 2 Mar) · T4 15 Mar B head · T5 1 Apr A head

Leads (unit, source, expected 万元, created, what happened):
    A1 A trip        10000.00   1 Mar 00:00:00   stays a lead              exactly 1 亿 → 1–10
    A2 A trip         9999.99   2 Mar            stays a lead              below 1 亿 → excluded
    A3 A fair       100000.00   3 Mar            assessed 5 Mar            exactly 10 亿 → 10–50
    A4 A small team 500000.00   4 Mar            negotiating 8 Mar         exactly 50 亿 → ≥ 50
    A5 A trip        99999.99   5 Mar            stays a lead              → 1–10
    A6 A online     499999.99  31 Mar 23:59:59   stays a lead              → 10–50
    B1 B online     200000.00   6 Mar            stays a lead              → 10–50
    S1 A trip       150000.00   4 Mar            signed 20 Mar, 120000.50  signed in the period
    S2 B fair        40000.00  29 Feb 23:59:59   signed 5 Mar, 30000.00    signed in the period, made before
    S3 A small team 200000.00  10 Mar            signed 5 Apr, 180000.00   open at 31 Mar → 10–50
    S4 B trip        20000.00   1 Feb            signed 29 Feb, 25000.00   signed before the period
    D1 A trip       800000.00   2 Mar            dropped 25 Mar            closed at 31 Mar
    D2 B other      600000.00  10 Feb            dropped 3 Apr             open at 31 Mar → ≥ 50
    L1 A trip       300000.00   2 Apr 00:00:00   stays a lead              created after the period
"""

from datetime import date
from decimal import Decimal

import pytest

from apps.investment import selectors, services
from apps.investment.models import Lead

from ..service.factories import local
from .factories import REASON, S, TripFactory, create

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}


def lead(by, name, wan, source, created, moves=(), **fields):
    """A lead of `by`'s unit recorded at `created` and moved along `moves`: [(stage, at, extra)]."""
    if source == Lead.Source.FAIR:
        fields.setdefault("fair", "华交会")
    obj = create(by, at=created, name=name, expected_wan=Decimal(wan), source=source, **fields)
    for stage, at, extra in moves:
        obj = services.lead_move(lead=obj, to=stage, by=by, at=at, **extra)
    return obj


def signing(on: date, wan: str, at=None) -> list:
    """Assessed and negotiating a week before, then signed on `on` (recorded at 16:00 that day)."""
    at = at or local(on.year, on.month, on.day, 16)
    return [
        (S.ASSESSED, local(on.year, on.month, on.day, 9), {}),
        (S.NEGOTIATING, local(on.year, on.month, on.day, 10), {}),
        (S.SIGNED, at, {"signed_on": on, "signed_wan": Decimal(wan)}),
    ]


@pytest.fixture
def dataset(staff_a, manager_a, staff_b):
    TripFactory(unit=staff_a.unit, leader=manager_a, led_by_head=True, start_on=date(2024, 3, 1))
    TripFactory(unit=staff_a.unit, leader=staff_a, start_on=date(2024, 3, 31))
    TripFactory(
        unit=staff_a.unit,
        leader=manager_a,
        led_by_head=True,
        start_on=date(2024, 2, 29),
        end_on=date(2024, 3, 2),
    )
    TripFactory(unit=staff_b.unit, leader=staff_b, led_by_head=True, start_on=date(2024, 3, 15))
    TripFactory(unit=staff_a.unit, leader=manager_a, led_by_head=True, start_on=date(2024, 4, 1))

    trip, fair, team, online, other = "trip", "fair", "small_team", "online", "other"
    a, b = staff_a, staff_b
    lead(a, "A1", "10000.00", trip, local(2024, 3, 1, 0, 0, 0))
    lead(a, "A2", "9999.99", trip, local(2024, 3, 2, 9))
    lead(a, "A3", "100000.00", fair, local(2024, 3, 3, 9), [(S.ASSESSED, local(2024, 3, 5, 9), {})])
    lead(
        a,
        "A4",
        "500000.00",
        team,
        local(2024, 3, 4, 9),
        [(S.ASSESSED, local(2024, 3, 6, 9), {}), (S.NEGOTIATING, local(2024, 3, 8, 9), {})],
    )
    lead(a, "A5", "99999.99", trip, local(2024, 3, 5, 9))
    lead(a, "A6", "499999.99", online, local(2024, 3, 31, 23, 59, 59))
    lead(b, "B1", "200000.00", online, local(2024, 3, 6, 9))
    lead(a, "S1", "150000.00", trip, local(2024, 3, 4, 9), signing(date(2024, 3, 20), "120000.50"))
    lead(b, "S2", "40000.00", fair, local(2024, 2, 29, 23, 59, 59), signing(date(2024, 3, 5), "30000.00"))
    lead(a, "S3", "200000.00", team, local(2024, 3, 10, 9), signing(date(2024, 4, 5), "180000.00"))
    lead(b, "S4", "20000.00", trip, local(2024, 2, 1, 9), signing(date(2024, 2, 29), "25000.00"))
    lead(
        a,
        "D1",
        "800000.00",
        trip,
        local(2024, 3, 2, 9),
        [(S.DROPPED, local(2024, 3, 25, 9), {"note": REASON})],
    )
    lead(
        b,
        "D2",
        "600000.00",
        other,
        local(2024, 2, 10, 9),
        [(S.DROPPED, local(2024, 4, 3, 9), {"note": REASON})],
    )
    lead(a, "L1", "300000.00", trip, local(2024, 4, 2, 0, 0, 0))


def test_the_dataset_is_what_the_docstring_says(dataset):
    """Guards the figures below: the stages today (not as of 31 March) and the signings."""
    assert dict(Lead.objects.values_list("name", "stage")) == {
        "A1": "lead",
        "A2": "lead",
        "A3": "assessed",
        "A4": "negotiating",
        "A5": "lead",
        "A6": "lead",
        "B1": "lead",
        "S1": "signed",
        "S2": "signed",
        "S3": "signed",
        "S4": "signed",
        "D1": "dropped",
        "D2": "dropped",
        "L1": "lead",
    }
    assert sorted(Lead.objects.exclude(signed_on=None).values_list("name", "signed_on", "signed_wan")) == [
        ("S1", date(2024, 3, 20), Decimal("120000.50")),
        ("S2", date(2024, 3, 5), Decimal("30000.00")),
        ("S3", date(2024, 4, 5), Decimal("180000.00")),
        ("S4", date(2024, 2, 29), Decimal("25000.00")),
    ]


def test_district_figures_for_march(dataset):
    assert selectors.investment_values(**MARCH) == {
        "trips": 3,  # T1, T2, T4
        "trips_led_by_head": 2,  # T1, T4
        "leads": 10,  # A1–A6, B1, S1, S3, D1
        "signed": 2,  # S1, S2
        "signed_amount_wan": Decimal("150000.50"),
        "pipeline_100m_plus": 8,  # A1, A3, A4, A5, A6, B1, S3, D2
        "pipeline_5bn_plus": 2,  # A4 (exactly 50 亿), D2
        "pipeline_1bn_to_5bn": 4,  # A3 (exactly 10 亿), A6, B1, S3
        "pipeline_100m_to_1bn": 2,  # A1 (exactly 1 亿), A5
        "conversion_pct": Decimal("10.0"),  # S1 of 10
        "stale": 8,  # the open leads A1–A6, B1, L1, long past their limits today (signed: not open)
    }


def test_unit_a_figures_for_march(dataset, unit_a):
    assert selectors.investment_values(**MARCH, unit_id=unit_a.pk) == {
        "trips": 2,
        "trips_led_by_head": 1,
        "leads": 9,  # A1–A6, S1, S3, D1
        "signed": 1,
        "signed_amount_wan": Decimal("120000.50"),
        "pipeline_100m_plus": 6,  # A1, A3, A4, A5, A6, S3
        "pipeline_5bn_plus": 1,
        "pipeline_1bn_to_5bn": 3,
        "pipeline_100m_to_1bn": 2,
        "conversion_pct": Decimal("11.1"),  # 1 of 9
        "stale": 7,  # A1–A6, L1 (S1 and S3 are signed, D1 is dropped: not open)
    }


def test_unit_b_figures_for_march(dataset, unit_b):
    assert selectors.investment_values(**MARCH, unit_id=unit_b.pk) == {
        "trips": 1,
        "trips_led_by_head": 1,
        "leads": 1,  # B1
        "signed": 1,  # S2
        "signed_amount_wan": Decimal("30000.00"),
        "pipeline_100m_plus": 2,  # B1, D2
        "pipeline_5bn_plus": 1,
        "pipeline_1bn_to_5bn": 1,
        "pipeline_100m_to_1bn": 0,
        "conversion_pct": Decimal("0.0"),
        "stale": 1,  # B1 (S2 and S4 are signed)
    }


def test_figures_of_one_source(dataset):
    """Trips are not leads: a source narrows the lead figures only."""
    assert selectors.investment_values(**MARCH, source="trip") == {
        "trips": 3,
        "trips_led_by_head": 2,
        "leads": 5,  # A1, A2, A5, S1, D1
        "signed": 1,  # S1
        "signed_amount_wan": Decimal("120000.50"),
        "pipeline_100m_plus": 2,  # A1, A5
        "pipeline_5bn_plus": 0,
        "pipeline_1bn_to_5bn": 0,
        "pipeline_100m_to_1bn": 2,
        "conversion_pct": Decimal("20.0"),
        "stale": 4,  # A1, A2, A5, L1 (S1 and S4 are signed)
    }


def test_figures_of_one_source_in_one_unit(dataset, unit_b):
    values = selectors.investment_values(**MARCH, unit_id=unit_b.pk, source="fair")

    assert (values["leads"], values["signed"], values["signed_amount_wan"], values["conversion_pct"]) == (
        0,
        1,
        Decimal("30000.00"),
        None,  # nothing created: no rate, not 0 %
    )


@pytest.mark.parametrize(
    ("wan", "bands"),
    [
        ("9999.99", (0, 0, 0, 0)),
        ("10000.00", (1, 0, 0, 1)),  # exactly 1 亿
        ("99999.99", (1, 0, 0, 1)),
        ("100000.00", (1, 0, 1, 0)),  # exactly 10 亿
        ("499999.99", (1, 0, 1, 0)),
        ("500000.00", (1, 1, 0, 0)),  # exactly 50 亿
    ],
)
def test_one_open_lead_falls_in_exactly_one_band(staff_a, wan, bands):
    lead(staff_a, "边界", wan, "trip", local(2024, 3, 4, 9))

    values = selectors.investment_values(**MARCH)

    assert (
        values["pipeline_100m_plus"],
        values["pipeline_5bn_plus"],
        values["pipeline_1bn_to_5bn"],
        values["pipeline_100m_to_1bn"],
    ) == bands


def test_the_pipeline_is_taken_at_the_period_end_from_the_events(dataset):
    """As of 19 March S1 is not yet signed (mid band), D1 not yet dropped (≥ 50 亿), A6 not yet recorded."""
    values = selectors.investment_values(start=date(2024, 3, 1), end=date(2024, 3, 19))

    assert (
        values["pipeline_100m_plus"],
        values["pipeline_5bn_plus"],
        values["pipeline_1bn_to_5bn"],
        values["pipeline_100m_to_1bn"],
    ) == (9, 3, 4, 2)  # A1 A3 A4 A5 B1 S1 S3 D1 D2: ≥50 A4 D1 D2; 10–50 A3 B1 S1 S3; 1–10 A1 A5


def test_the_pipeline_at_the_end_of_february(dataset):
    """On 29 Feb, D2 and S2 (recorded at 23:59:59) are open leads of at least 1 亿; S4 was signed that day."""
    values = selectors.investment_values(start=date(2024, 2, 1), end=date(2024, 2, 29))

    assert {k: values[k] for k in ("leads", "signed", "signed_amount_wan", "pipeline_100m_plus")} == {
        "leads": 3,  # S2 (23:59:59 on 29 Feb), S4, D2
        "signed": 1,  # S4
        "signed_amount_wan": Decimal("25000.00"),
        "pipeline_100m_plus": 2,  # D2, S2
    }


def test_a_lead_signed_on_the_last_day_counts_in_the_period(dataset, staff_a):
    lead(
        staff_a,
        "S5",
        "10000.00",
        "trip",
        local(2024, 3, 11, 9),
        signing(date(2024, 3, 31), "9000.00", at=local(2024, 3, 31, 23, 59, 59)),
    )

    values = selectors.investment_values(**MARCH)

    assert (values["signed"], values["signed_amount_wan"], values["pipeline_100m_plus"]) == (
        3,
        Decimal("159000.50"),
        8,  # signed at 23:59:59 on the last day: no longer open at its end
    )


def test_no_data_gives_zeros_and_no_rate():
    assert selectors.investment_values(**MARCH) == {
        "trips": 0,
        "trips_led_by_head": 0,
        "leads": 0,
        "signed": 0,
        "signed_amount_wan": Decimal("0.00"),
        "pipeline_100m_plus": 0,
        "pipeline_5bn_plus": 0,
        "pipeline_1bn_to_5bn": 0,
        "pipeline_100m_to_1bn": 0,
        "conversion_pct": None,
        "stale": 0,
    }


def test_investment_figures_carry_every_value_with_its_definition(dataset):
    figures = selectors.investment_figures(**MARCH)

    assert [(f.key, f.value, f.unit) for f in figures] == [
        ("trips", 3, ""),
        ("trips_led_by_head", 2, ""),
        ("leads", 10, ""),
        ("signed", 2, ""),
        ("signed_amount_wan", Decimal("150000.50"), ""),
        ("pipeline_100m_plus", 8, ""),
        ("pipeline_5bn_plus", 2, ""),
        ("pipeline_1bn_to_5bn", 4, ""),
        ("pipeline_100m_to_1bn", 2, ""),
        ("conversion_pct", Decimal("10.0"), "%"),
        ("stale", 8, ""),
    ]
    assert all(f.definition for f in figures)


# --- conversion -------------------------------------------------------------------------------------


def test_conversion_by_source(dataset):
    """Leads created in March by source and how many were signed by 31 March (S3 signed in April is not)."""
    assert selectors.conversion_by("source", **MARCH) == [
        {"source": "fair", "n": 1, "signed": 0, "amount": None, "pct": Decimal("0.0")},  # A3
        {"source": "online", "n": 2, "signed": 0, "amount": None, "pct": Decimal("0.0")},  # A6, B1
        {"source": "small_team", "n": 2, "signed": 0, "amount": None, "pct": Decimal("0.0")},  # A4, S3
        {"source": "trip", "n": 5, "signed": 1, "amount": Decimal("120000.50"), "pct": Decimal("20.0")},
    ]


def test_conversion_by_unit(dataset, unit_a, unit_b):
    assert selectors.conversion_by("unit", **MARCH) == [
        {"unit": unit_a.pk, "n": 9, "signed": 1, "amount": Decimal("120000.50"), "pct": Decimal("11.1")},
        {"unit": unit_b.pk, "n": 1, "signed": 0, "amount": None, "pct": Decimal("0.0")},
    ]


def test_conversion_counts_every_signing_by_the_period_end(dataset):
    """Over March and April, S3 (created 10 Mar, signed 5 Apr) converts too."""
    rows = selectors.conversion_by("source", start=date(2024, 3, 1), end=date(2024, 4, 30))

    assert {r["source"]: (r["n"], r["signed"], r["amount"], r["pct"]) for r in rows} == {
        "fair": (1, 0, None, Decimal("0.0")),
        "online": (2, 0, None, Decimal("0.0")),
        "small_team": (2, 1, Decimal("180000.00"), Decimal("50.0")),
        "trip": (6, 1, Decimal("120000.50"), Decimal("16.7")),  # L1 recorded 2 Apr
    }


def test_stage_ageing_counts_the_open_leads_per_stage(dataset, unit_a):
    rows = selectors.stage_ageing(unit_id=unit_a.pk)

    assert [(r["stage"], r["n"]) for r in rows] == [("Lead", 5), ("Assessed", 1), ("Negotiating", 1)]
    assert all(r["avg_days"] > 0 for r in rows)


# --- the figures page: each linked number opens exactly the records it counts -----------------------------


@pytest.mark.parametrize(
    "who, unit", [("leader", None), ("leader", "unit_a"), ("staff_a", "unit_a"), ("staff_a", None)]
)
def test_each_linked_number_of_the_figures_page_opens_the_records_it_counts(
    dataset, users, request, who, unit
):
    from django.urls import reverse

    from ..conftest import client_for

    client = client_for(users[who])
    query = "from=2024-03-01&to=2024-03-31" + (f"&unit={request.getfixturevalue(unit).pk}" if unit else "")
    page = client.get(f"{reverse('investment:figures')}?{query}").context
    shown = page["unit_figures"] if unit else page["district"]
    linked = {figure.key: (figure.value, link) for figure, link in shown if link}
    leads = {"leads", "signed", "pipeline_100m_plus", "stale"}
    if who == "staff_a" and unit is None:  # the district's leads are not all theirs to open: no link
        assert not leads & set(linked) and {"trips", "trips_led_by_head"} <= set(linked)
    else:
        assert leads | {"trips"} <= set(linked)
    for key, (value, link) in linked.items():
        if key == "signed_amount_wan":
            continue
        assert client.get(link).context["page_obj"].paginator.count == value, (key, link)
