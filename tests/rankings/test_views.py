"""The board page, the projector view, the Excel export and the pre-meeting memo.

The dataset (`boards`): only the seeded closure-rate indicator is on (weight 20, target 90 %, linear, capped
at the target). Parks: unit A (研创园), unit B (医药谷), 江北园; bureaus: the office (党政办).
  February 2024: A 1 of 1 closed (100.0 % → 20.00 points, score 100.0, rank 1) · B 1 of 2 (50.0 % → 11.11,
  55.6, rank 2) · 江北园 nothing received (not ranked) · office 1 of 1 (rank 1 of the bureaus).
  March 2024:    B 2 of 2 (100.0, rank 1: up one) · A 1 of 2 (55.6, rank 2: down one) · 江北园 1 of 4
  (25.0 % → 5.56, 27.8, rank 3: new) · office 1 of 1 (rank 1: unchanged).
"""

import re
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from apps.accounts import roles
from apps.rankings.board import compute_boards
from apps.rankings.models import Indicator, Publication
from apps.rankings.services import indicator_save
from apps.service.models import Request

from ..conftest import client_for
from ..factories import UnitFactory, UserFactory
from ..service.factories import acknowledge, local, make_request, walk_to
from .factories import IndicatorFactory, only_indicators

pytestmark = pytest.mark.django_db

BOARD = reverse("rankings:board") + "?month=2024-03&group=parks"  # the parks: units A and B


@pytest.fixture
def boards(staff_a, staff_b, manager_a, unit_a, unit_b, office):
    only_indicators("closure_rate")
    jiangbei = UnitFactory(short_name="江北园", name="江北新材料科技园")
    handlers = {
        unit_a: staff_a,
        unit_b: staff_b,
        jiangbei: UserFactory(unit=jiangbei, role=roles.STAFF),
        office: UserFactory(unit=office, role=roles.STAFF),
    }

    def received(unit, day: date, closed: bool):
        req = make_request(staff_a, handling_unit=unit, at=local(day.year, day.month, day.day, 10))
        if closed:
            walk_to(
                req,
                "closed",
                handler=handlers[unit],
                manager=None,
                at=local(day.year, day.month, day.day, 11),
            )
        return req

    for unit, day, closed in [
        (unit_a, date(2024, 2, 5), True),
        (unit_b, date(2024, 2, 5), True),
        (unit_b, date(2024, 2, 5), False),
        (office, date(2024, 2, 5), True),
        (unit_a, date(2024, 3, 4), True),
        (unit_a, date(2024, 3, 4), False),
        (unit_b, date(2024, 3, 11), True),
        (unit_b, date(2024, 3, 11), True),
        (jiangbei, date(2024, 3, 12), True),
        *[(jiangbei, date(2024, 3, 12), False)] * 3,
        (office, date(2024, 3, 4), True),
    ]:
        received(unit, day, closed)
    return {"jiangbei": jiangbei}


def row_html(html: str, unit_name: str) -> str:
    """The table row of the unit (the row whose unit cell names it)."""
    rows = [chunk for chunk in html.split("<tr")[1:] if re.search(rf">{unit_name}</a>", chunk)]
    assert len(rows) == 1, unit_name
    return rows[0].split("</tr>")[0]


def test_the_board_shows_the_rank_change_against_last_month(boards, leader):
    html = client_for(leader).get(BOARD).content.decode()
    assert '<span class="ok" title="up 1 place">▲1</span>' in row_html(html, "医药谷")
    assert '<span class="late" title="down 1 place">▼1</span>' in row_html(html, "研创园")
    assert '<span class="badge">new</span>' in row_html(html, "江北园")
    bureaus = client_for(leader).get(BOARD.replace("group=parks", "group=bureaus")).content.decode()
    unchanged = row_html(bureaus, "党政办")
    assert "▲" not in unchanged and "▼" not in unchanged and ">new<" not in unchanged
    assert "医药谷" not in bureaus.split("<tbody>")[1]  # one peer group per page


def test_the_board_rows_carry_score_rank_and_move(boards, leader, unit_a, unit_b, office):
    rows = [
        (r["unit"], r["score"], r["rank"], r["move"], r["delta"])
        for page in (BOARD.replace("group=parks", "group=bureaus"), BOARD)
        for r in client_for(leader).get(page).context["group"]["rows"]
    ]
    assert rows == [
        ("党政办", "100.0", 1, "same", 0),
        ("医药谷", "100.0", 1, "up", 1),
        ("研创园", "55.6", 2, "down", -1),
        ("江北园", "27.8", 3, "new", None),
    ]


def test_a_cell_links_to_the_requests_behind_its_number(boards, leader, unit_b):
    client = client_for(leader)
    html = client.get(BOARD).content.decode()
    drill = (
        f"{reverse('service:request_list')}?concerns=enterprise&handling_unit={unit_b.pk}"
        "&date_from=2024-03-01&date_to=2024-03-31"
    )
    assert f'href="{drill.replace("&", "&amp;")}" title="2 / 2">100.0</a>' in row_html(html, "医药谷")
    listed = client.get(drill).context["page_obj"].paginator.count
    assert listed == Request.objects.filter(handling_unit=unit_b, received_on__month=3).count() == 2


def test_a_new_indicator_links_to_its_records_at_once(boards, leader, admin_user, unit_a):
    client = client_for(leader)
    client.get(BOARD)  # the links of the board as it was
    indicator_save(
        indicator=IndicatorFactory.build(code="ack_new", computation="service_same_day_ack",
                                         peer_groups=["parks"]),
        by=admin_user,
    )  # fmt: skip
    board = client.get(BOARD).context["board"]
    (parks,) = [g for g in board["groups"] if g["group"] == "parks"]
    column = parks["indicators"].index("ack_new")
    (row,) = [r for r in parks["rows"] if r["unit_id"] == unit_a.pk]
    assert row["ordered"][column]["url"] == (
        f"{reverse('service:request_list')}?concerns=enterprise&handling_unit={unit_a.pk}"
        "&date_from=2024-03-01&date_to=2024-03-31&ack_decided=true"
    )


def test_the_links_of_a_published_board_follow_the_computation_frozen_with_it(
    boards, leader, admin_user, unit_a
):
    from apps.rankings.services import board_publish

    board_publish(month=date(2024, 3, 1), by=leader)
    closure = Indicator.objects.get(code="closure_rate")
    closure.computation = "service_on_time_rate"  # its drill-down adds the closed statuses
    indicator_save(indicator=closure, by=admin_user)
    board = client_for(leader).get(BOARD).context["board"]
    (parks,) = [g for g in board["groups"] if g["group"] == "parks"]
    (row,) = [r for r in parks["rows"] if r["unit_id"] == unit_a.pk]
    assert row["ordered"][0]["url"].endswith("&date_to=2024-03-31")


def test_the_projector_view_has_no_navigation_and_shows_the_board(boards, leader, unit_a, unit_b, office):
    for group, units in (("parks", (unit_a, unit_b, boards["jiangbei"])), ("bureaus", (office,))):
        response = client_for(leader).get(reverse("rankings:projector") + f"?month=2024-03&group={group}")
        html = response.content.decode()
        assert response.status_code == 200
        assert "mainnav" not in html and "main-nav" not in html
        for unit in units:
            assert f"<td>{unit.short_name}" in html
            assert reverse("rankings:memo", args=[unit.pk]) not in html  # no links out of the projected board


def test_the_excel_export_has_numbers_in_numeric_cells_a_title_a_frozen_header_and_the_lists(boards, leader):
    response = client_for(leader).get(
        reverse("rankings:export") + "?month=2024-03", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Ranking board 2024-03, live (not published): the figures still move"
    assert rows[1:] == [
        [
            "Peer group",
            "Rank",
            "Unit",
            "Score",
            "Rank change",
            "List",
            "诉求办结率（%） value",
            "诉求办结率（%） points",
        ],
        ["Bureaus and offices", 1, "党政办", 100, 0, None, 100, 20],
        # three ranked parks: one unit on each list
        ["Parks and business districts", 1, "医药谷", 100, 1, "red list", 100, 20],
        ["Parks and business districts", 2, "研创园", 55.6, -1, None, 50, 11.11],
        ["Parks and business districts", 3, "江北园", 27.8, None, "black list", 25, 5.56],  # new: no change
    ]
    assert all(isinstance(v, (int, float)) for row in rows[2:] for v in (row[1], row[3], row[6], row[7]))
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["C"].width == 16


# --- the pre-meeting memo --------------------------------------------------------------------------------


@pytest.fixture
def overdue(staff_a, colleague_a, manager_a, staff_b, unit_a, unit_b):
    """Unit A: two overdue requests (handlers 张伟 and 李娜), one paused, one closed; unit B: one overdue."""
    late = make_request(
        staff_a, handling_unit=unit_a, handler=staff_a, title="人才公寓申请逾期", at=local(2024, 3, 4, 10)
    )
    acknowledge(late, staff_a, local(2024, 3, 4, 11))
    make_request(
        staff_a, handling_unit=unit_a, handler=colleague_a, title="招聘用工逾期", at=local(2024, 3, 5, 10)
    )
    paused = make_request(
        staff_a, handling_unit=unit_a, handler=staff_a, title="暂停的诉求", at=local(2024, 3, 6, 10)
    )
    walk_to(paused, "paused", handler=staff_a, manager=manager_a, at=local(2024, 3, 6, 11))
    done = make_request(
        staff_a, handling_unit=unit_a, handler=staff_a, title="已办结的诉求", at=local(2024, 3, 6, 10)
    )
    walk_to(done, "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 6, 11))
    make_request(staff_b, handling_unit=unit_b, handler=staff_b, title="医药谷逾期", at=local(2024, 3, 4, 10))


def test_the_memo_of_another_unit_is_a_404_for_staff(overdue, staff_b, unit_a):
    assert (
        client_for(staff_b).get(reverse("rankings:memo", args=[unit_a.pk]) + "?month=2024-03").status_code
        == 404
    )


def test_the_memo_of_a_unit_that_does_not_exist_is_a_404(leader):
    assert client_for(leader).get(reverse("rankings:memo", args=[999999])).status_code == 404


@pytest.mark.parametrize("who", ["staff_a", "manager_a", "leader"])
def test_the_memo_lists_the_units_overdue_requests_with_their_handlers(overdue, users, who, unit_a):
    response = client_for(users[who]).get(reverse("rankings:memo", args=[unit_a.pk]) + "?month=2024-03")
    assert response.status_code == 200
    html = response.content.decode()
    section = html.split("Overdue requests")[1].split("</section>")[0]
    assert '<small class="muted">2</small>' in section
    late = Request.objects.get(title="人才公寓申请逾期")
    # each item links to its request
    assert re.search(
        rf'<a href="/service/requests/{late.pk}/">#{late.pk} 人才公寓申请逾期</a> · [^<]* · '
        r"handler: 张伟 · due 2024-03-18",
        section,
    )
    assert re.search(r"招聘用工逾期</a> · [^<]* · handler: 李娜 · due 2024-03-19", section)
    for absent in ("暂停的诉求", "已办结的诉求", "医药谷逾期"):
        assert absent not in html


def test_a_group_ranked_alone_is_ranked_as_on_the_whole_board(boards):
    """The page computes only the group it shows, from that group's units' rows: each group must come out
    exactly as on the board of every group (published boards hold every group)."""
    months = [date(2024, 3, 1), date(2024, 2, 1)]
    whole = compute_boards(months)
    for month in months:
        groups = [g["group"] for g in whole[month]["groups"]]
        assert len(groups) == 2
        for group in groups:
            alone = compute_boards(months, [group])[month]
            assert alone["groups"] == [g for g in whole[month]["groups"] if g["group"] == group]
            assert alone["peer_groups"] == whole[month]["peer_groups"]


# --- a published board is frozen: later writes and indicator edits change nothing it shows ----------------


def shown(client, unit) -> dict:
    """What a published month shows one user in one language: both groups' board pages (from the group
    tabs to the end of the page), the projector, the export's cell values and the unit's memo."""

    def body(url):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        return html[html.index('<nav class="tabs board-groups"') : html.index("</main>")]

    export = client.get(reverse("rankings:export") + "?month=2024-03", HTTP_ACCEPT_LANGUAGE="zh-hans")
    memo = client.get(
        reverse("rankings:memo", args=[unit.pk]) + "?month=2024-03", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    memo_html = memo.content.decode()
    projector = client.get(reverse("rankings:projector") + "?month=2024-03&group=parks").content.decode()
    return {
        "parks": body(BOARD),
        "bureaus": body(BOARD.replace("group=parks", "group=bureaus")),
        "projector": projector[projector.index("<table") : projector.index("</table>")],
        "export": [
            list(r) for r in load_workbook(BytesIO(export.content)).active.iter_rows(values_only=True)
        ],
        "memo": memo_html[memo_html.index("<main") : memo_html.index("</main>")],
    }


def later_writes(staff_a, admin_user, unit_a, unit_b):
    """What happens after the meeting: February's and March's records change (unit A's February falls to
    1 of 3 closed, so A would be first in February; B gets another open March request; A another overdue
    one), and the indicator is renamed and reweighted."""
    for day in (date(2024, 2, 6), date(2024, 2, 7)):
        make_request(staff_a, handling_unit=unit_a, at=local(day.year, day.month, day.day, 10))
    make_request(staff_a, handling_unit=unit_b, at=local(2024, 3, 20, 10))
    make_request(
        staff_a, handling_unit=unit_a, handler=staff_a, title="会后新增逾期", at=local(2024, 3, 21, 10)
    )
    closure = Indicator.objects.get(code="closure_rate")
    closure.name, closure.weight, closure.measure = "办结率（新口径）", Decimal("35"), "‰"
    indicator_save(indicator=closure, by=admin_user)


@pytest.mark.parametrize("february_published", [False, True])
def test_a_published_board_shows_the_same_after_later_writes_and_indicator_edits(
    boards, leader, staff_a, admin_user, unit_a, unit_b, february_published
):
    from apps.rankings.services import board_publish

    if february_published:
        board_publish(month=date(2024, 2, 1), by=leader)
    board_publish(month=date(2024, 3, 1), by=leader)
    client = client_for(leader)
    before = shown(client, unit_a)
    assert '<span class="late" title="down 1 place">▼1</span>' in before["parks"]  # A: down one, as said
    assert "诉求办结率 100.0% → 50.0%, points -8.89" in before["parks"]
    assert before["memo"].count('<a href="/service/requests/') == 1  # A's overdue request as it was

    later_writes(staff_a, admin_user, unit_a, unit_b)

    assert shown(client, unit_a) == before
    assert "会后新增逾期" not in shown(client, unit_a)["memo"]
    # while the live board of the month after moves with the records
    live = client.get(reverse("rankings:board") + "?month=2024-04&group=parks").context["board"]
    assert live["indicators"][0]["name"] == "办结率（新口径）"


# --- months that cannot be one ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "month", ["99999999999-01", "10000-01", "0-1", "2024-13", "-1-1", "2024-03-x", "٢٠٢٤-٣"]
)
def test_a_month_out_of_range_shows_this_month_never_a_500(leader, staff_a, unit_a, month):
    for path in (
        reverse("rankings:board"),
        reverse("rankings:projector"),
        reverse("rankings:export"),
        reverse("rankings:memo", args=[unit_a.pk]),
        reverse("rankings:publish"),
    ):
        assert client_for(leader).get(path, {"month": month}).status_code == 200, path
    # the publish POST checks its permission first, whatever the month
    assert client_for(staff_a).post(reverse("rankings:publish") + f"?month={month}").status_code == 403
    assert (
        client_for(leader)
        .post(reverse("rankings:publish") + f"?month={month}", {"confirm": month})
        .status_code
        == 200
    )
    assert not Publication.objects.exists()


# --- amounts behind a rate stay with their unit ------------------------------------------------------------


def test_the_board_withholds_another_units_amounts_behind_a_money_rate(staff_b, leader, unit_a, unit_b):
    """Project progress is completed ÷ planned investment (万元): another unit's amounts are not shown on
    hover to a viewer who may not open its projects (the figures API withholds them too); counts are."""
    from apps.rankings.views import _decorate

    def board():
        cells = {
            "progress": {"na": False, "value": "80.0", "num": "12345.67", "den": "98765.43", "points": "8.00",
                         "met": False},
            "closure": {"na": False, "value": "50.0", "num": "1", "den": "2", "points": "5.00", "met": False},
        }  # fmt: skip
        indicators = [
            {"code": "progress", "name": "投资完成序时比", "computation": "project_progress"},
            {"code": "closure", "name": "诉求办结率", "computation": "service_closure_rate"},
        ]
        rows = [{"unit_id": u.pk, "unit": u.short_name, "cells": cells} for u in (unit_a, unit_b)]
        group = {
            "group": "parks",
            "indicators": ["progress", "closure"],
            "rows": rows,
            "red": [],
            "black": [],
        }
        return {"indicators": indicators, "groups": [group]}, group

    shown = {}
    for viewer in (staff_b, leader):
        whole, group = board()
        _decorate(whole, group, date(2024, 3, 1), viewer)
        shown[viewer.username] = {
            r["unit_id"]: [(c["num"], c["den"]) for c in r["ordered"]] for r in group["rows"]
        }
    assert shown[staff_b.username] == {
        unit_a.pk: [(None, None), ("1", "2")],  # A's amounts withheld, its request counts shown
        unit_b.pk: [("12345.67", "98765.43"), ("1", "2")],  # B's own
    }
    assert shown[leader.username][unit_a.pk] == [("12345.67", "98765.43"), ("1", "2")]


def test_a_memo_published_without_its_lists_never_shows_todays(boards, leader, staff_a, unit_a):
    """A board published before memos were frozen with it (or a unit added since) has no frozen memo: the
    page says so instead of showing today's overdue requests under a published month."""
    from apps.rankings.models import PublishedMemo
    from apps.rankings.services import board_publish

    board_publish(month=date(2024, 3, 1), by=leader)
    PublishedMemo.objects.all().delete()  # as a publication of the previous release has none
    make_request(
        staff_a, handling_unit=unit_a, handler=staff_a, title="会后新增逾期", at=local(2024, 3, 21, 10)
    )
    html = (
        client_for(leader).get(reverse("rankings:memo", args=[unit_a.pk]) + "?month=2024-03").content.decode()
    )
    assert "published without its memos" in html
    assert "Overdue requests" not in html and "会后新增逾期" not in html
