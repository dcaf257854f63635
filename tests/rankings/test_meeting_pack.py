"""The monthly meeting's papers: the board's print pack and the published month's notice (通报), as a page and
as a Word document.

The dataset (`published`): March 2024's board as published (the JSON a publication freezes), with ten
indicators. Parks: 研创园 (unit A) 95.0 and 三号园 95.0 share rank 1, 医药谷 (unit B) 80.0 is 3rd (up 2
places since February), 四号园 70.0, 五号园 55.0, 六号园 40.0 last; 七号园 has too small a sample. Red list:
研创园, 三号园; black list: 六号园, 五号园. Bureaus: 党政办 (the office) alone, 60.0. Frozen memos: unit A had
4 overdue requests (#11 3 days late, #12 10, #13 7, #14 1), unit B 2 (#21 5, #22 2), the office none.
"""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.urls import reverse
from docx import Document

from apps.rankings.models import Publication, PublishedMemo
from apps.rankings.services import board_publish

from ..conftest import client_for
from ..factories import UnitFactory
from ..service.factories import acknowledge, close, contact, local, make_request
from .factories import frozen_indicators, only_indicators

pytestmark = pytest.mark.django_db

MONTH = "2024-03"
NOTICE = reverse("rankings:notice") + f"?month={MONTH}"
DOCX = reverse("rankings:notice_docx") + f"?month={MONTH}"
PACK = reverse("rankings:pack") + f"?month={MONTH}"
NAMES = ["诉求办结率", "按时办结率", "事不过夜签收率", "企业满意率", "重点企业走访覆盖率", "投资完成序时比",
         "月度投资填报率", "成果对接推进率", "线索签约转化率", "招商线索超时率"]  # fmt: skip


def _row(unit, score, rank, *, move="new", delta=None, insufficient=False):
    cells = {
        f"i{n}": {"na": False, "value": "80.0", "num": "8", "den": "10", "points": "8.89", "met": False}
        for n in range(len(NAMES))
    }
    return {"unit_id": unit.pk, "unit": unit.short_name, "score": score, "rank": rank, "cells": cells,
            "all_met": False, "move": move, "delta": delta, "why": [],
            "insufficient": insufficient}  # fmt: skip


@pytest.fixture
def parks(unit_a, unit_b):
    others = {
        n: UnitFactory(code=f"park-{n}", name=f"{n}号产业园", short_name=f"{n}号园") for n in "三四五六七"
    }
    return {"a": unit_a, "b": unit_b, **others}


@pytest.fixture
def published(parks, office, leader):
    p = parks
    board = {
        "month": MONTH,
        "compared_with": "2024-02",
        "indicators": frozen_indicators(NAMES),
        "groups": [
            {
                "group": "parks",
                "label": "园区",
                "indicators": [f"i{n}" for n in range(len(NAMES))],
                "rows": [
                    _row(p["a"], "95.0", 1, move="same", delta=0),
                    _row(p["三"], "95.0", 1),
                    _row(p["b"], "80.0", 3, move="up", delta=2),
                    _row(p["四"], "70.0", 4),
                    _row(p["五"], "55.0", 5),
                    _row(p["六"], "40.0", 6),
                    _row(p["七"], None, None, insufficient=True),
                ],
                "red": [p["a"].pk, p["三"].pk],
                "black": [p["六"].pk, p["五"].pk],
            },
            {
                "group": "bureaus",
                "label": "局办",
                "indicators": ["i0", "i1"],
                "rows": [_row(office, "60.0", 1)],
                "red": [],
                "black": [],
            },
        ],  # fmt: skip
        "peer_groups": [
            {"group": "parks", "label": "园区", "units": 7},
            {"group": "bureaus", "label": "局办", "units": 1},
        ],
    }
    for row in board["groups"][1]["rows"]:
        row["cells"] = {k: v for k, v in row["cells"].items() if k in ("i0", "i1")}
    publication = Publication.objects.create(
        month=date(2024, 3, 1),
        board=board,
        published_by=leader,
        published_at=datetime(2024, 4, 8, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
    )

    def item(pk, days):
        return {"id": pk, "title": f"诉求{pk}", "enterprise": f"企业{pk}", "handler": "张伟",
                "due": "2024-03-20", "days_over": days}  # fmt: skip

    def memo(unit, items):
        data = {"overdue": items, "overdue_count": len(items), "stale": [], "stale_count": 0,
                "red_projects": [], "red_count": 0}  # fmt: skip
        PublishedMemo.objects.create(publication=publication, unit=unit, data=data)

    memo(p["a"], [item(11, 3), item(12, 10), item(13, 7), item(14, 1)])
    memo(p["b"], [item(21, 5), item(22, 2)])
    memo(office, [])
    return publication


def paragraphs(notice) -> list[str]:
    return [p["lead"] + p["text"] for section in notice["sections"] for p in section["paragraphs"]]


def tables(notice) -> list[list[list[str]]]:
    """Each table of the notice (the attachment last) as rows of cells, a cell's lines joined by " | "."""
    found = [s["table"] for s in notice["sections"] if s.get("table")] + [notice["attachment"]]
    return [[[" | ".join(cell) for cell in row] for row in t["rows"]] for t in found]


def test_the_notice_names_each_groups_first_and_last_its_lists_and_the_overdue_requests(published, leader):
    response = client_for(leader).get(NOTICE)
    assert response.status_code == 200
    notice = response.context["notice"]
    assert notice["office"] == "江北新区管委会办公室"
    assert notice["title"] == "Notice on the ranking board of March 2024"
    assert notice["number"] == "Ranking notice [2024] No. 3"
    assert notice["issued"] == "April 8, 2024"
    assert "8 units were ranked in 2 peer groups on 10 weighted indicators" in notice["opening"]
    assert "published on April 8, 2024" in notice["opening"]
    said = paragraphs(notice)
    assert said[0] == (
        "园区 (7 units): first 研创园, 三号园 (95.0 points), last 六号园 (40.0 points). "
        "Most improved: 医药谷, up 2 places. 1 unit had too small a sample to be scored: 七号园."
    )
    assert said[1] == "局办 (1 unit): 党政办 ranked first (60.0 points)."
    assert (
        "When the board was published, 2 units had 6 overdue requests in all. Each unit's count and its "
        "oldest items:"
    ) in said
    lists, overdue, indicators = tables(notice)
    assert lists == [["园区", "研创园, 三号园", "六号园, 五号园"], ["局办", "none", "none"]]
    assert overdue == [
        ["研创园", "4", " | ".join([
            "#12 诉求12 (企业12; handler 张伟; due 2024-03-20, 10 days late)",
            "#13 诉求13 (企业13; handler 张伟; due 2024-03-20, 7 days late)",
            "#11 诉求11 (企业11; handler 张伟; due 2024-03-20, 3 days late)",
        ])],
        ["医药谷", "2", " | ".join([
            "#21 诉求21 (企业21; handler 张伟; due 2024-03-20, 5 days late)",
            "#22 诉求22 (企业22; handler 张伟; due 2024-03-20, 2 days late)",
        ])],
    ]  # fmt: skip
    assert [row[0] for row in indicators] == NAMES
    assert indicators[0] == ["诉求办结率", "Serving enterprises", "10.00", "90.00%", "诉求办结率的口径。"]
    assert all("note" not in s for s in notice["sections"])
    html = response.content.decode()
    assert "江北新区管委会办公室" in html and "六号园, 五号园" in html and "#12 诉求12" in html


def test_a_unit_sees_the_other_units_overdue_counts_but_only_its_own_items(published, staff_b):
    notice = client_for(staff_b).get(NOTICE).context["notice"]
    lists, overdue, _indicators = tables(notice)
    assert overdue[0] == ["研创园", "4", "—"]
    assert overdue[1][:2] == ["医药谷", "2"] and overdue[1][2].startswith("#21 诉求21")
    (section,) = [s for s in notice["sections"] if s.get("note")]
    assert section["note"] == "Items are named only for the units whose records you may open."
    assert "诉求12" not in client_for(staff_b).get(NOTICE).content.decode()


def test_a_board_published_without_memos_says_so_and_none_overdue_says_none(published, leader):
    PublishedMemo.objects.exclude(unit__code="office").delete()
    assert "no request was overdue" in " ".join(paragraphs(client_for(leader).get(NOTICE).context["notice"]))
    PublishedMemo.objects.all().delete()
    said = " ".join(paragraphs(client_for(leader).get(NOTICE).context["notice"]))
    assert "published before overdue requests were frozen with it" in said


@override_settings(RANKING_ISSUING_OFFICE="江北新区党工委办公室")
def test_the_notice_as_a_word_document(published, leader):
    response = client_for(leader).get(DOCX)
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert response["Content-Disposition"] == 'attachment; filename="ranking-notice-2024-03.docx"'
    document = Document(io.BytesIO(response.content))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4 portrait
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[:3] == [
        "江北新区党工委办公室",
        "Ranking notice [2024] No. 3",
        "Notice on the ranking board of March 2024",
    ]
    assert "I. Rankings by peer group" in texts and "IV. Requirements" in texts
    assert any(t.startswith("园区 (7 units): first 研创园, 三号园 (95.0 points), last 六号园") for t in texts)
    assert texts[-3:] == ["江北新区党工委办公室", "April 8, 2024", "Attachment: the indicators of March 2024"]
    lists, overdue, indicators = (
        [[cell.text for cell in row.cells] for row in table.rows] for table in document.tables
    )
    assert lists == [["Peer group", "Red list", "Black list"], ["园区", "研创园, 三号园", "六号园, 五号园"],
                     ["局办", "none", "none"]]  # fmt: skip
    assert overdue[0] == ["Unit", "Overdue", "Oldest overdue items"]
    assert overdue[1][:2] == ["研创园", "4"]
    assert overdue[1][2].split("\n") == [
        "#12 诉求12 (企业12; handler 张伟; due 2024-03-20, 10 days late)",
        "#13 诉求13 (企业13; handler 张伟; due 2024-03-20, 7 days late)",
        "#11 诉求11 (企业11; handler 张伟; due 2024-03-20, 3 days late)",
    ]
    assert overdue[2][:2] == ["医药谷", "2"]
    assert [row[0] for row in indicators] == ["Indicator", *NAMES]


def test_the_notice_in_chinese_by_default(published, leader, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    response = client_for(leader).get(NOTICE)
    assert response.status_code == 200
    assert response.context["notice"]["title"] == "关于2024年3月排行榜情况的通报"  # the month in Chinese
    assert response.context["notice"]["issued"] == "2024年4月8日"


def test_a_live_month_has_no_notice(published, leader):
    response = client_for(leader).get(reverse("rankings:notice") + "?month=2024-02")
    assert response.status_code == 404
    assert "is not published: a notice is issued only for a published month" in response.content.decode()
    assert client_for(leader).get(reverse("rankings:notice_docx") + "?month=2024-02").status_code == 404
    # no month: this month, never published
    assert client_for(leader).get(reverse("rankings:notice")).status_code == 404


@pytest.mark.parametrize("url", [NOTICE, DOCX, PACK])
def test_the_meeting_papers_are_for_signed_in_users_only(published, url):
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("user", ["staff_a", "staff_b", "leader"])
def test_the_pack_shows_every_group_with_every_indicator(published, request, user):
    response = client_for(request.getfixturevalue(user)).get(PACK)
    assert response.status_code == 200
    assert [g["label"] for g in response.context["groups"]] == ["园区", "局办"]
    html = response.content.decode()
    assert html.count('class="card board-group pack-group"') == 2
    assert html.count('<tr class="pack-caption">') == 2
    parks, bureaus = html.split('<tr class="pack-caption">')[1:]
    assert all(f">{name}<br>" in parks for name in NAMES)
    assert [name for name in NAMES if f">{name}<br>" in bureaus] == NAMES[:2]
    assert "published 2024-04-08" in html


@pytest.fixture
def march(staff_a, staff_b, unit_a, unit_b, office):
    """test_publish.py's dataset: unit A 70.4, unit B 100.0 among the parks; the office unranked."""
    only_indicators("closure_rate", "same_day_ack")
    r1 = acknowledge(make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10)), staff_a,
                     local(2024, 3, 4, 11))  # fmt: skip
    close(contact(r1, staff_a, local(2024, 3, 5, 10)), staff_a, local(2024, 3, 7, 10))
    r2 = acknowledge(make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10)), staff_a,
                     local(2024, 3, 4, 11))  # fmt: skip
    contact(r2, staff_a, local(2024, 3, 5, 10))
    r3 = acknowledge(make_request(staff_a, handling_unit=unit_b, at=local(2024, 3, 11, 10)), staff_b,
                     local(2024, 3, 11, 10, 30))  # fmt: skip
    close(contact(r3, staff_b, local(2024, 3, 12, 10)), staff_b, local(2024, 3, 13, 10))


def test_the_notice_of_a_board_published_by_the_service(march, leader, staff_a):
    client = client_for(leader)
    assert client.get(NOTICE).status_code == 404
    assert client.get(PACK).context["publication"] is None  # the pack of a live month: drawn live
    board_publish(month=date(2024, 3, 1), by=leader)
    response = client.get(NOTICE)
    assert response.status_code == 200
    bureaus, parks, *_more = paragraphs(response.context["notice"])
    assert bureaus == "Bureaus and offices (1 unit): no unit was scored this month."
    assert "first 医药谷 (100.0 points), last 研创园 (70.4 points)." in parks
    assert client_for(staff_a).get(DOCX).status_code == 200
