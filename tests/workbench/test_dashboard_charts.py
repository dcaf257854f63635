"""The dashboard's charts (issue #18, item 2): the numbers each chart draws, the table beside it, and the way
the page carries them (json_script data, the vendored ECharts, no inline script).

The dataset, for the period March 2024 (its end a month's end in the past, so nothing moves):
- requests: R1 (unit A, 5 February) acknowledged the same day, closed 7 February, confirmed satisfied;
  R2 (unit A, 人才安居, 4 March) acknowledged the same day and closed 6 March; R3 (unit B, 金融上市,
  11 March) and R4 (unit A, 用地空间, 1 March) open and never acknowledged → February 100 % of every rate;
  March closure 1 of 3, on time 1 of 1, same-day acknowledgement 1 of 3, no feedback;
  by category in March: 人才安居 1, 金融上市 1, 用地空间 1 (R4, on the 1st; R1 is February's);
- projects of 2024 as of 31 March (time elapsed 25 %): P1 30 % done (green), P2 10 % (yellow), P3 0 %
  (yellow);
- leads: L1 a lead, L2 assessed, L3 negotiating, S1 signed on 5 March → the funnel 1, 1, 1 and 1 signed.
"""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from apps.investment import services as inv_services
from apps.investment.models import Lead
from apps.projects.selectors import DEFINITIONS as PROJECT_FIGURES
from apps.service.selectors import DEFINITIONS as SERVICE_FIGURES

from ..conftest import client_for
from ..investment.factories import create as lead_create
from ..projects.factories import planned, reports
from ..service.factories import (
    FINANCE,
    LAND,
    TALENT,
    acknowledge,
    close,
    confirm,
    local,
    make_request,
)

pytestmark = pytest.mark.django_db

S = Lead.Stage
PERIOD = "?from=2024-03-01&to=2024-03-31"
MONTHS = [f"2023-{m:02}" for m in range(4, 13)] + ["2024-01", "2024-02", "2024-03"]
BEFORE = [None] * 10  # April 2023 – January 2024: nothing received


def said(text: str) -> set[str]:
    """A new string as the page may say it: in Chinese once translated (translations follow new strings),
    else in English."""
    return {text, zh(text)}


def zh(text) -> str:
    """`text` as the page shows it: in Chinese, the default language (English where not translated yet)."""
    with translation.override("zh-hans"):
        return gettext(str(text)) if isinstance(text, str) else str(text)


def figure(key: str) -> str:
    return zh(SERVICE_FIGURES[key][0])


def charted_district(staff_a, staff_b, manager_a, unit_a, unit_b) -> None:
    """The module docstring's dataset."""

    r1 = make_request(staff_a, handling_unit=unit_a, at=local(2024, 2, 5, 10))
    acknowledge(r1, staff_a, local(2024, 2, 5, 11))
    confirm(close(r1, staff_a, local(2024, 2, 7, 10)), manager_a, local(2024, 2, 8, 10))
    r2 = make_request(staff_a, handling_unit=unit_a, category=TALENT, at=local(2024, 3, 4, 10))
    close(acknowledge(r2, staff_a, local(2024, 3, 4, 11)), staff_a, local(2024, 3, 6, 10))
    make_request(staff_b, handling_unit=unit_b, category=FINANCE, at=local(2024, 3, 11, 10))
    make_request(staff_a, handling_unit=unit_a, category=LAND, at=local(2024, 3, 1, 10))

    reports(
        planned(unit_a, "1000", code="P1"), {"2024-01": "100", "2024-02": "100", "2024-03": "100"}, by=staff_a
    )
    reports(planned(unit_a, "1000", code="P2"), {"2024-01": "100"}, by=staff_a)
    planned(unit_b, "1000", code="P3")

    def lead(name, created, *moves):
        obj = lead_create(staff_a, at=created, name=name, expected_wan=Decimal("20000"))
        for stage, at, extra in moves:
            obj = inv_services.lead_move(lead=obj, to=stage, by=manager_a, at=at, **extra)

    lead("L1", local(2024, 3, 1, 9))
    lead("L2", local(2024, 3, 2, 9), (S.ASSESSED, local(2024, 3, 5, 9), {}))
    lead(
        "L3",
        local(2024, 3, 3, 9),
        (S.ASSESSED, local(2024, 3, 5, 9), {}),
        (S.NEGOTIATING, local(2024, 3, 6, 9), {}),
    )
    signed = {"signed_on": date(2024, 3, 5), "signed_wan": Decimal("18000")}
    lead("S1", local(2024, 3, 1, 9), (S.ASSESSED, local(2024, 3, 2, 9), {}),
         (S.NEGOTIATING, local(2024, 3, 3, 9), {}), (S.SIGNED, local(2024, 3, 5, 16), signed))  # fmt: skip


@pytest.fixture
def district(staff_a, staff_b, manager_a, unit_a, unit_b):
    charted_district(staff_a, staff_b, manager_a, unit_a, unit_b)


def charts(response) -> dict[str, dict]:
    assert response.status_code == 200
    return {chart["id"]: chart for c in response.context["campaigns"] for chart in c["charts"]}


def series(chart) -> dict[str, list]:
    return {s["name"]: s["data"] for s in chart["spec"]["series"]}


def test_the_main_rates_are_drawn_for_each_of_the_twelve_months_as_each_month_counts_them(district, leader):
    rates = charts(client_for(leader).get(reverse("dashboard") + PERIOD))["chart-rates"]
    assert rates["spec"]["categories"] == MONTHS
    assert series(rates) == {
        figure("closure_rate_pct"): BEFORE + [100.0, 33.3],
        figure("on_time_rate_pct"): BEFORE + [100.0, 100.0],
        figure("same_day_ack_rate_pct"): BEFORE + [100.0, 33.3],
        figure("satisfaction_rate_pct"): BEFORE + [100.0, None],
    }
    table = rates["table"]
    assert table["head"][0] == zh("Month") and len(table["rows"]) == 12
    assert table["rows"][-1] == {
        "label": "2024-03",
        "cells": [{"text": t} for t in ("33.3%", "100.0%", "33.3%", "—")],
    }


def test_the_months_rates_are_the_figures_of_that_month_as_a_period(district, leader):
    """The chart's March is exactly what the dashboard's cards say for the period March."""
    response = client_for(leader).get(reverse("dashboard") + PERIOD)
    cards = {f["key"]: f["value"] for c in response.context["campaigns"] for f in c["cards"]}
    march = {name: data[-1] for name, data in series(charts(response)["chart-rates"]).items()}
    assert march[figure("closure_rate_pct")] == float(cards["closure_rate_pct"]) == 33.3
    assert march[figure("same_day_ack_rate_pct")] == float(cards["same_day_ack_rate_pct"]) == 33.3
    assert march[figure("on_time_rate_pct")] == float(cards["on_time_rate_pct"]) == 100.0


def by_category(chart) -> list[tuple[str, int]]:
    return sorted(zip(chart["spec"]["categories"], chart["spec"]["series"][0]["data"], strict=True))


def test_requests_by_category_count_the_whole_period_from_the_roll_up(district, leader):
    chart = charts(client_for(leader).get(reverse("dashboard") + PERIOD))["chart-categories"]
    assert by_category(chart) == sorted([(TALENT, 1), (FINANCE, 1), (LAND, 1)])
    assert "2024-03-01 – 2024-03-31" in chart["note"]
    rows = [(r["label"], [c["text"] for c in r["cells"]]) for r in chart["table"]["rows"]]
    assert rows == [(name, ["1", "33.3%"]) for name in chart["spec"]["categories"]]
    # each count opens the request list of that category and period, which lists exactly those requests
    for row in chart["table"]["rows"]:
        listed = client_for(leader).get(row["cells"][0]["link"])
        assert listed.status_code == 200
        assert listed.context["paginator"].count == 1


def test_partial_months_are_counted_from_the_requests(district, leader):
    """2 March – 31 March: the edge is read raw (R4 of the 1st is outside); 6 February – 31 March: February's
    part raw (R1 of the 5th outside), March from the roll-up; 5 February – 5 March: both edges raw."""
    march = charts(client_for(leader).get(reverse("dashboard") + "?from=2024-03-02&to=2024-03-31"))
    assert by_category(march["chart-categories"]) == sorted([(TALENT, 1), (FINANCE, 1)])
    span = charts(client_for(leader).get(reverse("dashboard") + "?from=2024-02-06&to=2024-03-31"))
    assert by_category(span["chart-categories"]) == sorted([(TALENT, 1), (FINANCE, 1), (LAND, 1)])
    first = charts(client_for(leader).get(reverse("dashboard") + "?from=2024-02-05&to=2024-03-05"))
    # R1 (5 February, 人才安居 by default) and R2 (4 March) and R4; R3 (11 March) after the end
    assert by_category(first["chart-categories"]) == sorted([(TALENT, 2), (LAND, 1)])


def test_a_units_charts_count_that_unit_only(district, staff_a, unit_a):
    got = charts(client_for(staff_a).get(reverse("dashboard") + PERIOD + f"&unit={unit_a.pk}"))
    assert by_category(got["chart-categories"]) == sorted([(TALENT, 1), (LAND, 1)])  # R3 is unit B's
    assert series(got["chart-rates"])[figure("closure_rate_pct")][-2:] == [100.0, 50.0]  # R2 closed, R4 open
    assert [i["value"] for i in got["chart-lights"]["spec"]["items"]] == [0, 1, 1]  # P3 is unit B's


def test_the_projects_lights_and_their_lists(district, leader, staff_b):
    lights = charts(client_for(leader).get(reverse("dashboard") + PERIOD))["chart-lights"]
    assert [(i["name"], i["value"], i["color"]) for i in lights["spec"]["items"]] == [
        (zh(PROJECT_FIGURES["lights_red"][0]), 0, "#cf222e"),
        (zh(PROJECT_FIGURES["lights_yellow"][0]), 2, "#d4a72c"),
        (zh(PROJECT_FIGURES["lights_green"][0]), 1, "#1a7f37"),
    ]
    rows = lights["table"]["rows"]
    assert [[c["text"] for c in r["cells"]] for r in rows] == [["0", "0.0%"], ["2", "66.7%"], ["1", "33.3%"]]
    assert rows[1]["cells"][0]["link"].endswith("&light=yellow")  # a leader opens every project
    # a staff member looking at the district opens only their own unit's projects: the counts, no link
    other = charts(client_for(staff_b).get(reverse("dashboard") + PERIOD))["chart-lights"]
    assert [i["value"] for i in other["spec"]["items"]] == [0, 2, 1]
    assert not any(cell.get("link") for row in other["table"]["rows"] for cell in row["cells"])


def test_the_pipeline_funnel_shows_the_open_stages_then_the_signings(district, leader):
    funnel = charts(client_for(leader).get(reverse("dashboard") + PERIOD))["chart-pipeline"]
    assert funnel["spec"] == {
        "kind": "funnel",
        "items": [
            {"name": zh(S.LEAD.label), "value": 1},
            {"name": zh(S.ASSESSED.label), "value": 1},
            {"name": zh(S.NEGOTIATING.label), "value": 1},
            {"name": funnel["spec"]["items"][-1]["name"], "value": 1},
        ],
    }
    assert funnel["spec"]["items"][-1]["name"] in said("Signed within the period")
    assert funnel["table"]["rows"][-1]["cells"][0]["link"]  # the signed leads' list


def test_the_page_carries_the_data_as_json_and_loads_the_vendored_charts_without_inline_script(
    district, leader
):
    html = client_for(leader).get(reverse("dashboard") + PERIOD).content.decode()
    for chart in ("chart-rates", "chart-categories", "chart-lights", "chart-pipeline"):
        assert f'<script id="{chart}" type="application/json">' in html
        assert f'data-chart="{chart}"' in html
    assert html.count('<details class="chart-numbers">') == 4
    assert '<script src="/static/vendor/echarts/echarts.min.js" defer></script>' in html
    assert '<script src="/static/js/charts.js" type="module"></script>' in html
    for tag in re.findall(r"<script\b[^>]*>", html):  # CSP: script-src 'self', no inline script
        assert " src=" in tag or 'type="application/json"' in tag, tag
    figures = re.findall(r'<figure class="chart-box">.*?</figure>', html, re.DOTALL)
    assert len(figures) == 4 and not any("<svg" in f for f in figures)  # ECharts' canvas, not hand-drawn SVG


def test_an_empty_period_says_so_instead_of_drawing_nothing(leader):
    got = charts(client_for(leader).get(reverse("dashboard") + PERIOD))
    assert got["chart-categories"]["empty"] in said("No request was received in these days.")
    assert got["chart-lights"]["empty"] in said("No project has a light yet.")
    assert got["chart-pipeline"]["empty"] in said("No open lead and no signing.")
    assert got["chart-rates"]["empty"] == ""  # twelve months of axes, every point missing
    assert series(got["chart-rates"])[figure("closure_rate_pct")] == [None] * 12
