"""django-axes: five failed sign-ins for one username from one address lock that pair out for 15 minutes,
with the same answer whether the username exists or not, and every attempt on record."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from apps.accounts.models import UserSession

pytestmark = pytest.mark.django_db

ADDRESS = "198.51.100.7"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _sign_in(client, username, password="wrong-password", address=ADDRESS, **extra):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def _page(response, username):
    """The page without what differs by itself between two answers: the CSRF token, the username typed."""
    return CSRF.sub(b"", response.content).replace(username.encode(), b"<username>")


def _lock(username, address=ADDRESS):
    client = Client()
    statuses = [_sign_in(client, username, address=address).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    return client


def test_the_fifth_failure_locks_out_and_even_the_right_password_is_then_refused(staff_a):
    client = Client()
    for _ in range(4):
        response = _sign_in(client, "staff_a")
        assert response.status_code == 200
        assert response.context["form"].errors["__all__"]  # the usual "wrong username or password"
    locked = _sign_in(client, "staff_a")
    assert locked.status_code == 429
    assert "registration/lockout.html" in [t.name for t in locked.templates]
    assert locked.context["minutes"] == 15

    response = _sign_in(client, "staff_a", password="pw-for-tests")
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    assert not UserSession.objects.filter(user=staff_a).exists()


def test_an_unknown_username_gets_exactly_the_answers_a_known_one_gets(staff_a):
    known, unknown = Client(), Client()
    for _ in range(6):
        a, b = _sign_in(known, "staff_a"), _sign_in(unknown, "nobody")
        assert a.status_code == b.status_code
        assert _page(a, "staff_a") == _page(b, "nobody")
    assert a.status_code == 429
    assert AccessAttempt.objects.get(username="nobody", ip_address=ADDRESS).failures_since_start >= 5


def test_an_inactive_user_with_the_right_password_gets_the_answer_a_wrong_password_gets(staff_a, colleague_a):
    colleague_a.is_active = False
    colleague_a.save()
    inactive = _sign_in(Client(), "colleague_a", password="pw-for-tests")
    wrong = _sign_in(Client(), "staff_a")
    assert inactive.status_code == wrong.status_code == 200
    assert _page(inactive, "colleague_a") == _page(wrong, "staff_a")


def test_the_lock_holds_only_that_username_from_that_address(staff_a, colleague_a):
    _lock("staff_a")
    assert _sign_in(Client(), "colleague_a", password="pw-for-tests").status_code == 302
    assert _sign_in(Client(), "staff_a", password="pw-for-tests", address="203.0.113.20").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_lock_when_no_proxy_is_configured(staff_a):
    _lock("staff_a")
    response = _sign_in(Client(), "staff_a", password="pw-for-tests", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_the_lock_lifts_after_fifteen_minutes(staff_a):
    _lock("staff_a")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=14)
    )
    assert _sign_in(Client(), "staff_a", password="pw-for-tests").status_code == 429  # and restarts the pause

    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=15, seconds=1)
    )
    client = Client()
    assert _sign_in(client, "staff_a", password="pw-for-tests").status_code == 302
    assert client.session[SESSION_KEY] == str(staff_a.pk)


def test_every_attempt_is_on_record_without_the_password(staff_a):
    _lock("staff_a")
    attempt = AccessAttempt.objects.get(username="staff_a", ip_address=ADDRESS)
    assert attempt.failures_since_start == 5
    assert "wrong-password" not in attempt.post_data
    failures = AccessFailureLog.objects.filter(username="staff_a", ip_address=ADDRESS)
    assert failures.count() == 5
    assert failures.filter(locked_out=True).count() == 1

    assert _sign_in(Client(), "staff_a", password="pw-for-tests", address="203.0.113.20").status_code == 302
    assert AccessLog.objects.filter(username="staff_a", ip_address="203.0.113.20").count() == 1


def test_a_success_before_the_limit_starts_the_count_again(staff_a):
    client = Client()
    for _ in range(4):
        _sign_in(client, "staff_a")
    assert _sign_in(client, "staff_a", password="pw-for-tests").status_code == 302
    assert [_sign_in(Client(), "staff_a").status_code for _ in range(4)] == [200] * 4


def test_the_lockout_page_says_how_long_the_pause_lasts(staff_a):
    _lock("staff_a")
    english = Client()
    english.cookies["django_language"] = "en"
    response = _sign_in(english, "staff_a")
    assert response.status_code == 429
    assert "is paused for 15 minutes." in " ".join(response.content.decode().split())


def _client_address(proxy_count: str | None) -> str:
    """The address axes records for a request from 10.0.0.2 carrying 'X-Forwarded-For: 6.6.6.6, 203.0.113.9',
    with the real settings module read under the given DJANGO_PROXY_COUNT."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jianbei.settings"}
    env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/none"  # settings only: nothing connects
    env.pop("DJANGO_PROXY_COUNT", None)
    if proxy_count is not None:
        env["DJANGO_PROXY_COUNT"] = proxy_count
    script = (
        "import django; django.setup()\n"
        "from axes.helpers import get_client_ip_address\n"
        "from django.test import RequestFactory\n"
        "request = RequestFactory().post('/accounts/login/', REMOTE_ADDR='10.0.0.2',"
        " HTTP_X_FORWARDED_FOR='6.6.6.6, 203.0.113.9')\n"
        "print(get_client_ip_address(request))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_client_address_comes_from_x_forwarded_for_only_behind_configured_proxies():
    assert _client_address(None) == "10.0.0.2"
    assert _client_address("1") == "203.0.113.9"  # the entry our one proxy appended, not the forged one
    assert _client_address("2") == "6.6.6.6"
