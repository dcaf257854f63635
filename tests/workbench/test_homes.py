"""The home page per role (issue #18): a staff member's own work, a unit manager's desk and rank, a leader's
cockpit — exact figures from a small world, only the viewer's own unit's items, links that open, and a
constant number of queries whatever the data behind it.

The world is seen at NOW, Wednesday 20 March 2024 10:00 (Asia/Shanghai), through the home functions; the page
itself is read at the real time (its counts then differ, its shape and links do not).
"""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.rankings.models import Publication
from apps.service.models import VisitAssignment
from apps.workbench import homes

from ..conftest import client_for
from ..factories import EnterpriseFactory, UnitFactory, UserFactory
from ..investment.factories import create as lead_create
from ..projects.factories import planned, report
from ..rankings.factories import IndicatorFactory, fixed, only_indicators
from ..service.factories import A, VisitFactory, act, local, make_request, walk_to

pytestmark = pytest.mark.django_db

NOW = local(2024, 3, 20, 10)


def _row(unit, score, rank, move="new", delta=None):
    return {"unit_id": unit.pk, "unit": unit.short_name, "score": score, "rank": rank, "cells": {},
            "all_met": False, "insufficient": False, "move": move, "delta": delta, "why": []}  # fmt: skip


def _publish(month, groups, leader):
    for group in groups:
        group.update(indicators=[], red=[], black=[])
    board = {"month": f"{month:%Y-%m}", "indicators": [], "groups": groups, "compared_with": None}
    return Publication.objects.create(
        month=month,
        board=board,
        published_by=leader,
        published_at=datetime(2024, 4, 1, tzinfo=ZoneInfo("UTC")),
    )


@pytest.fixture
def world(staff_a, colleague_a, manager_a, staff_b, leader, unit_a, unit_b, office, monkeypatch):
    """Unit A (a park): requests in every state of the desk, one key enterprise; unit B: one overdue request
    of a key enterprise, a visit, an assignment; two published boards (January, February); the live board of
    March ranks B before A; a red-light project (a new start 3 months late), a green one; an open lead."""
    key = EnterpriseFactory(unit=unit_a, is_key=True, name="江北重点企业")
    plain = EnterpriseFactory(unit=unit_a, name="江北普通企业")

    def to(handler, at=local(2024, 3, 4, 10), enterprise=plain, title="人才公寓申请"):
        return make_request(
            staff_a, enterprise=enterprise, handling_unit=unit_a, handler=handler, at=at, title=title
        )

    r = {
        "over": walk_to(to(staff_a, enterprise=key, title="超期件"), "acknowledged", handler=staff_a,
                        manager=manager_a, at=local(2024, 3, 4, 11)),
        "today": to(staff_a, at=local(2024, 3, 6, 10), title="今日到期件"),
        "fresh": to(staff_a, at=local(2024, 3, 19, 10), title="新派件"),
        "paused": walk_to(to(staff_a), "paused", handler=staff_a, manager=manager_a, at=local(2024, 3, 5, 9)),
        "closed": walk_to(to(staff_a), "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 5, 9)),
        "colleague": to(colleague_a, title="同事超期件"),
        "unassigned": to(None, title="未分配超期件"),
        "new": make_request(staff_a, enterprise=plain, at=local(2024, 3, 4, 10), title="待派单件"),
        "ext": walk_to(to(colleague_a, at=local(2024, 3, 18, 10)), "in_progress", handler=colleague_a,
                       manager=manager_a, at=local(2024, 3, 18, 11)),
    }  # fmt: skip
    r["ext"] = act(r["ext"], A.EXTEND_ASK, colleague_a, local(2024, 3, 19, 10), days=3)
    # the assumption the counts rest on: "today" falls due on NOW's day, later than NOW
    assert timezone.localdate(r["today"].close_due) == NOW.date() and r["today"].close_due > NOW
    key_b = EnterpriseFactory(unit=unit_b, is_key=True)
    r["b"] = make_request(
        staff_b, enterprise=key_b, handling_unit=unit_b, handler=staff_b, title="乙单位诉求"
    )
    for on in (date(2024, 2, 20), date(2024, 3, 10)):  # logged in this order
        VisitFactory(created_by=staff_a, visited_on=on, enterprise=key).staff.add(staff_a)
    VisitFactory(created_by=staff_b, visited_on=date(2024, 3, 11)).staff.add(staff_b)
    VisitAssignment.objects.create(
        enterprise=key, unit=unit_a, assignee=staff_a, due_on=date(2024, 3, 31), assigned_by=manager_a
    )
    VisitAssignment.objects.create(
        enterprise=key_b, unit=unit_b, assignee=staff_b, due_on=date(2024, 3, 31), assigned_by=manager_a
    )
    _publish(date(2024, 1, 1), [
        {"group": "parks", "label": "园区", "rows": [_row(unit_b, "90.0", 1), _row(unit_a, "80.0", 2)]},
    ], leader)  # fmt: skip
    _publish(date(2024, 2, 1), [
        {"group": "parks", "label": "园区",
         "rows": [_row(unit_a, "91.0", 1, "up", 1), _row(unit_b, "85.0", 2, "down", -1)]},
        {"group": "bureaus", "label": "局办", "rows": [_row(office, "70.0", 1)]},
    ], leader)  # fmt: skip
    code = fixed(monkeypatch, "home_live", {unit_a: "70", unit_b: "95"})
    IndicatorFactory(code="home-live", computation=code, peer_groups=["parks"])
    only_indicators("home-live")
    planned(unit_a, "1000", new_start=True, planned_start=date(2023, 12, 1), name="迟迟未开工项目")
    report(planned(unit_b, "1000", name="进展顺利项目"), "2024-01", "200")
    lead_create(staff_a, at=local(2024, 3, 4, 10), expected_wan=Decimal("50000"))
    return r


def test_a_staff_member_sees_their_items_requests_visits_and_assignments(world, staff_a):
    home = homes.staff_home(staff_a, now=NOW)
    assert home["mine"] == {"open": 4, "overdue": 1, "due_today": 1, "to_acknowledge": 2}
    assert home["logged_since"] == date(2024, 2, 19)
    assert {s["status"]: s["n"] for s in home["logged"]} == {
        "new": 1, "dispatched": 4, "acknowledged": 1, "in_progress": 1, "paused": 1, "closed": 1,
    }  # fmt: skip
    assert home["logged_total"] == 9
    assert len(home["logged_last"]) == homes.SHOWN
    assert home["visits_month"] == 1
    assert [v["on"] for v in home["visits_last"]] == [date(2024, 3, 10), date(2024, 2, 20)]
    assert home["assigned"] == 1
    assert [a["enterprise"] for a in home["assigned_first"]] == ["江北重点企业"]
    assert (
        home["mine_links"]["overdue"]
        == f"{reverse('service:request_list')}?handler={staff_a.pk}&overdue=true"
    )


def test_a_staff_member_sees_only_their_own_units_items(world, staff_b):
    home = homes.staff_home(staff_b, now=NOW)
    assert home["mine"] == {"open": 1, "overdue": 1, "due_today": 0, "to_acknowledge": 1}
    assert home["logged_total"] == 1 and home["logged_last"][0]["title"] == "乙单位诉求"
    assert home["visits_month"] == 1 and home["assigned"] == 1
    content = client_for(staff_b).get(reverse("home")).content.decode()
    for title in ("超期件", "今日到期件", "同事超期件", "待派单件", "江北重点企业"):
        assert title not in content


def test_a_unit_manager_sees_the_desk_overdue_by_handler_and_the_units_rank(world, manager_a, unit_a):
    home = homes.manager_home(manager_a, now=NOW, live=True)
    assert {q["key"]: q["n"] for q in home["queue"]} == {
        "to_dispatch": 1, "to_assign": 1, "extensions": 1, "to_confirm": 1,
    }  # fmt: skip
    assert home["open"] == 7
    assert home["overdue"] == 3
    assert [(h["name"], h["n"]) for h in home["overdue_by_handler"]] == [("张伟", 1), ("李娜", 1)]
    assert home["overdue_unassigned"] == 1
    assert home["mine"] == {"open": 0, "overdue": 0, "due_today": 0, "to_acknowledge": 0}
    # published months only, newest first: second in January, first in February (up one)
    assert [(r["month"], r["rank"], r["ranked"], r["move"], r["delta"]) for r in home["ranks"]] == [
        (date(2024, 2, 1), 1, 2, "up", 1),
        (date(2024, 1, 1), 2, 2, "new", None),
    ]
    assert home["published_last"]["rank"] == 1
    assert home["live"] == {"rank": 2, "score": "70.0", "ranked": 2, "insufficient": False}
    to_confirm = next(q for q in home["queue"] if q["key"] == "to_confirm")
    assert to_confirm["url"] == f"{reverse('service:request_list')}?handling_unit={unit_a.pk}&status=closed"


def test_a_leader_sees_the_district_month_by_month_the_board_red_projects_and_the_pipeline(world, leader):
    home = homes.leader_home(leader, now=NOW)
    march, february = home["trend"][0], home["trend"][1]
    assert [t["month"] for t in home["trend"]] == [
        date(2024, 3, 1), date(2024, 2, 1), date(2024, 1, 1), date(2023, 12, 1), date(2023, 11, 1),
        date(2023, 10, 1),
    ]  # fmt: skip
    assert (march["requests"], march["closed"], march["closure_rate"]) == (10, 1, Decimal("10.0"))
    assert (february["requests"], february["closed"], february["closure_rate"]) == (0, 0, None)
    assert home["trend"][2]["invested_wan"] == Decimal("200") and home["trend"][2]["invested_share"] == 10
    assert (home["year_requests"], home["year_closed"], home["year_closure_rate"]) == (10, 1, Decimal("10.0"))
    assert home["overdue"] == 4  # A: mine, my colleague's, the unassigned; B: one
    assert [r["title"] for r in home["key_overdue_first"]] == ["超期件", "乙单位诉求"]
    assert (home["projects"], home["red"]) == (2, 1)
    assert (home["completion_rate"], home["ahead_pp"]) == (Decimal("10.0"), Decimal("-6.7"))
    assert home["pipeline"] == 1 and {b["key"]: b["n"] for b in home["bands"]} == {
        "big": 0,
        "mid": 0,
        "small": 1,
    }
    board = home["board"]
    assert board["month"] == date(2024, 2, 1)
    ends = {
        g["group"]: ([u["unit"] for u in g["first"]], [u["unit"] for u in g["last"]]) for g in board["groups"]
    }
    assert ends == {"parks": (["研创园"], ["医药谷"]), "bureaus": (["党政办"], [])}
    assert march["closed_url"] == (
        f"{reverse('service:request_list')}?concerns=enterprise&date_from=2024-03-01&date_to=2024-03-20"
        "&closed_by=2024-03-20"
    )
    assert home["red_url"].endswith("&light=red")


@pytest.mark.parametrize(
    ("who", "shown"),
    [
        ("staff_a", "我的工作"),
        ("manager_a", "待审批的延期申请"),
        ("leader", "红灯项目"),
    ],
)
def test_each_role_gets_its_own_home(world, users, who, shown):
    response = client_for(users[who]).get(reverse("home"))
    assert response.status_code == 200
    assert shown in response.content.decode()


def test_a_managers_live_rank_comes_after_the_page(world, manager_a, staff_a):
    page = client_for(manager_a).get(reverse("home")).content.decode()
    assert 'hx-get="/?part=live-rank"' in page
    part = client_for(manager_a).get(reverse("home") + "?part=live-rank")
    assert part.context["home"]["live"]["rank"] == 2
    assert "<html" not in part.content.decode() and "/2</small>" in part.content.decode()
    # anyone else gets their own home
    assert client_for(staff_a).get(reverse("home") + "?part=live-rank").context["role"] == "staff"


def _links(content: str) -> list[str]:
    main = content.split("<main", 1)[-1]
    return sorted({unescape(h) for h in re.findall(r'href="(/[^"#]*)"', main)} - {reverse("home")})


@pytest.mark.parametrize("who", ["staff_a", "manager_a", "leader"])
def test_every_link_on_a_home_opens_for_its_viewer(world, users, who):
    client = client_for(users[who])
    links = _links(client.get(reverse("home")).content.decode())
    assert len(links) >= 8
    failed = {link: client.get(link).status_code for link in links}
    assert {link: status for link, status in failed.items() if status != 200} == {}


def _queries(user) -> int:
    client = client_for(user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def _more(world, staff_a, staff_b, colleague_a, manager_a, leader):
    """Ten times the requests, visits and units, and more published months."""
    unit_a = staff_a.unit
    for n in range(30):
        handler = (staff_a, colleague_a, None)[n % 3]
        make_request(
            staff_a, handling_unit=unit_a, handler=handler, at=timezone.now() - timedelta(days=n % 5)
        )
        make_request(staff_b, handling_unit=staff_b.unit, handler=staff_b)
        VisitFactory(created_by=staff_a, visited_on=timezone.localdate() - timedelta(days=n)).staff.add(
            staff_a
        )
    for n in range(10):
        unit = UnitFactory()
        UserFactory(unit=unit, role="staff")
        EnterpriseFactory(unit=unit, is_key=True)
    for month in (date(2023, 11, 1), date(2023, 12, 1)):
        _publish(month, [{"group": "parks", "label": "园区", "rows": [_row(unit_a, "60.0", 1)]}], leader)


def test_each_home_asks_a_constant_number_of_queries(world, staff_a, staff_b, colleague_a, manager_a, leader):
    before = {u.username: _queries(u) for u in (staff_a, manager_a, leader)}
    _more(world, staff_a, staff_b, colleague_a, manager_a, leader)
    after = {u.username: _queries(u) for u in (staff_a, manager_a, leader)}
    assert after == before
    assert max(after.values()) <= 10, after


def test_the_cockpit_turns_the_month_at_midnight_with_its_day_figures_composed_once_a_day(world, leader):
    """The figures that depend on the day alone are composed once a day and reused (apps.core.batch.reused):
    the last minute of March and the first of April each read their own months, and the same day asked
    again reads what it read."""
    march_end, april_first = local(2024, 3, 31, 23, 59), local(2024, 4, 1, 0, 1)
    before = homes.leader_home(leader, now=march_end)
    after = homes.leader_home(leader, now=april_first)
    again = homes.leader_home(leader, now=march_end)

    assert [t["month"] for t in before["trend"]][:2] == [date(2024, 3, 1), date(2024, 2, 1)]
    assert [t["month"] for t in after["trend"]][:2] == [date(2024, 4, 1), date(2024, 3, 1)]
    assert before["trend"][0]["requests"] == after["trend"][1]["requests"] == 10
    assert after["trend"][0]["requests"] == 0
    assert before["year_requests"] == after["year_requests"] == 10
    assert before["trend"][0]["so_far"] and after["trend"][0]["so_far"] and not after["trend"][1]["so_far"]
    assert again == before
