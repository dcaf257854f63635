"""Sessions end after 30 minutes without a request and 12 hours after signing in, whatever the activity."""

from unittest import mock

import pytest
from django.urls import reverse

from .conftest import client_for

pytestmark = pytest.mark.django_db


def _get_at(client, seconds):
    with mock.patch("time.time", return_value=seconds):
        return client.get(reverse("home"))


def test_a_request_within_the_idle_limit_keeps_the_user_signed_in(staff_a):
    client = client_for(staff_a)
    assert _get_at(client, 1_000_000).status_code == 200
    assert _get_at(client, 1_000_000 + 29 * 60).status_code == 200


def test_thirty_minutes_without_a_request_signs_the_user_out(staff_a):
    client = client_for(staff_a)
    assert _get_at(client, 1_000_000).status_code == 200
    response = _get_at(client, 1_000_000 + 30 * 60 + 1)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_twelve_hours_after_signing_in_the_user_is_signed_out_even_when_active(staff_a):
    client = client_for(staff_a)
    start = 1_000_000
    for minutes in range(0, 12 * 60, 20):  # a request every 20 minutes for 12 hours
        assert _get_at(client, start + minutes * 60).status_code == 200
    response = _get_at(client, start + 12 * 3600 + 1)
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_session_key_is_rotated_at_sign_in(staff_a):
    from django.test import Client

    client = Client()
    client.get(reverse("login"))
    client.cookies["sessionid"] = "attacker-chosen-key-0123456789ab"  # session fixation attempt
    response = client.post(reverse("login"), {"username": "staff_a", "password": "pw-for-tests"})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value not in ("", "attacker-chosen-key-0123456789ab")
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("case", ["valid", "expired", "unknown", "none"])
def test_a_session_is_loaded_as_djangos_database_sessions_load_it(staff_a, case):
    """The session engine reads a session's data with a statement written once (apps/accounts/sessions.py),
    not through the ORM on every request: the same data for a live key; for an expired, unknown or absent
    key no data, and no key kept (the next save starts a new session)."""
    from datetime import timedelta

    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.utils import timezone

    from apps.accounts.models import UserSession
    from apps.accounts.sessions import SessionStore

    stored = SessionStore()
    stored["signed_in_at"], stored["_auth_user_id"] = 1_000_000, str(staff_a.pk)
    stored.create()
    if case == "expired":
        past = timezone.now() - timedelta(seconds=1)
        UserSession.objects.filter(pk=stored.session_key).update(expire_date=past)
    key = {"unknown": "x" * 32, "none": None}.get(case, stored.session_key)

    ours, djangos = SessionStore(key), DjangoStore(key)
    djangos.get_model_class = SessionStore.get_model_class  # Django's own loading, on the same table

    assert ours.load() == djangos.load()
    assert ours.session_key == djangos.session_key
    if case == "valid":
        assert ours.load() == {"signed_in_at": 1_000_000, "_auth_user_id": str(staff_a.pk)}
        assert ours.session_key == stored.session_key
    else:
        assert ours.load() == {} and ours.session_key is None
