"""Each user's own notification settings page (issue #20 item 2): defaults, saving, and nobody else's."""

import pytest
from django.urls import reverse

from apps.messaging.models import DEFAULTS, Event, Preference
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = reverse("messaging:preferences")


def saved(user):
    return Preference.objects.filter(user=user).values_list("choices", flat=True).first()


def test_the_defaults_are_email_for_everything_and_the_robot_for_what_the_group_acts_on():
    assert {e for e in Event.values if DEFAULTS[e]["email"]} == set(Event.values)
    assert {e for e in Event.values if DEFAULTS[e]["robot"]} == {
        "assigned_to_unit",
        "reminder",
        "reopened",
        "returned",
    }


def test_the_page_shows_the_defaults_to_a_user_who_never_saved(staff_a):
    response = client_for(staff_a).get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["closed__email"].value() is True and form["closed__robot"].value() is False
    assert form["assigned_to_unit__robot"].value() is True
    assert 'name="closed__email" id="id_closed__email" checked' in response.content.decode()


def test_saving_stores_every_box_and_the_page_shows_them_back(staff_a):
    client = client_for(staff_a)

    response = client.post(URL, {"closed__robot": "on", "reminder__email": "on"})

    assert response.status_code == 302 and response["Location"] == URL
    choices = saved(staff_a)
    assert choices["closed"] == {"email": False, "robot": True}
    assert choices["reminder"] == {"email": True, "robot": False}
    assert len(choices) == len(Event.values)
    form = client.get(URL).context["form"]
    assert (form["closed__email"].value(), form["closed__robot"].value()) == (False, True)


def test_another_user_cannot_change_my_settings(staff_a, staff_b):
    client_for(staff_a).post(URL, {"closed__email": "on"})
    mine = saved(staff_a)

    response = client_for(staff_b).post(
        URL, {"user": staff_a.pk, "user_id": staff_a.pk, "closed__robot": "on"}
    )

    assert response.status_code == 302
    assert saved(staff_a) == mine  # untouched
    assert saved(staff_b)["closed"] == {"email": False, "robot": True}  # the poster changed only their own


def test_anonymous_is_sent_to_sign_in_and_nothing_is_saved(client):
    response = client.post(URL, {"closed__robot": "on"})

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert Preference.objects.count() == 0


def test_the_user_menu_links_to_the_page(staff_a):
    page = client_for(staff_a).get(reverse("service:notifications")).content.decode()

    assert f'href="{URL}"' in page
