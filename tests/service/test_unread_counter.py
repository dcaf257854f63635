"""The unread badge reads User.unread_notifications, which a trigger keeps equal to the user's notifications
without read_at — through the services, bulk inserts and updates, and deletions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.service.models import Notification

from ..conftest import client_for
from .factories import make_request

pytestmark = pytest.mark.django_db


def counter(user) -> int:
    return User.objects.get(pk=user.pk).unread_notifications


def unread(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def test_the_counter_follows_every_kind_of_write(staff_a, colleague_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a)
    Notification.objects.all().delete()  # the dispatch's own notifications: start from none
    assert counter(colleague_a) == counter(staff_a) == 0
    Notification.objects.bulk_create(
        [Notification(user=colleague_a, request=req, message=f"提醒 {i}") for i in range(3)]
    )
    assert counter(colleague_a) == unread(colleague_a) == 3
    first = Notification.objects.filter(user=colleague_a).order_by("pk").first()
    first.read_at = timezone.now()
    first.save()
    assert counter(colleague_a) == unread(colleague_a) == 2
    first.read_at = None  # marked unread again
    first.save()
    assert counter(colleague_a) == 3
    Notification.objects.filter(pk=first.pk).delete()
    assert counter(colleague_a) == unread(colleague_a) == 2
    Notification.objects.filter(user=colleague_a).update(user=staff_a)  # moved to someone else
    assert (counter(colleague_a), counter(staff_a)) == (0, unread(staff_a))


def test_reading_the_request_lowers_the_badge_on_that_very_page(staff_a, colleague_a, unit_a):
    req, other = make_request(staff_a, handling_unit=unit_a), make_request(staff_a, handling_unit=unit_a)
    Notification.objects.all().delete()
    Notification.objects.create(user=colleague_a, request=req, message="新诉求")
    Notification.objects.create(user=colleague_a, request=other, message="其他提醒")
    response = client_for(colleague_a).get(reverse("service:request_detail", args=[req.pk]))
    assert response.status_code == 200
    assert response.context["unread_count"] == 1
    assert counter(colleague_a) == unread(colleague_a) == 1
    response = client_for(colleague_a).post(reverse("service:notifications_read"))
    assert response.status_code == 302
    assert counter(colleague_a) == unread(colleague_a) == 0
