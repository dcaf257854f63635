"""The request's life cycle tells people through their channels too (issue #20 item 2, issue #18 item 3):
the services that create in-app notifications (apps/service/services/notifications.py) hand the same news to
apps.messaging, which writes a delivery per chosen channel and sends it."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.jobs import run_queued
from apps.messaging.models import Delivery, Robot
from apps.messaging.services import preference_save
from apps.service.models import Notification
from apps.service.services.notifications import reminders_notify
from tests.service.factories import A, act, local, make_request, walk_to

from .conftest import WECOM_KEY

pytestmark = pytest.mark.django_db


def with_email(user, address):
    user.email = address
    user.save(update_fields=["email"])
    return user


def deliveries() -> list[tuple]:
    return list(Delivery.objects.order_by("pk").values_list("event", "channel", "user__username", "status"))


def test_the_logger_is_emailed_when_another_closes_the_request(
    settings, staff_a, colleague_a, manager_a, unit_a
):
    settings.SITE_URL = "https://workbench.jiangbei.example"
    with_email(staff_a, "zhangwei@jiangbei.example")
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, title="人才公寓申请")

    walk_to(req, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))

    assert deliveries() == [("closed", "email", "staff_a", "sent")]
    [message] = mail.outbox
    assert message.to == ["zhangwei@jiangbei.example"]
    assert "人才公寓申请" in message.subject
    assert message.body.endswith(f"https://workbench.jiangbei.example/service/requests/{req.pk}/")
    assert "李娜" in message.body  # who closed it


@pytest.mark.parametrize(
    ("action", "event"),
    [(A.RETURN, "returned"), (A.WITHDRAW, "withdrawn")],
)
def test_the_logger_is_emailed_when_the_request_is_returned_or_withdrawn(
    staff_a, staff_b, unit_b, leader, action, event
):
    with_email(staff_a, "zhangwei@jiangbei.example")
    req = make_request(staff_a, handling_unit=unit_b, title="融资需求")

    act(
        req, action, staff_b if action == A.RETURN else leader, local(2024, 3, 4, 11), note="不属于本单位职责"
    )

    assert deliveries() == [(event, "email", "staff_a", "sent")]
    assert "不属于本单位职责" in mail.outbox[0].body


def test_a_dispatch_to_the_unit_posts_once_to_its_group_robot(robot_server, staff_b, unit_a, manager_a):
    Robot.objects.create(unit=unit_a, kind=Robot.Kind.WECOM, name="研创园服务群", key=WECOM_KEY)

    req = make_request(staff_b, handling_unit=unit_a, title="招聘用工")

    assert deliveries() == [("assigned_to_unit", "wecom", None, "sent")]
    assert robot_server.problems == []
    content = robot_server.calls[0]["payload"]["markdown"]["content"]
    assert "招聘用工" in content and f"/service/requests/{req.pk}/" in content


def test_an_event_the_user_turned_off_creates_no_delivery_for_that_channel(
    robot_server, staff_a, colleague_a, manager_a, unit_a
):
    with_email(staff_a, "zhangwei@jiangbei.example")
    Robot.objects.create(unit=unit_a, kind=Robot.Kind.WECOM, name="研创园服务群", key=WECOM_KEY)
    preference_save(user=staff_a, choices={"closed": {"email": False, "robot": True}})
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a)
    Delivery.objects.all().delete()
    told_before = Notification.objects.filter(user=staff_a).count()

    walk_to(req, "closed", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))

    assert deliveries() == [("closed", "wecom", None, "sent")]  # the robot, which they turned on; no e-mail
    assert mail.outbox == []
    assert Notification.objects.filter(user=staff_a).count() == told_before + 1  # in-app stays on


def test_the_handler_hears_the_extension_decision(staff_a, colleague_a, manager_a, unit_a):
    with_email(colleague_a, "lina@jiangbei.example")
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, at=local(2024, 3, 4, 10))
    walk_to(req, "in_progress", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))
    act(req, A.EXTEND_ASK, colleague_a, local(2024, 3, 5, 9), days=3)
    Delivery.objects.all().delete()
    told_before = Notification.objects.filter(user=colleague_a, request=req).count()

    act(req, A.EXTEND_APPROVE, manager_a, local(2024, 3, 5, 10))

    assert deliveries() == [("extension_decided", "email", "colleague_a", "sent")]
    assert Notification.objects.filter(user=colleague_a, request=req).count() == told_before + 1  # in-app too


def test_a_transition_that_tells_nobody_reads_nothing_for_messaging(staff_a, colleague_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, at=local(2024, 3, 4, 10))

    with CaptureQueriesContext(connection) as captured:
        act(req, A.ACKNOWLEDGE, colleague_a, local(2024, 3, 4, 11))

    assert not [q for q in captured.captured_queries if "messaging_" in q["sql"]]


def test_a_close_stays_within_ten_statements_with_email_and_robots_configured(
    settings, robot_server, staff_a, colleague_a, unit_a
):
    """quality.md: one transition ≤ 10 statements. The news goes out in one queued job, whatever the
    channels; the worker writes the deliveries and sends them."""
    settings.JOBS_EAGER = False
    with_email(staff_a, "zhangwei@jiangbei.example")
    Robot.objects.create(unit=unit_a, kind=Robot.Kind.WECOM, name="研创园服务群", key=WECOM_KEY)
    preference_save(user=staff_a, choices={"closed": {"email": True, "robot": True}})
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, at=local(2024, 3, 4, 10))
    for action in (A.ACKNOWLEDGE, A.CONTACT):
        req = act(req, action, colleague_a, local(2024, 3, 4, 11))
    run_queued()
    Delivery.objects.all().delete()

    with CaptureQueriesContext(connection) as captured:
        act(req, A.CLOSE, colleague_a, local(2024, 3, 5, 9))

    assert len([q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]) <= 10
    assert run_queued() == 3  # the notices job, then the e-mail and the robot's post
    assert sorted(Delivery.objects.values_list("channel", "status")) == [("email", "sent"), ("wecom", "sent")]


def test_the_morning_reminder_reaches_the_handler_by_email_and_the_units_robot(
    settings, robot_server, colleague_a, manager_a, unit_a, staff_a
):
    settings.SITE_URL = "https://workbench.jiangbei.example"
    with_email(colleague_a, "lina@jiangbei.example")
    Robot.objects.create(unit=unit_a, kind=Robot.Kind.WECOM, name="研创园服务群", key=WECOM_KEY)
    overdue = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, title="人才公寓申请")
    due_today = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, title="融资需求")
    run_queued()
    Delivery.objects.all().delete()
    robot_server.calls.clear()
    mail.outbox.clear()

    reminders_notify(
        handlers={colleague_a: {"overdue": [overdue], "due_today": [due_today]}},
        managers={manager_a: [overdue]},
    )

    assert sorted(Delivery.objects.values_list("event", "channel", "user__username")) == [
        ("reminder", "email", "colleague_a"),
        ("reminder", "wecom", None),  # the handler's list
        ("reminder", "wecom", None),  # the unit's overdue list, for its manager
    ]
    [message] = mail.outbox
    assert "人才公寓申请" in message.body and "融资需求" in message.body
    assert message.body.endswith("https://workbench.jiangbei.example/service/todo/")
    assert len(robot_server.calls) == 2 and robot_server.problems == []


def test_a_long_reminder_is_cut_to_twenty_lines(staff_a, colleague_a, unit_a):
    with_email(colleague_a, "lina@jiangbei.example")
    requests = [
        make_request(staff_a, handling_unit=unit_a, handler=colleague_a, title=f"诉求{n}") for n in range(23)
    ]
    mail.outbox.clear()

    reminders_notify(handlers={colleague_a: {"overdue": requests}}, managers={})

    body = mail.outbox[0].body
    assert "诉求19" in body and "诉求20" not in body and "3" in body.split("\n\n")[-2]


def test_the_handler_assigned_is_emailed_with_the_deadline(staff_a, colleague_a, manager_a, unit_a):
    with_email(colleague_a, "lina@jiangbei.example")
    req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10), title="人才公寓申请")

    act(req, A.ASSIGN, manager_a, local(2024, 3, 4, 11), handler=colleague_a)

    assert deliveries() == [("assigned_to_me", "email", "colleague_a", "sent")]
    lines = mail.outbox[0].body.split("\n\n")
    assert "人才公寓申请" in lines[0]
    assert "李娜" in lines[1] and "刘洋" in lines[2]  # the handler, then who assigned it
    assert "2024-03-18 18:00" in lines[3]  # 人才安居: 10 working days from Mon 4 March, at the end of the day
