"""The figures of campaign 1 on a small hand-made dataset, with the exact values it must produce.

The dataset (`march`), period 1–31 March 2024, calendar of 2024, category 人才安居 (close within 10 days):

Key enterprises: K1 and K2 (unit A), K3 (unit B); N1 (unit A) is not key.
Visits: V1 K1 on 5 Mar (A); V2 K3 on 10 Mar (B, jointly with A); V3 N1 on 12 Mar (A); V4 K2 on 20 Feb (A,
outside the period); V5 K1 again on 20 Mar (A).

Requests, all logged by staff_a; "ack" is on time unless said late:
  R1  4 Mar 10:00 → A  ack; closed 7 Mar (on time, 3 working days); satisfied
  R2  4 Mar 10:00 → A  ack late; closed 19 Mar (late, due 18 Mar; 11 days); basically satisfied
  R3  4 Mar 10:00 → A  ack; closed 6 Mar; unsatisfied, reopened 7 Mar (due 21 Mar); closed 12 Mar (on time, 6)
  R4  6 Mar 10:00 → A  ack; in progress (due 20 Mar)
  R5  6 Mar 10:00 → A  withdrawn 7 Mar before acknowledgement (its deadline, 20 Mar, no longer counts)
  R6 11 Mar 10:00 → B  ack; closed 26 Mar (late, due 25 Mar; 11 days); satisfied
  R7 11 Mar 10:00 → B  ack; open (due 25 Mar)
  R8 12 Mar 10:00      left for the dispatch desk (new)
  R9 28 Feb 10:00 → A  ack; closed 5 Mar (on time, due 13 Mar) — received in February
  R10 29 Mar 10:00 → A ack; closed 2 Apr, after the period (due 15 Apr)
  R11 31 Mar 23:59:59 → A (a Sunday night: still March), not acknowledged (due 15 Apr)
"""

from datetime import date
from decimal import Decimal

import pytest

from apps.core.figures import pct
from apps.service import selectors

from ..factories import EnterpriseFactory
from .factories import A, VisitFactory, acknowledge, act, close, confirm, contact, local, make_request, reopen

pytestmark = pytest.mark.django_db

MARCH = {"start": date(2024, 3, 1), "end": date(2024, 3, 31)}


@pytest.fixture
def march(staff_a, staff_b, manager_a, unit_a, unit_b):
    k1 = EnterpriseFactory(unit=unit_a, is_key=True, name="江北重点一公司")
    k2 = EnterpriseFactory(unit=unit_a, is_key=True, name="江北重点二公司")
    k3 = EnterpriseFactory(unit=unit_b, is_key=True, name="医药谷重点公司")
    n1 = EnterpriseFactory(unit=unit_a, is_key=False, name="江北普通公司")
    VisitFactory(created_by=staff_a, enterprise=k1, visited_on=date(2024, 3, 5))
    VisitFactory(created_by=staff_b, enterprise=k3, visited_on=date(2024, 3, 10), joint_units=[unit_a])
    VisitFactory(created_by=staff_a, enterprise=n1, visited_on=date(2024, 3, 12))
    VisitFactory(created_by=staff_a, enterprise=k2, visited_on=date(2024, 2, 20))
    VisitFactory(created_by=staff_a, enterprise=k1, visited_on=date(2024, 3, 20))

    def new(at, unit=None):
        return make_request(staff_a, handling_unit=unit, at=at)

    r1 = acknowledge(new(local(2024, 3, 4, 10), unit_a), staff_a, local(2024, 3, 4, 11))
    r1 = confirm(close(r1, staff_a, local(2024, 3, 7, 10)), manager_a, local(2024, 3, 8, 10))

    r2 = acknowledge(new(local(2024, 3, 4, 10), unit_a), staff_a, local(2024, 3, 5, 9))
    r2 = confirm(close(r2, staff_a, local(2024, 3, 19, 10)), manager_a, local(2024, 3, 20, 10), "basic")

    r3 = acknowledge(new(local(2024, 3, 4, 10), unit_a), staff_a, local(2024, 3, 4, 12))
    r3 = reopen(close(r3, staff_a, local(2024, 3, 6, 10)), manager_a, local(2024, 3, 7, 10))
    r3 = close(r3, staff_a, local(2024, 3, 12, 10))

    r4 = acknowledge(new(local(2024, 3, 6, 10), unit_a), staff_a, local(2024, 3, 6, 15))
    r4 = contact(r4, staff_a, local(2024, 3, 6, 16))

    r5 = act(new(local(2024, 3, 6, 10), unit_a), A.WITHDRAW, staff_a, local(2024, 3, 7, 10))

    r6 = acknowledge(new(local(2024, 3, 11, 10), unit_b), staff_b, local(2024, 3, 11, 10, 30))
    r6 = confirm(close(r6, staff_b, local(2024, 3, 26, 10)), manager_a, local(2024, 3, 27, 10))

    r7 = acknowledge(new(local(2024, 3, 11, 10), unit_b), staff_b, local(2024, 3, 11, 11))

    r8 = new(local(2024, 3, 12, 10))

    r9 = acknowledge(new(local(2024, 2, 28, 10), unit_a), staff_a, local(2024, 2, 28, 11))
    r9 = close(r9, staff_a, local(2024, 3, 5, 10))

    r10 = acknowledge(new(local(2024, 3, 29, 10), unit_a), staff_a, local(2024, 3, 29, 11))
    r10 = close(r10, staff_a, local(2024, 4, 2, 10))

    r11 = new(local(2024, 3, 31, 23, 59, 59), unit_a)

    return dict(r1=r1, r2=r2, r3=r3, r4=r4, r5=r5, r6=r6, r7=r7, r8=r8, r9=r9, r10=r10, r11=r11)


def test_the_dataset_is_as_described(march):
    """The clocks the figures rely on, so that a wrong figure is not blamed on the dataset."""
    r = march
    assert [r[k].status for k in sorted(r, key=lambda k: int(k[1:]))] == [
        "confirmed",
        "confirmed",
        "closed",
        "in_progress",
        "withdrawn",
        "confirmed",
        "acknowledged",
        "new",
        "closed",
        "closed",
        "dispatched",
    ]
    assert [r[k].closed_on_time for k in ("r1", "r2", "r3", "r6", "r9", "r10")] == [
        True,
        False,
        True,
        False,
        True,
        True,
    ]
    assert [r[k].workdays_to_close for k in ("r1", "r2", "r3", "r6")] == [3, 11, 6, 11]
    assert r["r3"].close_due == local(2024, 3, 21, 18)
    assert r["r5"].close_due == local(2024, 3, 20, 18)
    assert r["r9"].close_due == local(2024, 3, 13, 18)
    assert r["r11"].received_on == date(2024, 3, 31)


def test_service_values_district_wide_for_march(march):
    assert selectors.service_values(**MARCH) == {
        "key_enterprises": 3,
        "key_enterprises_visited": 2,
        "visit_coverage_pct": Decimal("66.7"),
        "visits": 4,
        "requests": 10,
        "requests_closed": 4,
        "closure_rate_pct": Decimal("40.0"),
        "closed_on_time": 2,
        "on_time_rate_pct": Decimal("50.0"),
        "on_time_due_rate_pct": Decimal("42.9"),  # R1, R3, R9 of R1–R4, R6, R7, R9
        "same_day_ack_rate_pct": Decimal("60.0"),
        "satisfaction_rate_pct": Decimal("75.0"),
        "reopened": 1,
        "withdrawn": 1,
        "avg_workdays_to_close": Decimal("7.8"),  # (3 + 11 + 6 + 11) / 4 = 7.75
    }


def test_service_values_for_unit_a_in_march(march, unit_a):
    assert selectors.service_values(**MARCH, unit_id=unit_a.pk) == {
        "key_enterprises": 2,
        "key_enterprises_visited": 1,
        "visit_coverage_pct": Decimal("50.0"),
        "visits": 4,  # V1, V3, V5 led and V2 joined
        "requests": 7,  # R1–R5, R10, R11
        "requests_closed": 3,
        "closure_rate_pct": Decimal("42.9"),
        "closed_on_time": 2,
        "on_time_rate_pct": Decimal("66.7"),
        "on_time_due_rate_pct": Decimal("60.0"),  # R1, R3, R9 of R1–R4, R9
        "same_day_ack_rate_pct": Decimal("57.1"),
        "satisfaction_rate_pct": Decimal("66.7"),
        "reopened": 1,
        "withdrawn": 1,
        "avg_workdays_to_close": Decimal("6.7"),  # (3 + 11 + 6) / 3
    }


def test_service_values_for_unit_b_in_march(march, unit_b):
    assert selectors.service_values(**MARCH, unit_id=unit_b.pk) == {
        "key_enterprises": 1,
        "key_enterprises_visited": 1,
        "visit_coverage_pct": Decimal("100.0"),
        "visits": 1,
        "requests": 2,
        "requests_closed": 1,
        "closure_rate_pct": Decimal("50.0"),
        "closed_on_time": 0,
        "on_time_rate_pct": Decimal("0.0"),
        "on_time_due_rate_pct": Decimal("0.0"),
        "same_day_ack_rate_pct": Decimal("100.0"),
        "satisfaction_rate_pct": Decimal("100.0"),
        "reopened": 0,
        "withdrawn": 0,
        "avg_workdays_to_close": Decimal("11.0"),
    }


def test_service_values_of_an_empty_period_are_zero_or_none(march):
    values = selectors.service_values(start=date(2023, 1, 1), end=date(2023, 1, 31))

    assert values == {
        "key_enterprises": 3,
        "key_enterprises_visited": 0,
        "visit_coverage_pct": Decimal("0.0"),
        "visits": 0,
        "requests": 0,
        "requests_closed": 0,
        "closure_rate_pct": None,
        "closed_on_time": 0,
        "on_time_rate_pct": None,
        "on_time_due_rate_pct": None,
        "same_day_ack_rate_pct": None,
        "satisfaction_rate_pct": None,
        "reopened": 0,
        "withdrawn": 0,
        "avg_workdays_to_close": None,
    }


def test_service_figures_carry_label_definition_and_percent_sign(march):
    figures = {f.key: f for f in selectors.service_figures(**MARCH)}

    assert list(figures) == list(selectors.DEFINITIONS)
    assert figures["visit_coverage_pct"].display == "66.7%"
    assert figures["requests"].display == "10"
    assert figures["avg_workdays_to_close"].display == "7.8"
    assert all(str(f.definition) for f in figures.values())


def test_coverage_by_unit_in_march(march, unit_a, unit_b):
    rows = {row["unit"].code: row for row in selectors.coverage_by_unit(**MARCH)}

    assert {code: (r["total"], r["visited"], r["pct"]) for code, r in rows.items()} == {
        "unit-a": (2, 1, Decimal("50.0")),
        "unit-b": (1, 1, Decimal("100.0")),
    }
    assert selectors.coverage_total(list(rows.values())) == {"total": 3, "visited": 2, "pct": Decimal("66.7")}


def test_service_by_unit_in_march(march):
    rows = {row["unit"].code: row for row in selectors.service_by_unit(**MARCH)}

    assert {code: {k: v for k, v in row.items() if k != "unit"} for code, row in rows.items()} == {
        "unit-a": {
            "requests": 7,
            "closed": 3,
            "closure_rate_pct": Decimal("42.9"),
            "on_time_rate_pct": Decimal("66.7"),
            "same_day_ack_rate_pct": Decimal("57.1"),
            "satisfaction_rate_pct": Decimal("66.7"),
            "overdue": 2,  # R4 in progress and R11 dispatched, both past their deadline today
        },
        "unit-b": {
            "requests": 2,
            "closed": 1,
            "closure_rate_pct": Decimal("50.0"),
            "on_time_rate_pct": Decimal("0.0"),
            "same_day_ack_rate_pct": Decimal("100.0"),
            "satisfaction_rate_pct": Decimal("100.0"),
            "overdue": 1,  # R7
        },
    }


def test_a_request_received_in_the_last_second_of_the_period_counts_in_it(march):
    april = selectors.service_values(start=date(2024, 4, 1), end=date(2024, 4, 30))
    assert april["requests"] == 0


# --- month boundaries in Asia/Shanghai --------------------------------------------------------------


def test_request_received_at_2359_on_31_january_counts_in_january_not_february(staff_a, unit_a):
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 1, 31, 23, 59, 59))
    make_request(staff_a, handling_unit=unit_a, at=local(2024, 2, 1, 0, 0, 0))

    january = selectors.service_values(start=date(2024, 1, 1), end=date(2024, 1, 31))
    february = selectors.service_values(start=date(2024, 2, 1), end=date(2024, 2, 29))

    assert january["requests"] == 1
    assert february["requests"] == 1


def test_request_closed_at_2359_on_31_january_is_closed_in_january(staff_a, unit_a):
    late_night = acknowledge(
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 1, 31, 9)), staff_a, local(2024, 1, 31, 10)
    )
    close(late_night, staff_a, local(2024, 1, 31, 23, 59, 59))
    next_morning = acknowledge(
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 1, 31, 9)), staff_a, local(2024, 1, 31, 10)
    )
    close(next_morning, staff_a, local(2024, 2, 1, 0, 0, 0))

    january = selectors.service_values(start=date(2024, 1, 1), end=date(2024, 1, 31))

    assert (january["requests"], january["requests_closed"]) == (2, 1)
    assert january["closure_rate_pct"] == Decimal("50.0")


def test_visit_on_the_last_day_counts_in_the_period(staff_a, unit_a):
    key = EnterpriseFactory(unit=unit_a, is_key=True)
    VisitFactory(created_by=staff_a, enterprise=key, visited_on=date(2024, 1, 31))

    january = selectors.service_values(start=date(2024, 1, 1), end=date(2024, 1, 31))
    february = selectors.service_values(start=date(2024, 2, 1), end=date(2024, 2, 29))

    assert (january["visits"], january["key_enterprises_visited"]) == (1, 1)
    assert (february["visits"], february["key_enterprises_visited"]) == (0, 0)


# --- rounding -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (1, 8, Decimal("12.5")),
        (2, 3, Decimal("66.7")),
        (1, 6, Decimal("16.7")),
        (1, 3, Decimal("33.3")),
        (1, 16, Decimal("6.3")),  # 6.25 rounds half up, not to even
        (1, 80, Decimal("1.3")),  # 1.25
        (3, 3, Decimal("100.0")),
        (0, 5, Decimal("0.0")),
        (1090, 1203, Decimal("90.6")),
    ],
)
def test_pct_rounds_half_up_to_one_decimal(numerator, denominator, expected):
    assert pct(numerator, denominator) == expected
    assert str(pct(numerator, denominator)) == str(expected)


def test_pct_of_nothing_is_none():
    assert pct(0, 0) is None


# --- the figures page: each linked number opens exactly the records it counts -----------------------------


@pytest.mark.parametrize("who, unit", [("leader", None), ("leader", "unit_a"), ("staff_a", "unit_a")])
def test_each_linked_number_of_the_figures_page_opens_the_records_it_counts(march, users, request, who, unit):
    from django.urls import reverse

    from ..conftest import client_for

    client = client_for(users[who])
    query = "from=2024-03-01&to=2024-03-31" + (f"&unit={request.getfixturevalue(unit).pk}" if unit else "")
    page = client.get(f"{reverse('service:figures')}?{query}").context
    shown = page["unit_figures"] if unit else page["district"]
    linked = {figure.key: (figure.value, link) for figure, link in shown if link}
    assert {"requests", "requests_closed", "reopened", "withdrawn"} <= set(linked)
    for key, (value, link) in linked.items():
        listed = client.get(link).context["page_obj"].paginator.count if "requests" in link else None
        if listed is not None:
            assert listed == value, (key, link)
