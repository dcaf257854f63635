"""The unread badge reads User.unread_notifications, which the services that send and read notifications keep
equal to the user's notifications without read_at: the life cycle's moves, the reminders, reading one
request's or all."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.accounts.models import User
from apps.service import services
from apps.service.models import Notification

from ..conftest import client_for
from .factories import A, act, local, make_request, walk_to

pytestmark = pytest.mark.django_db


def counter(user) -> int:
    return User.objects.get(pk=user.pk).unread_notifications


def unread(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def test_the_counter_follows_the_moves_that_notify(staff_a, colleague_a, manager_a, unit_a, unit_b, staff_b):
    req = make_request(staff_a, handling_unit=unit_a)  # dispatched to the unit: its managers are told
    assert counter(manager_a) == unread(manager_a) == 1
    act(req, A.ASSIGN, manager_a, local(2024, 3, 4, 11), handler=colleague_a)
    assert counter(colleague_a) == unread(colleague_a) == 1
    assert counter(manager_a) == 1  # not told of what they did themselves
    services.notifications_send([Notification(user=colleague_a, request=req, message="提醒"),
                                 Notification(user=colleague_a, request=req, message="再提醒")])  # fmt: skip
    assert counter(colleague_a) == unread(colleague_a) == 3
    assert services.notifications_read(user=colleague_a, request=req) == 3
    assert counter(colleague_a) == unread(colleague_a) == 0
    assert services.notifications_read(user=colleague_a) == 0  # nothing left: nothing moves
    assert counter(colleague_a) == 0


def test_reminders_count_on_the_badge(staff_a, colleague_a, manager_a, unit_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    req = make_request(staff_a, handling_unit=unit_a, handler=colleague_a, at=local(2024, 3, 4, 10))
    walk_to(req, "acknowledged", handler=colleague_a, manager=manager_a, at=local(2024, 3, 4, 11))
    before = counter(colleague_a)
    call_command("send_reminders", stdout=None)  # the deadline of 2024 has long passed: overdue
    assert counter(colleague_a) == unread(colleague_a) == before + 1


def test_reading_the_request_lowers_the_badge_on_that_very_page(staff_a, colleague_a, unit_a):
    req, other = (make_request(staff_a, handling_unit=unit_a, handler=colleague_a) for _ in range(2))
    assert counter(colleague_a) == unread(colleague_a) == 2
    response = client_for(colleague_a).get(reverse("service:request_detail", args=[req.pk]))
    assert response.status_code == 200
    assert response.context["unread_count"] == 1
    assert counter(colleague_a) == unread(colleague_a) == 1
    response = client_for(colleague_a).post(reverse("service:notifications_read"))
    assert response.status_code == 302
    assert counter(colleague_a) == unread(colleague_a) == 0
