"""督办 (issue #19, item 4): a leader puts an overdue request under supervision with an instruction and its
own deadline; it is tagged on the handler's to-do, cannot be closed before the instruction is answered (the
close move refuses and the form says why), stays in the meeting memo until done, and is audited."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.rankings.memos import memos
from apps.service.models import Notification, Request, Supervision
from apps.service.services import TransitionError
from apps.service.services.supervision import supervision_answer, supervision_create
from tests.conftest import client_for

from .factories import acknowledge, close, contact, local, make_request

MARCH = date(2024, 3, 1)
INSTRUCTION = "请于本周内协调解决并报告"


@pytest.fixture
def overdue(unit_a, staff_a):
    """In progress with staff_a, its closing deadline (18 March 2024, 18:00) long past."""
    req = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 4, 9))
    return contact(acknowledge(req, staff_a, local(2024, 3, 4, 10)), staff_a, local(2024, 3, 4, 11))


def _supervise(req, leader, **kwargs):
    kwargs.setdefault("due_on", date(2024, 3, 25))
    return supervision_create(
        request=req, by=leader, instruction=INSTRUCTION, at=local(2024, 3, 20, 9), **kwargs
    )


@pytest.mark.django_db
def test_a_leader_supervises_an_overdue_request_and_the_handler_is_told(overdue, leader, staff_a):
    supervision = _supervise(overdue, leader)
    assert (supervision.instruction, supervision.due_on, supervision.created_by) == (
        INSTRUCTION,
        date(2024, 3, 25),
        leader,
    )
    assert (
        Notification.objects.filter(user=staff_a, request=overdue)
        .latest("pk")
        .message.startswith("Under supervision")
    )


@pytest.mark.django_db
def test_only_leaders_supervise_and_only_overdue_requests(overdue, unit_a, staff_a, manager_a, leader):
    with pytest.raises(PermissionDenied):
        _supervise(overdue, manager_a)
    on_time = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 19, 9))
    with pytest.raises(TransitionError):
        _supervise(on_time, leader)  # due 2 April: not overdue on 20 March
    with pytest.raises(TransitionError):
        _supervise(overdue, leader, due_on=date(2024, 3, 19))  # its deadline in the past
    with pytest.raises(TransitionError):
        supervision_create(request=overdue, by=leader, instruction="  ", due_on=date(2024, 3, 25))
    assert not Supervision.objects.exists()
    _supervise(overdue, leader)
    with pytest.raises(TransitionError):
        _supervise(overdue, leader)  # one at a time
    assert Supervision.objects.count() == 1


@pytest.mark.django_db
def test_the_request_cannot_be_closed_until_the_instruction_is_answered(overdue, leader, staff_a, staff_b):
    supervision = _supervise(overdue, leader)
    with pytest.raises(TransitionError, match="answer the leader's instruction"):
        close(overdue, staff_a, local(2024, 3, 21, 9))
    assert Request.objects.get(pk=overdue.pk).status == "in_progress"
    with pytest.raises(PermissionDenied):
        supervision_answer(supervision=supervision, by=staff_b, answer="不是我的")
    with pytest.raises(PermissionDenied):
        supervision_answer(supervision=supervision, by=leader, answer="领导自己答复")
    supervision_answer(
        supervision=supervision, by=staff_a, answer="已与企业约定下周交付", at=local(2024, 3, 21, 10)
    )
    supervision.refresh_from_db()
    assert (supervision.answered_by, supervision.answered_at) == (staff_a, local(2024, 3, 21, 10))
    assert Notification.objects.filter(user=leader, request=overdue).exists()  # the leader is told
    req = close(overdue, staff_a, local(2024, 3, 21, 11))
    assert req.status == "closed"


@pytest.mark.django_db
def test_the_request_page_says_why_it_cannot_close_and_leaders_get_the_form(overdue, leader, staff_a):
    page = client_for(leader).get(reverse("service:request_detail", args=[overdue.pk]))
    assert reverse("service:supervision_create", args=[overdue.pk]).encode() in page.content
    response = client_for(leader).post(
        reverse("service:supervision_create", args=[overdue.pk]),
        {"instruction": INSTRUCTION, "due_on": "2099-01-31"},
    )
    assert response.status_code == 302
    supervision = Supervision.objects.get(request=overdue)
    page = client_for(staff_a).get(reverse("service:request_detail", args=[overdue.pk]))
    text = page.content.decode()
    assert "cannot be closed until the leader's instruction is answered" in text
    assert INSTRUCTION in text and reverse("service:supervision_answer", args=[supervision.pk]) in text
    client_for(staff_a).post(reverse("service:request_act", args=[overdue.pk]),
                             {"action": "close", "outcome": "solved", "answer": "已解决",
                              "expected_status": "in_progress"})  # fmt: skip
    assert Request.objects.get(pk=overdue.pk).status == "in_progress"  # refused
    client_for(staff_a).post(
        reverse("service:supervision_answer", args=[supervision.pk]), {"answer": "已落实"}
    )
    supervision.refresh_from_db()
    assert supervision.answer == "已落实"


def _todo_queries(client, url):
    client.get(url)  # the session's first reads aside
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_supervised_items_are_tagged_on_the_to_do_lists_in_the_same_queries(
    overdue, unit_a, staff_a, manager_a, leader
):
    other = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 5, 9))
    acknowledge(other, staff_a, local(2024, 3, 5, 10))
    mine, unit = client_for(staff_a), client_for(manager_a)
    before = (_todo_queries(mine, reverse("service:todo")), _todo_queries(unit, reverse("service:unit_todo")))
    assert b"Under supervision" not in mine.get(reverse("service:todo")).content
    _supervise(overdue, leader)
    after = (_todo_queries(mine, reverse("service:todo")), _todo_queries(unit, reverse("service:unit_todo")))
    assert after == before
    for client, url in ((mine, "service:todo"), (unit, "service:unit_todo")):
        assert (
            client.get(reverse(url)).content.decode().count("Under supervision") == 1
        )  # only the supervised


@pytest.mark.django_db
def test_it_stays_in_the_meeting_memo_until_done(overdue, unit_a, leader, staff_a):
    assert memos([unit_a.pk], MARCH)[unit_a.pk]["supervised_count"] == 0
    supervision = _supervise(overdue, leader)
    memo = memos([unit_a.pk], MARCH)[unit_a.pk]
    assert memo["supervised_count"] == 1
    assert memo["supervised"] == [
        {
            "id": overdue.pk,
            "title": overdue.title,
            "instruction": INSTRUCTION,
            "due": "2024-03-25",
            "answered": False,
            "handler": staff_a.display_name,
        }  # fmt: skip
    ]
    supervision_answer(supervision=supervision, by=staff_a, answer="已落实", at=local(2024, 3, 21, 10))
    assert memos([unit_a.pk], MARCH)[unit_a.pk]["supervised"][0]["answered"] is True  # still open: stays
    close(overdue, staff_a, local(2024, 3, 21, 11))
    assert memos([unit_a.pk], MARCH)[unit_a.pk]["supervised_count"] == 0  # done
    page = client_for(leader).get(reverse("rankings:memo", args=[unit_a.pk]), {"month": "2024-03"})
    assert page.status_code == 200


@pytest.mark.django_db
def test_supervision_is_audited(overdue, leader, staff_a):
    from apps.audit.models import AuditedSupervision

    history = AuditedSupervision.pgh_event_model.objects
    supervision = _supervise(overdue, leader)
    supervision_answer(supervision=supervision, by=staff_a, answer="已落实")
    rows = list(
        history.filter(pgh_obj_id=supervision.pk).order_by("pgh_id").values_list("pgh_label", "answer")
    )
    assert rows == [("insert", ""), ("update", "已落实")]
