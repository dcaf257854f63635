"""Bad input on the new forms of issue #19 (quality.md's list): the 督办 form, its answer and the call-back
record never fail with a 5xx and never write on invalid input; a deleted or unknown id is a 404."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.accounts import roles
from apps.service.models import CallbackItem, CallbackSample, Request, Supervision
from tests.conftest import client_for
from tests.factories import UserFactory

from .factories import acknowledge, contact, local, make_request

BAD_DATES = [
    "2024-02-30",
    "0001-01-01",
    "9999-99-99",
    "2024-13-01",
    "",
    "  ",
    "２０３０-01-01",
    "2030-01-01\x00",
]
BAD_TEXTS = ["", "   ", "\x00", "批" * 5001]  # over the instruction's 2,000 and the answer's 5,000


@pytest.fixture
def overdue(unit_a, staff_a):
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 4, 9))
    return contact(acknowledge(req, staff_a, local(2024, 3, 4, 10)), staff_a, local(2024, 3, 4, 11))


@pytest.mark.django_db
@pytest.mark.parametrize("due_on", BAD_DATES)
def test_a_bad_supervision_deadline_writes_nothing(overdue, leader, due_on):
    response = client_for(leader).post(
        reverse("service:supervision_create", args=[overdue.pk]), {"instruction": "请办理", "due_on": due_on}
    )
    assert response.status_code == 302
    assert not Supervision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("text", BAD_TEXTS)
def test_a_bad_instruction_or_answer_writes_nothing(overdue, leader, staff_a, text):
    url = reverse("service:supervision_create", args=[overdue.pk])
    assert client_for(leader).post(url, {"instruction": text, "due_on": "2099-01-01"}).status_code == 302
    assert not Supervision.objects.exists()
    supervision = Supervision.objects.create(
        request=overdue, instruction="请办理", due_on=date(2099, 1, 1), created_by=leader
    )
    answer = reverse("service:supervision_answer", args=[supervision.pk])
    assert client_for(staff_a).post(answer, {"answer": text}).status_code == 302
    supervision.refresh_from_db()
    assert (supervision.answer, supervision.answered_at) == ("", None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("result", "note"),
    [
        ("", ""),
        ("happy", ""),
        ("disputed", ""),
        ("disputed", "\x00"),
        ("confirmed", "说" * 2001),
        ("\x00", "x"),
    ],
)
def test_a_bad_call_record_writes_nothing(overdue, office, unit_a, result, note):
    checker = UserFactory(unit=office, role=roles.STAFF)
    checker.groups.add(Group.objects.get(name=roles.CALLBACK_CHECKER))
    item = CallbackItem.objects.create(
        sample=CallbackSample.objects.create(month=date(2024, 3, 1), seed=1), request=overdue, unit=unit_a
    )
    response = client_for(checker).post(
        reverse("service:callback_record", args=[item.pk]), {"result": result, "note": note}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.result, item.note, Request.objects.get(pk=overdue.pk).status) == ("", "", "in_progress")


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [999999, 2**63 - 1])
def test_an_unknown_id_is_404(leader, admin_user, pk):
    assert client_for(leader).post(reverse("service:supervision_create", args=[pk]), {}).status_code == 404
    assert (
        client_for(admin_user).post(reverse("service:supervision_answer", args=[pk]), {}).status_code == 404
    )
    assert client_for(admin_user).post(reverse("service:callback_record", args=[pk]), {}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("month", ["2024-13", "abc", "0-0", "99999-01", "2024-03\x00", "-1"])
def test_a_bad_month_on_the_sample_page_falls_back(leader, month):
    response = client_for(leader).get(reverse("service:callback_list"), {"month": month, "unit": "abc"})
    assert response.status_code == 200
    assert client_for(leader).get(reverse("rankings:quality"), {"month": month}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "-1", "abc", "999999"])
def test_a_malformed_or_out_of_range_page_of_the_sample_is_404(leader, page):
    response = client_for(leader).get(reverse("service:callback_list"), {"page": page})
    assert response.status_code == 404
