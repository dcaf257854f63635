"""Issue #20 item 2: messages reach the units' WeCom and DingTalk group robots in their documented formats,
DingTalk's signed; failures (HTTP 500, errcode ≠ 0, a refused connection) are retried with back-off and
recorded in the delivery log, which ends SENT after a retry or FAILED after the last attempt. The robots are
a real HTTP server on loopback (conftest.RobotServer), which checks every call."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.jobs import run_queued
from apps.messaging import channels
from apps.messaging.models import Delivery, Event, Robot
from apps.messaging.services import Notice, deliveries_create, notify

from .conftest import DINGTALK_SECRET, DINGTALK_TOKEN, WECOM_KEY

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=2)  # past any back-off of the queue


def wecom(unit) -> Robot:
    return Robot.objects.create(unit=unit, kind=Robot.Kind.WECOM, name="研创园服务群", key=WECOM_KEY)


def dingtalk(unit) -> Robot:
    return Robot.objects.create(
        unit=unit, kind=Robot.Kind.DINGTALK, name="研创园钉钉群", key=DINGTALK_TOKEN, secret=DINGTALK_SECRET
    )


def tell(user, title="新诉求：人才公寓申请", event=Event.ASSIGNED_TO_UNIT) -> list[Delivery]:
    """What the queue's notices job does with one notice (tests/messaging/test_hook.py goes the whole way)."""
    notice = Notice(
        user_id=user.pk, event=event, title=title, lines=("企业：江北科技",), path="/service/requests/7/"
    )
    return deliveries_create(notices=[notice])


def log(delivery: Delivery) -> tuple:
    d = Delivery.objects.get(pk=delivery.pk)
    return (d.status, d.attempts, d.last_error)


# --- the signature, from DingTalk's documentation -------------------------------------------------------


def test_dingtalk_sign_is_the_documented_value():
    """Worked out once by hand from DingTalk's documented steps (and checked with `openssl dgst -sha256
    -hmac`): timestamp 1577836800000, secret "this is secret" → HmacSHA256 over "1577836800000\\nthis is
    secret", Base64 "fFV9t5lBS7KH4+5B0JjR99ab+AJkXFauQXycgTkS/tc=", URL-encoded. The +, / and = must come
    out as %2B, %2F and %3D."""
    assert (
        channels.dingtalk_sign(secret="this is secret", timestamp_ms=1577836800000)
        == "fFV9t5lBS7KH4%2B5B0JjR99ab%2BAJkXFauQXycgTkS%2Ftc%3D"
    )


def test_dingtalk_url_carries_token_timestamp_and_sign(settings, unit_a):
    settings.ROBOT_DINGTALK_URL = "https://oapi.dingtalk.com/robot/send"
    robot = Robot(unit=unit_a, kind=Robot.Kind.DINGTALK, key="abc123", secret="this is secret")

    assert channels.robot_url(robot, timestamp_ms=1577836800000) == (
        "https://oapi.dingtalk.com/robot/send?access_token=abc123"
        "&timestamp=1577836800000&sign=fFV9t5lBS7KH4%2B5B0JjR99ab%2BAJkXFauQXycgTkS%2Ftc%3D"
    )


def test_the_test_servers_own_check_agrees_with_the_documented_value():
    from .conftest import documented_sign

    assert (
        documented_sign("1577836800000", "this is secret")
        == "fFV9t5lBS7KH4%2B5B0JjR99ab%2BAJkXFauQXycgTkS%2Ftc%3D"
    )


def test_wecom_url_behind_a_government_host(settings, unit_a):
    settings.ROBOT_WECOM_URL = "https://relay.zwwx.example/cgi-bin/webhook/send"
    robot = Robot(unit=unit_a, kind=Robot.Kind.WECOM, key="k-1")

    assert channels.robot_url(robot) == "https://relay.zwwx.example/cgi-bin/webhook/send?key=k-1"


# --- posting to the robots ---------------------------------------------------------------------------------


def test_both_robots_of_the_unit_receive_the_documented_markdown(robot_server, unit_a, manager_a):
    wecom(unit_a), dingtalk(unit_a)

    deliveries = tell(manager_a)

    assert robot_server.problems == []
    assert sorted((d.channel, d.status) for d in Delivery.objects.all()) == [
        ("dingtalk", "sent"),
        ("wecom", "sent"),
    ]
    assert len(deliveries) == 2 and Delivery.objects.filter(attempts=1, last_error="").count() == 2
    by_path = {c["path"]: c["payload"] for c in robot_server.calls}
    content = by_path["/cgi-bin/webhook/send"]["markdown"]["content"]
    assert content.startswith("### 新诉求：人才公寓申请\n\n> 企业：江北科技\n\n[")
    assert content.endswith("](https://workbench.jiangbei.example/service/requests/7/)")
    assert by_path["/robot/send"] == {
        "msgtype": "markdown",
        "markdown": {"title": "新诉求：人才公寓申请", "text": content},
    }


def test_a_group_hears_a_message_once_however_many_of_its_people_it_concerns(
    robot_server, unit_a, manager_a, staff_a
):
    wecom(unit_a)

    notify(
        notices=[
            Notice(
                user_id=u.pk,
                event=Event.ASSIGNED_TO_UNIT,
                title="新诉求：融资需求",
                path="/service/requests/8/",
            )
            for u in (manager_a, staff_a)
        ]
    )

    assert len(robot_server.calls) == 1 and Delivery.objects.count() == 1


def test_http_500_is_retried_after_the_back_off_and_the_log_ends_sent(robot_server, unit_a, manager_a):
    wecom(unit_a)
    robot_server.plan = [("http", 500)]

    [delivery] = tell(manager_a)

    assert log(delivery) == ("retrying", 1, "HTTP 500")
    assert run_queued() == 0  # the retry waits for its back-off (30 s)
    assert run_queued(now=timezone.now() + LATER) == 1
    assert log(delivery) == ("sent", 2, "HTTP 500")  # the error it got over stays in the log
    assert [c["status"] for c in robot_server.calls] == [500, 200]
    assert robot_server.problems == []


def test_errcode_other_than_zero_with_http_200_is_a_failure_and_is_retried(robot_server, unit_a, manager_a):
    dingtalk(unit_a)
    robot_server.plan = [("errcode", 130101)]

    [delivery] = tell(manager_a)

    assert log(delivery) == ("retrying", 1, "errcode 130101: api freq out of limit")
    run_queued(now=timezone.now() + LATER)
    assert log(delivery)[:2] == ("sent", 2)
    assert robot_server.problems == []  # both calls freshly signed


def test_a_delivery_is_given_up_as_failed_after_five_attempts(robot_server, unit_a, manager_a):
    wecom(unit_a)
    robot_server.plan = [
        ("errcode", 45009),
        ("http", 500),
        ("errcode", 45009),
        ("http", 502),
        ("errcode", 45009),
    ]

    [delivery] = tell(manager_a)
    for _ in range(6):
        run_queued(now=timezone.now() + LATER)

    d = Delivery.objects.get(pk=delivery.pk)
    assert (d.status, d.attempts, d.last_error, d.sent_at) == (
        "failed",
        5,
        "errcode 45009: api freq out of limit",
        None,
    )
    assert len(robot_server.calls) == 5  # and no sixth
    job = DBTaskResult.objects.get(task_path="apps.messaging.tasks.delivery_send")
    assert (job.status, len(job.worker_ids)) == ("FAILED", 5)  # in the failed jobs list for the admins


def test_an_unreachable_robot_host_is_retried(settings, unit_a, manager_a):
    settings.ROBOT_WECOM_URL = "http://127.0.0.1:9/cgi-bin/webhook/send"  # discard port: nothing listens
    settings.ROBOT_TIMEOUT = 2
    wecom(unit_a)

    [delivery] = tell(manager_a)

    status, attempts, error = log(delivery)
    assert (status, attempts) == ("retrying", 1) and error.startswith("URLError")


def test_http_404_is_not_retried(robot_server, unit_a, manager_a, settings):
    settings.ROBOT_WECOM_URL = f"http://127.0.0.1:{robot_server.port}/no/such/path"
    wecom(unit_a)

    [delivery] = tell(manager_a)
    run_queued(now=timezone.now() + LATER)

    assert log(delivery)[:2] == ("failed", 1)  # HTTP 404: a wrong address, not worth retrying
    assert len(robot_server.calls) == 1


def test_a_robot_past_twenty_messages_a_minute_waits_without_spending_an_attempt(
    robot_server, unit_a, manager_a, settings
):
    settings.ROBOT_PER_MINUTE = 2
    wecom(unit_a)

    first, second, third = (tell(manager_a, title=f"新诉求 {n}")[0] for n in range(3))

    assert [log(d)[:2] for d in (first, second, third)] == [("sent", 1), ("sent", 1), ("pending", 0)]
    assert len(robot_server.calls) == 2
    assert run_queued(now=timezone.now() + timedelta(seconds=30)) == 0  # a new job, a minute later
    Delivery.objects.filter(pk__in=[first.pk, second.pk]).update(
        last_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert run_queued(now=timezone.now() + timedelta(minutes=2)) == 1
    assert log(third)[:2] == ("sent", 1)


def test_markdown_in_a_title_is_shown_as_text_not_followed(robot_server, unit_a, manager_a):
    wecom(unit_a)

    tell(manager_a, title='<font color="warning">急</font> [点我](http://evil.example) # 标题\n> 引用')

    content = robot_server.calls[0]["payload"]["markdown"]["content"]
    first_line = content.split("\n")[0]
    assert first_line == (
        '### ＜font color="warning"＞急＜/font＞ \\[点我\\]\\(http://evil.example\\) \\# 标题 ＞ 引用'
    )


def test_email_goes_through_djangos_mail_and_is_logged(settings, unit_a, manager_a):
    settings.SITE_URL = "https://workbench.jiangbei.example"
    manager_a.email = "liuyang@jiangbei.example"
    manager_a.save(update_fields=["email"])

    [delivery] = tell(manager_a)

    assert log(delivery) == ("sent", 1, "")
    assert [(m.subject, m.to, m.body) for m in mail.outbox] == [
        (
            "新诉求：人才公寓申请",
            ["liuyang@jiangbei.example"],
            "新诉求：人才公寓申请\n\n企业：江北科技\n\nhttps://workbench.jiangbei.example/service/requests/7/",
        )
    ]


def test_an_inactive_user_or_a_switched_off_robot_gets_nothing(robot_server, unit_a, manager_a, staff_a):
    robot = wecom(unit_a)
    robot.is_active = False
    robot.save()
    staff_a.email, staff_a.is_active = "zw@jiangbei.example", False
    staff_a.save()

    assert tell(manager_a) == [] and tell(staff_a) == []
    assert robot_server.calls == [] and mail.outbox == []


def test_notify_only_queues_one_job_on_the_callers_write_path(
    settings, robot_server, unit_a, manager_a, staff_a
):
    settings.JOBS_EAGER = False  # as in production: a worker runs the jobs
    wecom(unit_a)
    notices = [
        Notice(user_id=u.pk, event=Event.ASSIGNED_TO_UNIT, title="新诉求：融资需求")
        for u in (manager_a, staff_a)
    ]

    with CaptureQueriesContext(connection) as captured:
        notify(notices=notices)

    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]  # the job's row
    assert Delivery.objects.count() == 0
    assert run_queued() == 2  # the notices job, then the one delivery it wrote for the group
    assert list(Delivery.objects.values_list("channel", "status")) == [("wecom", "sent")]
    assert robot_server.problems == []


def test_a_government_host_is_reached_through_the_configured_proxy(robot_server, settings, unit_a, manager_a):
    """政务微信 behind a proxy: the webhook's host is not reachable directly (.invalid never resolves); the
    proxy (here the loopback server, as a forward proxy) is asked for it."""
    settings.ROBOT_WECOM_URL = "http://zwwx.jiangbei.invalid/cgi-bin/webhook/send"
    settings.ROBOT_PROXY = f"http://127.0.0.1:{robot_server.port}"
    wecom(unit_a)

    [delivery] = tell(manager_a)

    assert log(delivery) == ("sent", 1, "")
    assert robot_server.proxied == ["zwwx.jiangbei.invalid"] and robot_server.problems == []
