"""A deactivated user is signed out everywhere at once: their session rows are deleted, however they were
deactivated (the user form, the admin's bulk action, a queryset update)."""

import pytest
from django.db import connection
from django.urls import reverse

from apps.accounts.models import User, UserSession

from ..conftest import client_for

pytestmark = pytest.mark.django_db


def _is_signed_out(client) -> bool:
    response = client.get(reverse("home"))
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_each_session_row_records_its_user(staff_a, staff_b):
    client_for(staff_a), client_for(staff_a), client_for(staff_b)
    assert UserSession.objects.filter(user=staff_a).count() == 2
    assert UserSession.objects.filter(user=staff_b).count() == 1


def test_without_deleting_anything_django_already_refuses_an_inactive_users_session(staff_a):
    client = client_for(staff_a)
    with connection.cursor() as cursor:  # behind the model's back: only the flag changes
        cursor.execute("UPDATE accounts_user SET is_active = false WHERE id = %s", [staff_a.pk])
    assert UserSession.objects.filter(user=staff_a).count() == 1
    assert _is_signed_out(client)


def test_saving_a_user_as_inactive_deletes_all_their_sessions(staff_a, colleague_a):
    first, second, other = client_for(staff_a), client_for(staff_a), client_for(colleague_a)
    assert first.get(reverse("home")).status_code == 200
    staff_a.is_active = False
    staff_a.save()
    assert UserSession.objects.filter(user=staff_a).count() == 0
    assert _is_signed_out(first) and _is_signed_out(second)
    assert UserSession.objects.filter(user=colleague_a).count() == 1
    assert other.get(reverse("home")).status_code == 200


def test_a_queryset_update_deactivating_users_deletes_their_sessions(staff_a, staff_b, colleague_a):
    a, b, c = client_for(staff_a), client_for(staff_b), client_for(colleague_a)
    assert User.objects.filter(pk__in=[staff_a.pk, staff_b.pk]).update(is_active=False) == 2
    assert UserSession.objects.filter(user__in=[staff_a, staff_b]).count() == 0
    assert _is_signed_out(a) and _is_signed_out(b)
    assert c.get(reverse("home")).status_code == 200


def test_other_updates_leave_sessions_alone(staff_a):
    client = client_for(staff_a)
    User.objects.filter(pk=staff_a.pk).update(display_name="新名字", is_active=True)
    assert UserSession.objects.filter(user=staff_a).count() == 1
    assert client.get(reverse("home")).status_code == 200


def test_bulk_update_of_the_active_flag_deletes_the_sessions_of_those_made_inactive(staff_a, staff_b):
    a, b = client_for(staff_a), client_for(staff_b)
    staff_a.is_active = False
    User.objects.bulk_update([staff_a, staff_b], ["is_active"])
    assert _is_signed_out(a)
    assert b.get(reverse("home")).status_code == 200


def test_the_admins_bulk_deactivate_action_signs_the_users_out(admin_user, staff_a, staff_b):
    a, b = client_for(staff_a), client_for(staff_b)
    admin = client_for(admin_user)
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [staff_a.pk, admin_user.pk]},
    )
    assert response.status_code == 302
    assert list(User.objects.filter(is_active=False)) == [staff_a]  # never the admin acting
    assert _is_signed_out(a)
    assert b.get(reverse("home")).status_code == 200
    assert admin.get(reverse("admin:index")).status_code == 200


def test_only_admins_can_deactivate_users(leader, staff_a):
    a = client_for(staff_a)
    response = client_for(leader).post(
        reverse("admin:accounts_user_changelist"), {"action": "deactivate", "_selected_action": [staff_a.pk]}
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    staff_a.refresh_from_db()
    assert staff_a.is_active
    assert a.get(reverse("home")).status_code == 200


def test_deleting_a_user_deletes_their_sessions(staff_a):
    client_for(staff_a)
    assert UserSession.objects.filter(user=staff_a).count() == 1
    staff_a.delete()
    assert UserSession.objects.count() == 0
