"""The ranking board's charts (issue #18, item 2): each unit's score in the group shown, from the board's own
rows, and each unit's rank over the six months to the board's month, from the current publications only —
a month not published (the board's own month while it is live) has no point, a superseded publication
counts for nothing.

The dataset: the parks group (unit A, unit B, and 园区三) published for January, February (republished:
the first publication is superseded) and March 2024.
"""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from apps.rankings.models import Publication

from ..conftest import client_for
from ..factories import UnitFactory
from .factories import frozen_indicators

pytestmark = pytest.mark.django_db

SIX_TO_MARCH = ["2023-10", "2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]


def said(text: str) -> set[str]:
    """`text` as the page may say it: in Chinese, the default language, once translated (the translations of
    new strings come after them), else in English."""
    with translation.override("zh-hans"):
        return {text, gettext(text)}


def not_published(month: str) -> set[str]:
    return {text % {"month": month} for text in said("%(month)s (not published)")}


def frozen(month: date, ranks: list[tuple]) -> dict:
    """A published board of the parks group: (unit, rank) rows, the score 100 − rank (none when unranked)."""
    cell = {"na": False, "value": "90.0", "num": "9", "den": "10", "points": "10.00", "met": True}
    rows = [
        {"unit_id": unit.pk, "unit": unit.short_name, "score": None if rank is None else f"{100 - rank}.0",
         "rank": rank, "cells": {"i0": cell}, "all_met": True, "insufficient": rank is None, "move": "same",
         "delta": 0, "why": []}
        for unit, rank in ranks
    ]  # fmt: skip
    return {
        "month": f"{month:%Y-%m}",
        "compared_with": None,
        "indicators": frozen_indicators(["诉求办结率"]),
        "groups": [
            {"group": "parks", "label": "园区", "indicators": ["i0"], "rows": rows, "red": [], "black": []}
        ],
        "peer_groups": [{"group": "parks", "label": "园区", "units": len(rows)}],
    }


@pytest.fixture
def published(unit_a, unit_b, leader):
    third = UnitFactory(short_name="园区三")

    def publish(month, ranks, *, current=True):
        Publication.objects.create(
            month=month, board=frozen(month, ranks), published_by=leader, is_current=current
        )

    publish(date(2024, 1, 1), [(unit_a, 2), (unit_b, 1), (third, 3)])
    publish(date(2024, 2, 1), [(unit_a, 3), (unit_b, 2), (third, 1)], current=False)  # superseded
    publish(date(2024, 2, 1), [(unit_a, 1), (unit_b, 2), (third, None)])
    publish(date(2024, 3, 1), [(unit_b, 1), (unit_a, 2), (third, 3)])
    return {"A": unit_a, "B": unit_b, "third": third}


def board_charts(user, month: str) -> dict:
    response = client_for(user).get(reverse("rankings:board") + f"?month={month}&group=parks")
    assert response.status_code == 200
    return {chart["id"]: chart for chart in response.context["charts"]}


def test_the_scores_are_the_boards_rows_in_rank_order(published, leader):
    scores = board_charts(leader, "2024-03")["chart-scores-parks"]
    assert scores["spec"]["categories"] == ["医药谷", "研创园", "园区三"]
    assert scores["spec"]["series"][0]["data"] == [99.0, 98.0, 97.0]
    assert [(r["label"], [c["text"] for c in r["cells"]]) for r in scores["table"]["rows"]] == [
        ("医药谷", ["1", "99.0"]),
        ("研创园", ["2", "98.0"]),
        ("园区三", ["3", "97.0"]),
    ]


def test_the_rank_trend_reads_the_current_publications_of_the_six_months(published, leader):
    ranks = board_charts(leader, "2024-03")["chart-ranks-parks"]
    assert ranks["spec"]["categories"] == SIX_TO_MARCH
    assert ranks["spec"]["inverse"] is True and ranks["spec"]["min"] == 1 and ranks["spec"]["max"] == 3
    assert {s["name"]: s["data"] for s in ranks["spec"]["series"]} == {
        "医药谷": [None, None, None, 1, 2, 1],
        "研创园": [None, None, None, 2, 1, 2],  # February's superseded board said 3
        "园区三": [None, None, None, 3, None, 3],  # sample too small in February: no rank
    }
    head = ranks["table"]["head"][1:]
    assert head[3:] == SIX_TO_MARCH[3:]
    assert all(h in not_published(m) for m, h in zip(SIX_TO_MARCH[:3], head[:3], strict=True)), head
    assert ranks["table"]["rows"][0] == {
        "label": "医药谷",
        "cells": [{"text": t} for t in ("—", "—", "—", "1", "2", "1")],
    }


def test_a_live_month_has_no_point_of_its_own(published, leader):
    """April is not published: its board is computed live, and its ranks are not on the trend."""
    ranks = board_charts(leader, "2024-04")["chart-ranks-parks"]
    assert ranks["spec"]["categories"] == [*SIX_TO_MARCH[1:], "2024-04"]
    lines = {s["name"]: s["data"] for s in ranks["spec"]["series"]}
    assert lines["研创园"] == [None, None, 2, 1, 2, None]
    assert ranks["table"]["head"][-1] in not_published("2024-04")


def test_without_a_published_month_the_trend_says_so(unit_a, unit_b, leader):
    ranks = board_charts(leader, "2024-03")["chart-ranks-parks"]
    assert ranks["empty"] in said(
        "No board of these six months is published yet: the ranks show once one is."
    )


def test_the_board_page_carries_the_charts_data_and_the_scripts(published, leader):
    html = client_for(leader).get(reverse("rankings:board") + "?month=2024-03&group=parks").content.decode()
    assert '<script id="chart-scores-parks" type="application/json">' in html
    assert '<script id="chart-ranks-parks" type="application/json">' in html
    assert html.count('<details class="chart-numbers">') == 2
    assert "/static/vendor/echarts/echarts.min.js" in html
    # the charts come after the ranking table: the printed board starts with the table
    assert html.index('class="table ranking"') < html.index('data-chart="chart-scores-parks"')
