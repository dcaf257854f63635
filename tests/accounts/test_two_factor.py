"""Two-factor sign-in (TOTP): required users set up an authenticator app after their password, users with
a device enter its code before any other page, the admin included; everyone else signs in as before."""

import re
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import two_factor
from apps.accounts.models import UserSession

from ..conftest import client_for
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor")


@pytest.fixture(autouse=True)
def _no_wait_between_codes(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the growing wait after a wrong code has its own test


def _require(user):
    Group.objects.get(name=two_factor.REQUIRED_GROUP).user_set.add(user)


def _device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def _code(device) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _wrong_code(device) -> str:
    return f"{(int(_code(device)) + 1) % 1_000_000:06d}"


def _password_sign_in(user, next_url="") -> Client:
    client = Client()
    response = client.post(
        reverse("login") + (f"?next={quote(next_url)}" if next_url else ""),
        {"username": user.username, "password": "pw-for-tests", "next": next_url},
    )
    assert response.status_code == 302
    return client


def _sent_to(response, page, next_url="/"):
    return response.status_code == 302 and response["Location"] == f"{page}?next={quote(next_url)}"


def test_the_group_that_marks_required_users_exists_after_migrating():
    assert Group.objects.filter(name=two_factor.REQUIRED_GROUP).count() == 1


# --- users for whom nothing changes -------------------------------------------------------------------


def test_a_user_who_is_not_required_and_has_no_device_signs_in_as_before(staff_a):
    client = _password_sign_in(staff_a)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("enterprises:list")).status_code == 200


@pytest.mark.parametrize("page", [SETUP, VERIFY])
def test_the_two_factor_pages_send_such_a_user_on(staff_a, page):
    response = client_for(staff_a).get(page)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert TOTPDevice.objects.count() == 0


# --- setting up a device ------------------------------------------------------------------------------


def test_a_required_user_without_a_device_is_sent_to_set_one_up(leader):
    _require(leader)
    client = _password_sign_in(leader)
    assert _sent_to(client.get(reverse("home")), SETUP)
    assert _sent_to(client.get(reverse("dashboard")), SETUP, reverse("dashboard"))
    assert _sent_to(client.get(VERIFY), SETUP)


def test_the_setup_page_shows_an_inline_qr_code_and_the_secret(leader):
    _require(leader)
    client = client_for(leader)
    response = client.get(SETUP + "?next=/")
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=leader)
    assert device.confirmed is False
    assert re.search(r"<svg [^>]*viewBox=", html)
    assert "http" not in re.search(r"<svg.*?</svg>", html, re.S).group(0).replace("http://www.w3.org", "")
    secret = response.context["secret"].replace(" ", "")
    assert len(secret) == 32 and secret in device.config_url
    # Reloading keeps the same secret until it is confirmed.
    assert client.get(SETUP).context["secret"] == response.context["secret"]
    assert TOTPDevice.objects.filter(user=leader).count() == 1


def test_a_wrong_code_does_not_confirm_the_device(leader):
    _require(leader)
    client = client_for(leader)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=leader)
    response = client.post(SETUP, {"token": _wrong_code(device), "next": "/"})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["token"]] == ["invalid"]
    device.refresh_from_db()
    assert device.confirmed is False
    assert _sent_to(client.get(reverse("home")), SETUP)


def test_the_right_code_confirms_the_device_and_opens_the_workbench(leader):
    _require(leader)
    client = _password_sign_in(leader, next_url=reverse("dashboard"))
    assert _sent_to(client.get(reverse("dashboard")), SETUP, reverse("dashboard"))
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=leader)
    response = client.post(SETUP, {"token": _code(device), "next": reverse("dashboard")})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("home")).status_code == 200


# --- signing in with a device -------------------------------------------------------------------------


def test_a_user_with_a_device_must_enter_a_code_before_any_page(leader):
    _device(leader)
    client = _password_sign_in(leader)
    assert _sent_to(client.get(reverse("home")), VERIFY)
    assert _sent_to(client.get(SETUP), VERIFY)
    assert _sent_to(client.get(reverse("figures_api")), VERIFY, reverse("figures_api"))


def test_a_wrong_code_is_refused(leader):
    device = _device(leader)
    client = _password_sign_in(leader)
    response = client.post(VERIFY, {"token": _wrong_code(device), "next": "/"})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["token"]] == ["invalid"]
    assert _sent_to(client.get(reverse("home")), VERIFY)


def test_the_right_code_is_accepted_once(leader):
    device = _device(leader)
    client = _password_sign_in(leader)
    code = _code(device)
    response = client.post(VERIFY, {"token": code, "next": reverse("dashboard")})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get(reverse("home")).status_code == 200
    # The same code cannot open a second session.
    other = _password_sign_in(leader)
    assert other.post(VERIFY, {"token": code, "next": "/"}).status_code == 200
    assert _sent_to(other.get(reverse("home")), VERIFY)


def test_after_a_wrong_code_the_next_try_must_wait(leader, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = _device(leader)
    client = _password_sign_in(leader)
    client.post(VERIFY, {"token": _wrong_code(device), "next": "/"})
    response = client.post(VERIFY, {"token": _code(device), "next": "/"})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["token"]] == ["throttled"]
    assert _sent_to(client.get(reverse("home")), VERIFY)


def test_the_code_step_never_redirects_to_another_site(leader):
    device = _device(leader)
    client = _password_sign_in(leader)
    response = client.post(VERIFY, {"token": _code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_a_signed_in_user_owing_a_code_can_still_sign_out_and_the_health_check_answers(leader):
    _device(leader)
    client = _password_sign_in(leader)
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_admin_site_requires_the_code_too(admin_user):
    device = _device(admin_user)
    client = Client()
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "admin", "password": "pw-for-tests", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert _sent_to(client.get(reverse("admin:index")), VERIFY, reverse("admin:index"))
    assert _sent_to(client.get(reverse("admin:accounts_user_changelist")), VERIFY, "/admin/accounts/user/")
    client.post(VERIFY, {"token": _code(device), "next": "/admin/"})
    assert client.get(reverse("admin:index")).status_code == 200


# --- the admin's side ---------------------------------------------------------------------------------


def _action(client, action, users):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": action, "_selected_action": [u.pk for u in users]},
    )


def _required_usernames():
    return sorted(
        Group.objects.get(name=two_factor.REQUIRED_GROUP).user_set.values_list("username", flat=True)
    )


def test_an_admin_requires_two_factor_sign_in_of_leaders_and_themselves(admin_user, leader, staff_a):
    admin = client_for(admin_user)
    response = _action(admin, "require_two_factor", [admin_user, leader])
    assert response.status_code == 302
    assert _required_usernames() == ["admin", "leader"]
    assert _sent_to(_password_sign_in(leader).get(reverse("home")), SETUP)
    assert _sent_to(_password_sign_in(admin_user).get(reverse("admin:index")), SETUP, "/admin/")
    assert _password_sign_in(staff_a).get(reverse("home")).status_code == 200

    # It applies from the next sign-in: the admin's current session goes on.
    _action(admin, "stop_requiring_two_factor", [leader])
    assert _required_usernames() == ["admin"]


def test_the_user_list_shows_who_must_use_it_and_who_has_set_it_up(admin_user, leader, staff_a):
    _require(leader)
    _device(staff_a)
    response = client_for(admin_user).get(reverse("admin:accounts_user_changelist"))
    rows = {u.username: u for u in response.context["cl"].result_list}
    assert (rows["leader"]._two_factor_required, rows["leader"]._two_factor_device) == (True, False)
    assert (rows["staff_a"]._two_factor_required, rows["staff_a"]._two_factor_device) == (False, True)
    assert (rows["admin"]._two_factor_required, rows["admin"]._two_factor_device) == (False, False)


@pytest.mark.parametrize("role", ["leader", "manager_a", "staff_a"])
def test_no_one_but_an_admin_can_require_it(users, role):
    response = _action(client_for(users[role]), "require_two_factor", [users["leader"], users["staff_a"]])
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert _required_usernames() == []


def test_a_staff_account_without_the_right_to_change_users_cannot_require_it(office, leader):
    clerk = UserFactory(username="clerk", unit=office, is_staff=True)
    response = _action(client_for(clerk), "require_two_factor", [leader])
    assert response.status_code == 403
    assert _required_usernames() == []


def test_resetting_a_lost_device_removes_it_and_ends_the_users_sessions(admin_user, leader):
    _require(leader)
    device = _device(leader)
    client = _password_sign_in(leader)
    client.post(VERIFY, {"token": _code(device), "next": "/"})
    assert client.get(reverse("home")).status_code == 200

    _action(client_for(admin_user), "reset_two_factor_device", [leader])
    assert TOTPDevice.objects.filter(user=leader).count() == 0
    assert UserSession.objects.filter(user=leader).count() == 0
    assert client.get(reverse("home")).status_code == 302
    assert _sent_to(_password_sign_in(leader).get(reverse("home")), SETUP)
