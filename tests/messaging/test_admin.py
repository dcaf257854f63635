"""The admin of the group robots keeps their credentials to itself; the delivery log is read-only."""

import pytest
from django.core import mail
from django.urls import reverse

from apps.messaging.models import Delivery, Event, Robot
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TOKEN = "d7c0ffee0123456789abcdef00112233445566778899aabbccddeeff00112233"
SECRET = "SEC5f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"


def robot_post(unit, **extra):
    return {
        "unit": unit.pk,
        "kind": "dingtalk",
        "name": "研创园钉钉群",
        "key": "",
        "secret": "",
        "is_active": "on",
        **extra,
    }


def test_the_admin_takes_the_credentials_and_never_shows_them_back(admin_user, unit_a):
    client = client_for(admin_user)
    add = reverse("admin:messaging_robot_add")

    response = client.post(
        add,
        robot_post(unit_a, key=f"https://oapi.dingtalk.com/robot/send?access_token={TOKEN}", secret=SECRET),
    )

    assert response.status_code == 302
    robot = Robot.objects.get()
    assert (robot.key, robot.secret) == (TOKEN, SECRET)  # the token taken out of the pasted address
    change = reverse("admin:messaging_robot_change", args=[robot.pk])
    for page in (client.get(change), client.get(reverse("admin:messaging_robot_changelist"))):
        html = page.content.decode()
        assert page.status_code == 200 and TOKEN not in html and SECRET not in html


def test_saving_with_the_credential_fields_empty_keeps_them(admin_user, unit_a):
    robot = Robot.objects.create(unit=unit_a, kind="dingtalk", name="旧名", key=TOKEN, secret=SECRET)

    response = client_for(admin_user).post(
        reverse("admin:messaging_robot_change", args=[robot.pk]), robot_post(unit_a, name="研创园钉钉群")
    )

    assert response.status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.key, robot.secret) == ("研创园钉钉群", TOKEN, SECRET)


def test_a_robot_needs_its_key(admin_user, unit_a):
    response = client_for(admin_user).post(reverse("admin:messaging_robot_add"), robot_post(unit_a))

    assert response.status_code == 200 and Robot.objects.count() == 0


def test_the_delivery_log_is_listed_with_filters_and_cannot_be_edited(admin_user, staff_a):
    delivery = Delivery.objects.create(
        event=Event.CLOSED,
        channel="email",
        user=staff_a,
        address="zw@jiangbei.example",
        subject="诉求已办结",
        body="…",
    )
    client = client_for(admin_user)

    listing = client.get(reverse("admin:messaging_delivery_changelist") + "?status__exact=pending")
    assert listing.status_code == 200 and "诉求已办结" in listing.content.decode()
    assert client.get(reverse("admin:messaging_delivery_add")).status_code == 403
    before = Delivery.objects.values().get(pk=delivery.pk)
    response = client.post(
        reverse("admin:messaging_delivery_change", args=[delivery.pk]), {"status": "sent", "subject": "改"}
    )
    assert response.status_code == 403 and Delivery.objects.values().get(pk=delivery.pk) == before


def test_staff_cannot_open_the_robots_admin(staff_a):
    response = client_for(staff_a).get(reverse("admin:messaging_robot_changelist"))

    assert response.status_code == 302  # to the admin's login: not staff


def test_the_admin_sends_a_failed_delivery_again(admin_user, staff_a):
    failed = Delivery.objects.create(
        event=Event.CLOSED,
        channel="email",
        user=staff_a,
        address="zw@jiangbei.example",
        subject="诉求已办结",
        body="…",
        status=Delivery.Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected",
    )
    sent = Delivery.objects.create(
        event=Event.CLOSED,
        channel="email",
        address="x@jiangbei.example",
        subject="旧",
        body="…",
        status="sent",
    )

    response = client_for(admin_user).post(
        reverse("admin:messaging_delivery_changelist"),
        {"action": "resend", "_selected_action": [failed.pk, sent.pk]},
    )

    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 1)  # a new round; the job ran at once in tests
    assert Delivery.objects.get(pk=sent.pk).attempts == 0  # a sent one is not sent twice
    assert [m.to for m in mail.outbox] == [["zw@jiangbei.example"]]


def test_a_wecom_robot_takes_no_secret_and_an_overlong_key_is_an_error_not_a_crash(admin_user, unit_a):
    client = client_for(admin_user)
    add = reverse("admin:messaging_robot_add")

    with_secret = client.post(add, robot_post(unit_a, kind="wecom", key="k-1", secret="SECx"))
    overlong = client.post(
        add, robot_post(unit_a, key="https://oapi.dingtalk.com/robot/send?access_token=" + "a" * 201)
    )

    assert (with_secret.status_code, overlong.status_code) == (200, 200)  # the form again, with its errors
    assert with_secret.context["adminform"].form.errors.keys() == {"secret"}
    assert overlong.context["adminform"].form.errors.keys() == {"key"}
    assert Robot.objects.count() == 0
