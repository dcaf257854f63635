"""GET /api/figures/ on a small hand-made dataset of the four campaigns, with the exact JSON it must give.

The period is 1–15 March 2024 (two whole months completed by the 15th: time-elapsed progress 2/12 = 16.7 %).

Serving enterprises. Key enterprises K1, K2 (unit A) and K3 (unit B); N1 (A) is not key.
  Visits: K1 5 Mar (A) · K3 14 Mar (B) · N1 16 Mar (after) · K2 29 Feb (before).
  Requests (category 人才安居, close within 10 working days), all logged by staff_a:
    R1  4 Mar 10:00 → A  acknowledged the same day, closed 7 Mar (on time), feedback satisfied
    R2  4 Mar 10:00 → A  acknowledged 5 Mar (late), closed 6 Mar, feedback unsatisfied → reopened: open
    R3 11 Mar 10:00 → B  acknowledged the same day, closed 13 Mar (on time), feedback basically satisfied
    R6  1 Mar 10:00 → B  acknowledged the same day, closed 15 Mar 20:00 (late: due 15 Mar 18:00)
    R4 16 Mar → A (after) · R5 28 Feb → A, closed 5 Mar (received before)
  District: 4 requests, 3 closed (75.0 %), 2 on time (66.7 %), 3 acknowledged the same day (75.0 %),
  2 of 3 feedbacks satisfied (66.7 %). Unit A: 2, 1 (50.0 %), 1 (100.0 %), 1 (50.0 %), 1 of 2 (50.0 %).
Project construction (万元). P1 A plan 3000, reports Jan 300, Feb 200, Mar 100 · P2 B plan 1000, new start
  planned 1 Mar, started 10 Mar, Feb 50 · P3 A plan 1000, new start planned 1 May, not started · P4 A 2023
  plan only (a January 2024 report of 999 never counts). Visit to P1 on 5 Mar with a problem solved 8 Mar;
  visit to P2 on 20 Mar (after). District: 3 projects, 5000.00 planned, 550.00 completed (Jan + Feb), 11.0 %,
  11.0 − 16.67 = −5.7 points; 2 new starts due, 1 started. Unit A: 2, 4000.00, 500.00, 12.5 %, −4.2, 1, 0.
Research. Entities E1, E3 (A), E2 (B); visits E1 1 and 8 Mar, E2 12 Mar, E3 20 Mar (after).
  Results: RS1 A catalogued 20 Feb, landed 5 Mar · RS2 A 1 Mar, matching from 2 Mar · RS3 B 10 Mar ·
  RS5 A 2 Mar, matching from 3 Mar, landed 20 Mar (in matching on the 15th) · RS4 and RS7 A 16 Mar, matching
  16 Mar (after: not in matching on the 15th). Carriers: one in park A, one in park B.
Attracting investment (万元). Trips: A 1 Mar (head) · A 10 Mar · B 15 Mar (head) · A 16 Mar (after) ·
  B 29 Feb (before). Leads: L1 A 600000 lead · L2 A 150000 lead · L3 B 20000 lead · L4 A 9000 lead (below
  1 亿) · S1 A signed 5 Mar for 285500.00 · S2 B signed 12 Mar for 150000.00 · S3 A 100000 signed 20 Mar
  (open on the 15th) · D1 B 50000 dropped 10 Mar. Pipeline on the 15th: L1 (≥ 50 亿), L2 and S3 (10–50 亿),
  L3 (1–10 亿).
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.investment import services as inv_services
from apps.research.models import Match, Result
from apps.service.models import Request
from apps.workbench.figures import API_KEYS

from ..conftest import client_for
from ..factories import EnterpriseFactory
from ..investment.factories import S, TripFactory
from ..investment.factories import create as lead_create
from ..projects.factories import planned, project_visit, report, reports
from ..research.factories import CarrierFactory, EntityFactory, catalogue, entity_visit, match_at, move_match
from ..service.factories import (
    A,
    VisitFactory,
    acknowledge,
    act,
    category,
    close,
    confirm,
    contact,
    local,
    make_request,
    walk_to,
)

pytestmark = pytest.mark.django_db

API = reverse("figures_api")
PERIOD = "?from=2024-03-01&to=2024-03-15"


@pytest.fixture
def dataset(staff_a, staff_b, manager_a, unit_a, unit_b):
    # --- serving enterprises
    k1 = EnterpriseFactory(unit=unit_a, is_key=True)
    k2 = EnterpriseFactory(unit=unit_a, is_key=True)
    k3 = EnterpriseFactory(unit=unit_b, is_key=True)
    n1 = EnterpriseFactory(unit=unit_a)
    VisitFactory(created_by=staff_a, enterprise=k1, visited_on=date(2024, 3, 5))
    VisitFactory(created_by=staff_b, enterprise=k3, visited_on=date(2024, 3, 14))
    VisitFactory(created_by=staff_a, enterprise=n1, visited_on=date(2024, 3, 16))
    VisitFactory(created_by=staff_a, enterprise=k2, visited_on=date(2024, 2, 29))

    def new(at, unit):
        return make_request(staff_a, handling_unit=unit, at=at)

    r1 = acknowledge(new(local(2024, 3, 4, 10), unit_a), staff_a, local(2024, 3, 4, 11))
    confirm(close(r1, staff_a, local(2024, 3, 7, 10)), manager_a, local(2024, 3, 8, 10))
    r2 = contact(acknowledge(new(local(2024, 3, 4, 10), unit_a), staff_a, local(2024, 3, 5, 9)), staff_a,
                 local(2024, 3, 5, 10))  # fmt: skip
    act(close(r2, staff_a, local(2024, 3, 6, 10)), A.REOPEN, manager_a, local(2024, 3, 7, 10))
    r3 = acknowledge(new(local(2024, 3, 11, 10), unit_b), staff_b, local(2024, 3, 11, 10, 30))
    confirm(close(r3, staff_b, local(2024, 3, 13, 10)), manager_a, local(2024, 3, 14, 10), "basic")
    r6 = acknowledge(new(local(2024, 3, 1, 10), unit_b), staff_b, local(2024, 3, 1, 10, 30))
    close(r6, staff_b, local(2024, 3, 15, 20))
    new(local(2024, 3, 16, 10), unit_a)  # R4
    r5 = acknowledge(new(local(2024, 2, 28, 10), unit_a), staff_a, local(2024, 2, 28, 11))  # R5
    close(r5, staff_a, local(2024, 3, 5, 10))

    # --- project construction
    p1 = planned(unit_a, "3000", code="P1")
    reports(p1, {"2024-01": "300", "2024-02": "200", "2024-03": "100"}, by=staff_a)
    p2 = planned(unit_b, "1000", new_start=True, code="P2", planned_start=date(2024, 3, 1),
                 actual_start=date(2024, 3, 10))  # fmt: skip
    report(p2, "2024-02", "50", by=staff_b)
    planned(unit_a, "1000", new_start=True, code="P3", planned_start=date(2024, 5, 1))
    p4 = planned(unit_a, "500", year=2023, code="P4")
    report(p4, "2024-01", "999", by=staff_a)
    problem = {"category": category(), "title": "施工用电增容", "handling_unit": unit_a}
    solved = project_visit(p1, staff_a, date(2024, 3, 5), [problem]).requests.get()
    walk_to(solved, "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 8, 10))
    project_visit(p2, staff_b, date(2024, 3, 20))

    # --- research to production
    e1, e3 = EntityFactory(unit=unit_a), EntityFactory(unit=unit_a)
    e2 = EntityFactory(unit=unit_b)
    entity_visit(e1, staff_a, date(2024, 3, 1))
    entity_visit(e1, staff_a, date(2024, 3, 8))
    entity_visit(e2, staff_b, date(2024, 3, 12))
    entity_visit(e3, staff_a, date(2024, 3, 20))
    c1, _c2 = CarrierFactory(park=unit_a), CarrierFactory(park=unit_b)
    rs1 = catalogue(staff_a, entity=e1, on=date(2024, 2, 20))
    move_match(match_at(rs1, Match.Status.NEGOTIATING, staff_a, carrier=c1, at=local(2024, 2, 21, 10)),
               Match.Status.LANDED, staff_a, at=local(2024, 3, 5, 10))  # fmt: skip
    rs2 = catalogue(staff_a, entity=e1, on=date(2024, 3, 1))
    match_at(rs2, Match.Status.PROPOSED, staff_a, carrier=c1, at=local(2024, 3, 2, 10))
    catalogue(staff_b, entity=e2, on=date(2024, 3, 10))  # RS3
    rs5 = catalogue(staff_a, entity=e1, on=date(2024, 3, 2))
    move_match(match_at(rs5, Match.Status.NEGOTIATING, staff_a, carrier=c1, at=local(2024, 3, 3, 10)),
               Match.Status.LANDED, staff_a, at=local(2024, 3, 20, 10))  # fmt: skip
    for _rs4_rs7 in range(2):
        late = catalogue(staff_a, entity=e3, on=date(2024, 3, 16))
        match_at(late, Match.Status.PROPOSED, staff_a, carrier=c1, at=local(2024, 3, 16, 11))

    # --- attracting investment
    TripFactory(unit=unit_a, leader=manager_a, led_by_head=True, start_on=date(2024, 3, 1))
    TripFactory(unit=unit_a, leader=staff_a, start_on=date(2024, 3, 10))
    TripFactory(unit=unit_b, leader=staff_b, led_by_head=True, start_on=date(2024, 3, 15))
    TripFactory(unit=unit_a, leader=manager_a, led_by_head=True, start_on=date(2024, 3, 16))
    TripFactory(unit=unit_b, leader=staff_b, led_by_head=True, start_on=date(2024, 2, 29))

    def lead(by, name, wan, created, moves=()):
        obj = lead_create(by, at=created, name=name, expected_wan=Decimal(wan))
        for stage, at, extra in moves:
            obj = inv_services.lead_move(lead=obj, to=stage, by=by, at=at, **extra)
        return obj

    def signing(day, wan):
        return [
            (S.ASSESSED, local(2024, 3, day, 9), {}),
            (S.NEGOTIATING, local(2024, 3, day, 10), {}),
            (
                S.SIGNED,
                local(2024, 3, day, 16),
                {"signed_on": date(2024, 3, day), "signed_wan": Decimal(wan)},
            ),
        ]

    lead(staff_a, "L1", "600000.00", local(2024, 3, 1, 9))
    lead(staff_a, "L2", "150000.00", local(2024, 3, 2, 9))
    lead(staff_b, "L3", "20000.00", local(2024, 3, 3, 9))
    lead(staff_a, "L4", "9000.00", local(2024, 3, 4, 9))
    lead(staff_a, "S1", "300000.00", local(2024, 3, 1, 9), signing(5, "285500.00"))
    lead(staff_b, "S2", "100000.00", local(2024, 3, 2, 9), signing(12, "150000.00"))
    lead(staff_a, "S3", "100000.00", local(2024, 3, 3, 9), signing(20, "90000.00"))
    lead(
        staff_b,
        "D1",
        "50000.00",
        local(2024, 3, 2, 9),
        [(S.DROPPED, local(2024, 3, 10, 9), {"note": "投资方撤回"})],
    )
    return {"r1": r1, "r2": r2, "r3": r3, "r6": r6}


DISTRICT = {
    "service": {
        "key_enterprises": 3,
        "key_enterprises_visited": 2,
        "visit_coverage_pct": 66.7,
        "visits": 2,
        "requests": 4,
        "requests_closed": 3,
        "closure_rate_pct": 75.0,
        "closed_on_time": 2,
        "on_time_rate_pct": 66.7,
        "same_day_ack_rate_pct": 75.0,
        "satisfaction_rate_pct": 66.7,
    },
    "projects": {
        "projects": 3,
        "annual_plan_wan": "5000.00",
        "completed_wan": "550.00",
        "completion_rate_pct": 11.0,
        "time_elapsed_pct": 16.7,
        "ahead_pp": -5.7,
        "new_due": 2,
        "new_started": 1,
        "start_rate_pct": 50.0,
        "project_visits": 1,
        "problems_solved": 1,
    },
    "research": {
        "rd_entities_visited": 2,
        "results": 3,  # RS2, RS3, RS5
        "results_matching": 2,  # RS2, RS5 (RS4 and RS7 only from the 16th)
        "results_landed": 1,  # RS1 (RS5 on the 20th)
        "carriers": 2,
    },
    "investment": {
        "trips": 3,
        "trips_led_by_head": 2,
        "signed": 2,
        "signed_amount_wan": "435500.00",
        "pipeline_100m_plus": 4,
        "pipeline_5bn_plus": 1,
        "pipeline_1bn_to_5bn": 2,
        "pipeline_100m_to_1bn": 1,
    },
}

UNIT_A = {
    "service": {
        "key_enterprises": 2,
        "key_enterprises_visited": 1,
        "visit_coverage_pct": 50.0,
        "visits": 1,
        "requests": 2,
        "requests_closed": 1,
        "closure_rate_pct": 50.0,
        "closed_on_time": 1,
        "on_time_rate_pct": 100.0,
        "same_day_ack_rate_pct": 50.0,
        "satisfaction_rate_pct": 50.0,
    },
    "projects": {
        "projects": 2,
        "annual_plan_wan": "4000.00",
        "completed_wan": "500.00",
        "completion_rate_pct": 12.5,
        "time_elapsed_pct": 16.7,
        "ahead_pp": -4.2,
        "new_due": 1,
        "new_started": 0,
        "start_rate_pct": 0.0,
        "project_visits": 1,
        "problems_solved": 1,
    },
    "research": {
        "rd_entities_visited": 1,
        "results": 2,
        "results_matching": 2,
        "results_landed": 1,
        "carriers": 1,
    },
    "investment": {
        "trips": 2,
        "trips_led_by_head": 1,
        "signed": 1,
        "signed_amount_wan": "285500.00",
        "pipeline_100m_plus": 3,
        "pipeline_5bn_plus": 1,
        "pipeline_1bn_to_5bn": 2,
        "pipeline_100m_to_1bn": 0,
    },
}


def test_the_dataset_is_as_described(dataset):
    r = {k: Request.objects.get(pk=v.pk) for k, v in dataset.items()}
    assert [(r[k].status, r[k].ack_on_time, r[k].closed_on_time, r[k].satisfaction) for k in r] == [
        ("confirmed", True, True, "satisfied"),
        ("in_progress", False, None, "unsatisfied"),
        ("confirmed", True, True, "basic"),
        ("closed", True, False, ""),
    ]
    assert sorted(Result.objects.values_list("catalogued_on", "status")) == [
        (date(2024, 2, 20), "landed"),  # RS1
        (date(2024, 3, 1), "matching"),  # RS2
        (date(2024, 3, 2), "landed"),  # RS5, on the 20th
        (date(2024, 3, 10), "catalogued"),  # RS3
        (date(2024, 3, 16), "matching"),  # RS4
        (date(2024, 3, 16), "matching"),  # RS7
    ]


def test_every_key_is_there_with_its_exact_value_for_the_district(dataset, leader):
    response = client_for(leader).get(API + PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert body == {"from": "2024-03-01", "to": "2024-03-15", "unit": None, **DISTRICT}
    assert {campaign: list(body[campaign]) for campaign in API_KEYS} == API_KEYS


def test_rates_are_numbers_with_one_decimal_money_strings_in_wan_and_counts_integers(dataset, leader):
    response = client_for(leader).get(API + PERIOD)
    text = response.content.decode()
    for campaign, keys in API_KEYS.items():
        for key in keys:
            value = response.json()[campaign][key]
            if key.endswith("_wan"):
                assert isinstance(value, str) and re.fullmatch(r"-?\d+\.\d\d", value), (key, value)
            elif key.endswith("_pct") or key == "ahead_pp":
                assert type(value) is float, (key, value)
                assert re.search(rf'"{key}": -?\d+\.\d[,}}]', text), key  # one decimal in the JSON text
            else:
                assert type(value) is int, (key, value)
    assert '"signed_amount_wan": "435500.00"' in text
    assert '"ahead_pp": -5.7' in text


@pytest.mark.parametrize(
    "to, elapsed, completed",
    [
        ("2024-03-15", 16.7, "550.00"),  # January and February only
        ("2024-03-31", 25.0, "650.00"),  # March completed: its report counts
        ("2024-02-29", 16.7, "550.00"),  # the last day of February completes it
        ("2024-02-28", 8.3, "300.00"),
    ],
)
def test_the_month_basis_counts_whole_months_completed_by_to(dataset, leader, to, elapsed, completed):
    body = client_for(leader).get(f"{API}?from=2024-01-01&to={to}").json()
    assert (body["projects"]["time_elapsed_pct"], body["projects"]["completed_wan"]) == (elapsed, completed)


def test_flows_count_what_happened_within_from_and_to_both_included(dataset, leader):
    body = client_for(leader).get(f"{API}?from=2024-03-05&to=2024-03-12").json()
    flows = {
        "visits": body["service"]["visits"],  # K1 on the 5th
        "requests": body["service"]["requests"],  # R3 on the 11th
        "project_visits": body["projects"]["project_visits"],  # P1 on the 5th
        "rd_entities_visited": body["research"]["rd_entities_visited"],  # E1 on the 8th, E2 on the 12th
        "results": body["research"]["results"],  # RS3 on the 10th
        "trips": body["investment"]["trips"],  # A on the 10th
        "signed": body["investment"]["signed"],  # S1 on the 5th, S2 on the 12th
        "signed_amount_wan": body["investment"]["signed_amount_wan"],
    }
    assert flows == {
        "visits": 1,
        "requests": 1,
        "project_visits": 1,
        "rd_entities_visited": 2,
        "results": 1,
        "trips": 1,
        "signed": 2,
        "signed_amount_wan": "435500.00",
    }


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?from=2024-03-01",
        "?to=2024-03-15",
        "?from=&to=",
        "?from=2024-02-30&to=2024-03-15",
        "?from=abc&to=2024-03-15",
        "?from=2024/03/01&to=2024/03/15",
        "?from=2024-03-15&to=2024-03-01",  # reversed
        "?from=1999-12-31&to=2024-03-15",
        "?from=2000-01-01&to=2024-03-15",  # more than ten years
        "?from=9999-12-30&to=9999-12-31",
        "?from=2024-03-01&to=2024-03-15&unit=abc",
    ],
)
def test_a_missing_or_invalid_period_is_a_400_with_an_error(leader, query):
    response = client_for(leader).get(API + query)
    assert response.status_code == 400
    assert "error" in response.json()


def test_staff_asking_for_another_units_figures_get_its_counts_and_rates_not_its_amounts(
    dataset, staff_b, leader, unit_a
):
    """As the investment figures page shows other units (issue #16, item 10): counts, not amounts."""
    response = client_for(staff_b).get(f"{API}{PERIOD}&unit={unit_a.pk}")
    assert response.status_code == 200
    # the amounts, and the open pipeline by band (the unit's confidential leads counted by amount)
    hidden = {
        "projects": ["annual_plan_wan", "completed_wan"],
        "investment": ["signed_amount_wan", "pipeline_100m_plus", "pipeline_5bn_plus", "pipeline_1bn_to_5bn",
                       "pipeline_100m_to_1bn"],
    }  # fmt: skip
    expected = {campaign: dict(values) for campaign, values in UNIT_A.items()}
    for campaign, keys in hidden.items():
        for key in keys:
            assert expected[campaign][key] is not None  # the leader's answer has it
            expected[campaign][key] = None
    assert response.json() == {"from": "2024-03-01", "to": "2024-03-15", "unit": unit_a.pk, **expected}
    assert client_for(staff_b).get(f"{API}{PERIOD}&unit=999999").status_code == 404


def test_staff_asking_for_their_own_unit_get_that_units_figures(dataset, staff_a, unit_a):
    response = client_for(staff_a).get(f"{API}{PERIOD}&unit={unit_a.pk}")
    assert response.status_code == 200
    assert response.json() == {"from": "2024-03-01", "to": "2024-03-15", "unit": unit_a.pk, **UNIT_A}


def test_a_leader_gets_any_units_figures_and_a_404_for_a_unit_that_does_not_exist(dataset, leader, unit_a):
    client = client_for(leader)
    assert client.get(f"{API}{PERIOD}&unit={unit_a.pk}").json() == {
        "from": "2024-03-01",
        "to": "2024-03-15",
        "unit": unit_a.pk,
        **UNIT_A,
    }
    assert client.get(f"{API}{PERIOD}&unit=999999").status_code == 404


def test_anonymous_is_sent_to_the_login_page(dataset):
    response = client_for(None).get(API + PERIOD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- the dashboard gives the same numbers -------------------------------------------------------------


def dashboard_value(html: str, label: str) -> str:
    figure = rf'<div class="label" title="[^"]*">{re.escape(label)}</div>\s*'
    match = re.search(figure + r'<div class="value">(?:<a [^>]*>)?([^<]*)', html)
    assert match, label
    return match.group(1)


SHOWN = [  # label on the dashboard, campaign, key
    ("Closure rate", "service", "closure_rate_pct"),
    ("Requests received", "service", "requests"),
    ("Satisfaction rate", "service", "satisfaction_rate_pct"),
    ("Completed to date (万元)", "projects", "completed_wan"),
    ("Time-elapsed progress (序时进度)", "projects", "time_elapsed_pct"),
    ("Ahead of schedule (points)", "projects", "ahead_pp"),
    ("Results in matching", "research", "results_matching"),
    ("Signed amount (万元)", "investment", "signed_amount_wan"),
    ("Pipeline ≥ 1 亿 (在手在谈)", "investment", "pipeline_100m_plus"),
]


def shown_as(key: str, value) -> str:
    """The dashboard shows rates with a %, money in 万元 with thousands separators (as the API's value)."""
    if key.endswith("_wan"):
        return f"{Decimal(value):,.2f}"
    return f"{value}%" if key.endswith("_pct") else str(value)


def test_the_dashboard_shows_the_same_numbers_as_the_api(dataset, leader):
    client = client_for(leader)
    api = client.get(API + PERIOD).json()
    html = client.get(reverse("dashboard") + PERIOD).content.decode()
    assert [dashboard_value(html, label) for label, _c, _k in SHOWN] == [
        shown_as(key, api[campaign][key]) for _l, campaign, key in SHOWN
    ]
    assert dashboard_value(html, "Closure rate") == "75.0%"
    assert dashboard_value(html, "Signed amount (万元)") == "435,500.00"  # the API's "435500.00" 万元
    assert "= 43.55 亿元" in html


def test_a_units_dashboard_shows_the_same_numbers_as_the_api_for_that_unit(dataset, staff_a, unit_a):
    client = client_for(staff_a)
    api = client.get(f"{API}{PERIOD}&unit={unit_a.pk}").json()
    html = client.get(f"{reverse('dashboard')}{PERIOD}&unit={unit_a.pk}").content.decode()
    assert [dashboard_value(html, label) for label, _c, _k in SHOWN] == [
        shown_as(key, api[campaign][key]) for _l, campaign, key in SHOWN
    ]
    assert dashboard_value(html, "Closure rate") == "50.0%"
