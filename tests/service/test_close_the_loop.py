"""Issue #18 items 3–5: the person who logged a request is told how it ends and can follow it ("Requests I
logged"); overdue rows say by how many working days, and the same-day acknowledgement drill-down marks the
requests that missed it; nothing is chosen for the user on the unit to-do list, and the staff member who
acknowledges an unassigned request becomes its handler.

Dataset: the official calendar seeded by the data migration. In 2024 the Spring Festival is 10–17 Feb off,
with Sunday 4 Feb and Sunday 18 Feb worked; a request received on Monday 29 Jan 2024 in 人才安居 (10 working
days to close) is due on Friday 9 Feb at 18:00.
"""

import re
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from apps.accounts.models import User
from apps.rankings.computations import COMPUTATIONS
from apps.service.models import Notification, Request, RequestEvent
from apps.service.views.common import _workdays_after, request_table
from apps.workdays.calendar import get_calendar

from ..conftest import client_for
from .factories import A, acknowledge, act, close, contact, local, make_request, walk_to

pytestmark = pytest.mark.django_db

LOGGED = reverse("service:logged_requests")
LIST = reverse("service:request_list")
UNIT_TODO = reverse("service:unit_todo")


def act_url(req) -> str:
    return reverse("service:request_act", args=[req.pk])


def told(user) -> list[str]:
    """The notifications `user` has, oldest first."""
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("message", flat=True))


def state(req) -> dict:
    return {
        "row": Request.objects.filter(pk=req.pk).values().get(),
        "events": RequestEvent.objects.filter(request=req).count(),
        "notifications": Notification.objects.count(),
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- 3. the person who logged a request is told how it ends ----------------------------------------------


def test_the_logger_is_told_when_another_closes_the_request(staff_a, colleague_a, manager_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, title="人才公寓申请")
    badge = User.objects.get(pk=staff_a.pk).unread_notifications

    walk_to(req, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))

    assert told(staff_a) == ["Close: 人才公寓申请"]
    assert User.objects.get(pk=staff_a.pk).unread_notifications == badge + 1
    assert told(colleague_a) == ["Dispatch: 人才公寓申请"]  # the handler's own, as before: none for closing


def test_the_logger_is_told_when_the_unit_returns_the_request(staff_a, colleague_a, unit_b, staff_b):
    req = make_request(staff_a, handling_unit=unit_b, title="融资需求")

    act(req, A.RETURN, staff_b, local(2024, 3, 4, 11))

    assert told(staff_a) == ["Return: 融资需求"]


def test_the_logger_and_the_handler_are_told_when_feedback_reopens_it(
    staff_a, colleague_a, manager_a, unit_a
):
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, title="人才公寓申请")
    req = walk_to(req, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))

    act(req, A.REOPEN, manager_a, local(2024, 3, 5, 9))

    assert told(staff_a) == ["Close: 人才公寓申请", "Reopen: 人才公寓申请"]
    assert told(colleague_a)[-1] == "Reopen: 人才公寓申请"


def test_the_logger_is_told_when_a_colleague_withdraws_it(staff_a, colleague_a, unit_b):
    req = make_request(staff_a, handling_unit=unit_b, title="融资需求")

    act(req, A.WITHDRAW, colleague_a, local(2024, 3, 4, 11))

    assert told(staff_a) == ["Withdraw: 融资需求"]


def test_the_logger_is_not_told_of_their_own_moves(staff_a, unit_a, unit_b):
    handled_by_self = make_request(staff_a, handling_unit=unit_a, handler=staff_a)
    walk_to(handled_by_self, "closed", handler=staff_a, manager=None, at=local(2024, 3, 4, 11))
    withdrawn_by_self = make_request(staff_a, handling_unit=unit_b)
    act(withdrawn_by_self, A.WITHDRAW, staff_a, local(2024, 3, 4, 11))

    assert told(staff_a) == []
    assert User.objects.get(pk=staff_a.pk).unread_notifications == 0


def test_the_logger_is_not_told_of_the_steps_in_between(staff_a, colleague_a, manager_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a)
    req = acknowledge(req, colleague_a, local(2024, 3, 4, 11))
    req = contact(req, colleague_a, local(2024, 3, 4, 12))
    act(req, A.PAUSE, colleague_a, local(2024, 3, 4, 13))

    assert told(staff_a) == []


# --- 3. "Requests I logged" ------------------------------------------------------------------------------


def test_requests_i_logged_lists_mine_with_where_they_stand(staff_a, colleague_a, manager_a, unit_a, unit_b):
    waiting = make_request(staff_a, title="待分派诉求", at=local(2024, 3, 4, 9))
    handled = make_request(staff_a, handling_unit=unit_b, title="医药谷办理中", at=local(2024, 3, 4, 10))
    done = make_request(
        staff_a, handling_unit=unit_a, handler=colleague_a, title="已办结", at=local(2024, 3, 4, 11)
    )
    walk_to(done, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 12))
    make_request(colleague_a, handling_unit=unit_a, title="同事登记的")  # same unit, not mine

    response = client_for(staff_a).get(LOGGED)

    assert response.status_code == 200
    rows = response.context["object_list"]
    assert [(r.title, r.status, r.unit, r.deadline) for r in rows] == [
        ("已办结", "closed", "研创园", "2024-03-18"),
        ("医药谷办理中", "dispatched", "医药谷", "2024-03-18"),
        ("待分派诉求", "new", None, ""),
    ]
    html = response.content.decode()
    assert "Requests I logged" in html and "Close by" in html
    assert f'href="{reverse("service:request_detail", args=[waiting.pk])}"' in html
    assert handled.pk in {r.pk for r in rows}


def test_requests_i_logged_shows_50_a_page(staff_a, unit_a):
    mine = [
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 9) + timedelta(minutes=i))
        for i in range(53)
    ]
    client = client_for(staff_a)

    first, second = client.get(LOGGED), client.get(f"{LOGGED}?page=2")

    assert len(first.context["object_list"]) == 50 and len(second.context["object_list"]) == 3
    assert {r.pk for r in first.context["object_list"]} | {r.pk for r in second.context["object_list"]} == {
        r.pk for r in mine
    }


def test_requests_i_logged_never_lists_another_users(staff_a, staff_b, leader, unit_a):
    make_request(staff_a, handling_unit=unit_a)

    for user in (staff_b, leader):
        response = client_for(user).get(LOGGED)
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []


def test_requests_i_logged_omits_what_the_user_may_no_longer_open(staff_a, unit_a, unit_b):
    """Moved to another unit, the user no longer sees the requests their old unit logged and handles."""
    make_request(staff_a, handling_unit=unit_a)
    User.objects.filter(pk=staff_a.pk).update(unit=unit_b)

    response = client_for(User.objects.get(pk=staff_a.pk)).get(LOGGED)

    assert list(response.context["object_list"]) == []


def test_the_tabs_link_to_requests_i_logged(staff_a):
    html = client_for(staff_a).get(reverse("service:todo")).content.decode()

    assert f'href="{LOGGED}"' in html


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [LOGGED, f"{LOGGED}?status=dispatched&overdue=on&q=人才"])
def test_requests_i_logged_makes_the_same_queries_for_3_and_30_rows(staff_a, unit_a, unit_b, url):
    def add(n):
        for i in range(n):
            make_request(staff_a, handling_unit=(unit_a, unit_b)[i % 2], at=local(2024, 3, 4, 9))

    client = client_for(staff_a)
    add(3)
    client.get(url)
    few = count_queries(client, url)
    add(27)
    many = count_queries(client, url)

    assert few == many <= 6  # quality.md: lists ≤ 6


# --- 4. overdue by how many working days; the same-day drill-down ------------------------------------------


@pytest.fixture
def due_before_spring_festival(staff_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 1, 29, 10))
    assert req.close_due == local(2024, 2, 9, 18)
    return req


@pytest.mark.parametrize(
    ("now", "badge"),
    [
        pytest.param(local(2024, 2, 9, 12), ("due_today", "due today"), id="before-the-deadline"),
        pytest.param(local(2024, 2, 9, 18, 30), ("overdue", "overdue"), id="same-evening"),
        pytest.param(local(2024, 2, 17, 12), ("overdue", "overdue"), id="over-the-holiday"),
        pytest.param(local(2024, 2, 18, 9), ("overdue", "overdue by 1 working day"), id="make-up-sunday"),
        pytest.param(local(2024, 2, 21, 9), ("overdue", "overdue by 4 working days"), id="wednesday-after"),
    ],
)
def test_an_overdue_row_says_by_how_many_working_days(due_before_spring_festival, now, badge):
    (row,) = request_table(Request.objects.filter(pk=due_before_spring_festival.pk), now=now)

    assert row.deadline == "2024-02-09"
    assert row.due == badge


def test_a_due_today_row_keeps_its_badge_and_a_closed_row_shows_its_deadline_only(staff_a, manager_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 4, 10))
    (row,) = request_table(Request.objects.filter(pk=req.pk), now=local(2024, 3, 18, 9))
    assert (row.deadline, row.due) == ("2024-03-18", ("due_today", "due today"))

    walk_to(req, "closed", handler=staff_a, manager=manager_a, at=local(2024, 3, 4, 11))
    (row,) = request_table(Request.objects.filter(pk=req.pk), now=local(2024, 4, 18, 9))
    assert (row.deadline, row.due) == ("2024-03-18", None)


def test_a_paused_rows_deadline_says_its_clock_is_stopped(staff_a, manager_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 4, 10))
    walk_to(req, "paused", handler=staff_a, manager=manager_a, at=local(2024, 3, 4, 11))

    (row,) = request_table(Request.objects.filter(pk=req.pk), now=local(2024, 4, 18, 9))

    assert (row.deadline, row.due) == ("clock stopped (paused)", None)


def test_working_days_after_a_deadline_agree_with_the_calendar():
    calendar, today = get_calendar(), date(2024, 5, 13)
    days = {date(2023, 12, 29), date(2024, 2, 8), date(2024, 2, 9), date(2024, 4, 3), today}

    counted = _workdays_after(days, today, calendar)

    assert counted == {
        d: calendar.workdays_between(d + timedelta(days=1), today + timedelta(days=1)) for d in days
    }
    assert _workdays_after({date(2024, 2, 9)}, date(2024, 2, 21), calendar) == {date(2024, 2, 9): 4}


def test_the_request_list_shows_the_deadline_and_working_days_overdue(staff_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 4, 10))
    today = timezone.localdate()
    late = get_calendar().workdays_between(date(2024, 3, 19), today + timedelta(days=1))

    html = client_for(staff_a).get(LIST).content.decode()

    row = _row(html, req)
    assert "2024-03-18" in row
    assert f"overdue by {late} working days" in row


def test_the_request_list_reads_the_calendar_once_not_per_row(staff_a, unit_a):
    """Thirty overdue rows due on thirty different days cost the queries of three."""

    def add(n, start):
        for i in range(n):
            make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 9) + timedelta(days=start + i))

    client = client_for(staff_a)
    add(3, 0)
    client.get(LIST)
    few = count_queries(client, LIST)
    add(27, 3)
    many = count_queries(client, LIST)

    assert few == many


def _row(html: str, req) -> str:
    """The table row of `req` in a page's HTML."""
    link = f'href="{reverse("service:request_detail", args=[req.pk])}"'
    (row,) = [chunk for chunk in html.split("<tr>") if link in chunk]
    return row.split("</tr>")[0]


def test_the_same_day_drill_down_marks_the_requests_that_missed_it(staff_a, colleague_a, manager_a, unit_a):
    """March 2024, unit A: acknowledged the same day, the next day, and never (its deadline passed)."""
    in_time = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10), title="当日签收")
    acknowledge(in_time, colleague_a, local(2024, 3, 4, 11))
    next_day = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 5, 10), title="次日签收")
    acknowledge(next_day, colleague_a, local(2024, 3, 6, 9))
    never = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 6, 10), title="未签收")
    computation = COMPUTATIONS["service_same_day_ack"]
    start, end = date(2024, 3, 1), date(2024, 3, 31)

    drill = client_for(manager_a).get(computation.url(unit_a.pk, start, end))
    numerator = client_for(manager_a).get(computation.numerator_url(unit_a.pk, start, end))
    plain = client_for(manager_a).get(LIST)

    html = drill.content.decode()
    assert drill.context["mark_ack_missed"] is True
    assert {r.pk for r in drill.context["object_list"]} == {in_time.pk, next_day.pk, never.pk}
    assert [("ack-missed" in _row(html, r)) for r in (in_time, next_day, never)] == [False, True, True]
    assert "not acknowledged the same day" in _row(html, never)
    assert [r.pk for r in numerator.context["object_list"]] == [in_time.pk]
    for response in (numerator, plain):
        assert "ack-missed" not in response.content.decode()


# --- 5. nothing chosen for the user; who acknowledges handles ---------------------------------------------


def _select(html: str, name: str, req) -> str:
    """The <select name=`name`> of the form that acts on `req`."""
    form = html.split(f'action="{act_url(req)}"')[1].split("</form>")[0]
    return re.search(rf'<select name="{name}"[^>]*>.*?</select>', form, re.S).group(0)


def test_the_unit_to_do_preselects_no_handler_on_an_unassigned_request(
    manager_a, staff_a, colleague_a, unit_a
):
    unassigned = make_request(staff_a, handling_unit=unit_a)
    assigned = make_request(staff_a, handling_unit=unit_a, handler=colleague_a)

    html = client_for(manager_a).get(UNIT_TODO).content.decode()

    empty = _select(html, "handler", unassigned)
    assert " required" in empty.split(">")[0]
    assert re.findall(r"<option[^>]*selected[^>]*>[^<]*", empty) == ['<option value="" selected>—']
    current = _select(html, "handler", assigned)
    assert re.findall(r"<option[^>]*selected[^>]*>[^<]*", current) == [
        f'<option value="{colleague_a.pk}" selected>{colleague_a}'
    ]


def test_each_rows_handler_choice_is_its_own_though_the_options_are_drawn_once_a_page(
    manager_a, staff_a, colleague_a, unit_a, unit_b
):
    staff_a.display_name = "<b>张&伟</b>"
    staff_a.save(update_fields=["display_name"])
    left = User.objects.create(username="left_a", display_name="离开的人", unit=unit_a)
    rows = {
        "nobody": make_request(staff_a, handling_unit=unit_a),
        "colleague": make_request(staff_a, handling_unit=unit_a, handler=colleague_a),
        "staff": make_request(staff_a, handling_unit=unit_a, handler=staff_a),
        "left": make_request(staff_a, handling_unit=unit_a, handler=left),
    }
    left.unit = unit_b  # moved to another unit after taking the request
    left.save(update_fields=["unit"])

    html = client_for(manager_a).get(UNIT_TODO).content.decode()

    people = User.objects.filter(unit=unit_a, is_active=True)  # in the model's order
    offered = [("", "—")] + [(str(u.pk), escape(str(u))) for u in people]
    chosen = {"nobody": "", "colleague": str(colleague_a.pk), "staff": str(staff_a.pk), "left": None}
    for name, req in rows.items():
        select = _select(html, "handler", req)
        options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
        assert [(value, label) for value, _selected, label in options] == offered, name
        assert [value for value, selected, _label in options if selected] == (
            [] if chosen[name] is None else [chosen[name]]
        ), name


def test_the_unit_to_do_preselects_no_satisfaction_for_the_feedback(manager_a, staff_a, colleague_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a)
    walk_to(req, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))

    html = client_for(manager_a).get(UNIT_TODO).content.decode()

    select = _select(html, "satisfaction", req)
    assert " required" in select.split(">")[0]
    assert select.split("</option>")[0].endswith('<option value="" selected>—')
    assert select.count("selected") == 1


def test_an_empty_handler_pick_is_refused_with_a_clear_message_and_nothing_changes(
    manager_a, staff_a, unit_a
):
    req = make_request(staff_a, handling_unit=unit_a)
    before = state(req)

    response = client_for(manager_a).post(
        act_url(req),
        {"action": A.ASSIGN, "handler": "", "expected_status": req.status, "expected_version": req.version,
         "next": UNIT_TODO},
    )  # fmt: skip

    assert response.status_code == 302 and response.url == UNIT_TODO
    assert messages_of(response) == ["Choose a handler of the handling unit."]
    assert state(req) == before


def test_an_empty_satisfaction_pick_is_refused_with_a_clear_message_and_nothing_changes(
    manager_a, staff_a, colleague_a, unit_a
):
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a)
    req = walk_to(req, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))
    before = state(req)

    response = client_for(manager_a).post(
        act_url(req),
        {"action": "feedback", "satisfaction": "", "expected_status": req.status,
         "expected_version": req.version, "next": UNIT_TODO},
    )  # fmt: skip

    assert response.status_code == 302
    assert messages_of(response) == ["Record the enterprise's satisfaction."]
    assert state(req) == before


def test_the_staff_member_who_acknowledges_an_unassigned_request_becomes_its_handler(
    staff_a, colleague_a, unit_a
):
    req = make_request(staff_a, handling_unit=unit_a)

    response = client_for(colleague_a).post(
        act_url(req),
        {"action": A.ACKNOWLEDGE, "expected_status": req.status, "expected_version": req.version},
    )

    assert response.status_code == 302
    req.refresh_from_db()
    assert (req.status, req.handler) == ("acknowledged", colleague_a)
    assert req.events.get(action=A.ACKNOWLEDGE).data == {"handler": colleague_a.pk}


def test_acknowledging_an_assigned_request_keeps_its_handler(staff_a, colleague_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a)

    req = acknowledge(req, colleague_a, local(2024, 3, 4, 11))

    assert (req.status, req.handler) == ("acknowledged", staff_a)
    assert Request.objects.get(pk=req.pk).handler == staff_a
    assert req.events.get(action=A.ACKNOWLEDGE).data == {}


def test_another_units_acknowledgement_is_404_and_makes_no_handler(staff_a, staff_b, unit_a):
    req = make_request(staff_a, handling_unit=unit_a)
    before = state(req)

    response = client_for(staff_b).post(
        act_url(req),
        {"action": A.ACKNOWLEDGE, "expected_status": req.status, "expected_version": req.version},
    )

    assert response.status_code == 404
    assert state(req) == before


def test_a_staff_member_of_the_logging_unit_cannot_acknowledge_for_the_handling_unit(
    staff_a, colleague_a, unit_b
):
    """colleague_a may open the request (their unit logged it) but not acknowledge it for unit B."""
    req = make_request(staff_a, handling_unit=unit_b)
    before = state(req)

    response = client_for(colleague_a).post(
        act_url(req),
        {"action": A.ACKNOWLEDGE, "expected_status": req.status, "expected_version": req.version},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["You may not do that on this request."]
    assert state(req) == before


def test_closing_notifies_the_logger_in_at_most_ten_statements(settings, staff_a, colleague_a, unit_a):
    """quality.md: one transition ≤ 10 statements, the logger's notification and badge included (and the
    job that takes the news to e-mail and group robots, queued for the worker as in a web request)."""
    settings.JOBS_EAGER = False
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, at=local(2024, 3, 4, 10))
    req = contact(acknowledge(req, colleague_a, local(2024, 3, 4, 11)), colleague_a, local(2024, 3, 4, 12))
    get_calendar()

    with CaptureQueriesContext(connection) as captured:
        close(req, colleague_a, local(2024, 3, 5, 9))

    sent = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sent) <= 10
    assert told(staff_a)[-1].startswith("Close: ")
