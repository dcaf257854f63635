"""The pages of campaign 1: the visit form with its requests, My to-do, the request list and its filters,
unit isolation (404, never a leak), actions, attachments, reminders, and constant query counts."""

import importlib.util
import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from apps.service.models import Attachment, Request, RequestEvent, Visit

from ..conftest import client_for
from ..factories import EnterpriseFactory, UserFactory
from .factories import (
    FINANCE,
    A,
    VisitFactory,
    acknowledge,
    act,
    category,
    close,
    contact,
    local,
    make_request,
    walk_to,
)

pytestmark = pytest.mark.django_db

LIST = reverse("service:request_list")
EXPORT = reverse("service:request_export")
TODO = reverse("service:todo")
VISITS = reverse("service:visit_list")
VISIT_CREATE = reverse("service:visit_create")


def detail(req) -> str:
    return reverse("service:request_detail", args=[req.pk])


def listed_pks(response) -> set[int]:
    assert response.status_code == 200
    return {r.pk for r in response.context["object_list"]}


def snapshot(req) -> dict:
    return Request.objects.filter(pk=req.pk).values().get()


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- the visit form ------------------------------------------------------------------------------------


def visit_post(enterprise, unit, visited_on, rows: list[dict], **extra) -> dict:
    data = {
        "visited_on": visited_on.isoformat(),
        "enterprise": enterprise.pk,
        "lead_unit": unit.pk,
        "mode": "on_site",
        "summary": "了解企业用工和融资需求",
        "requests-TOTAL_FORMS": str(len(rows)),
        "requests-INITIAL_FORMS": "0",
        "requests-MIN_NUM_FORMS": "0",
        "requests-MAX_NUM_FORMS": "30",
        **extra,
    }
    for i, row in enumerate(rows):
        data.update({f"requests-{i}-{key}": value for key, value in row.items()})
    return data


def test_visit_form_logs_a_visit_and_its_requests_in_one_post(
    staff_a, colleague_a, manager_a, unit_a, unit_b
):
    enterprise = EnterpriseFactory(unit=unit_a, name="江北示例科技有限公司")
    today = timezone.localdate()
    rows = [
        {"category": category().pk, "title": "人才公寓申请", "urgency": "urgent", "handling_unit": unit_b.pk},
        {"category": category(FINANCE).pk, "title": "上市辅导", "urgency": "normal", "handling_unit": ""},
        {
            "category": "",
            "title": "",
            "description": "",
            "urgency": "normal",
            "handling_unit": "",
        },  # blank extra row
    ]

    response = client_for(staff_a).post(
        VISIT_CREATE, visit_post(enterprise, unit_a, today, rows, staff=[colleague_a.pk])
    )

    visit = Visit.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("service:visit_detail", args=[visit.pk])
    assert (visit.visited_on, visit.enterprise, visit.lead_unit, visit.created_by) == (
        today,
        enterprise,
        unit_a,
        staff_a,
    )
    assert set(visit.staff.all()) == {staff_a, colleague_a}
    dispatched, for_the_desk = Request.objects.order_by("pk")
    assert (dispatched.title, dispatched.status, dispatched.handling_unit, dispatched.urgency) == (
        "人才公寓申请",
        "dispatched",
        unit_b,
        "urgent",
    )
    assert (for_the_desk.title, for_the_desk.status, for_the_desk.handling_unit) == ("上市辅导", "new", None)
    for req in (dispatched, for_the_desk):
        assert (req.visit, req.enterprise, req.source, req.logged_unit, req.created_by) == (
            visit,
            enterprise,
            "visit",
            unit_a,
            staff_a,
        )
    assert list(dispatched.events.values_list("action", flat=True)) == ["create", "dispatch"]
    assert list(for_the_desk.events.values_list("action", flat=True)) == ["create"]
    assert dispatched.dispatched_at is not None and dispatched.ack_due is not None

    desk = client_for(manager_a).get(reverse("service:dispatch_desk"))
    assert [r.pk for r in desk.context["page_obj"].object_list] == [for_the_desk.pk]


def test_visit_in_the_future_is_refused_with_nothing_created(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    tomorrow = timezone.localdate() + timedelta(days=1)
    rows = [
        {"category": category().pk, "title": "人才公寓申请", "urgency": "normal", "handling_unit": unit_a.pk}
    ]

    response = client_for(staff_a).post(VISIT_CREATE, visit_post(enterprise, unit_a, tomorrow, rows))

    assert response.status_code == 200
    assert "visited_on" in response.context["form"].errors
    assert Visit.objects.count() == 0
    assert Request.objects.count() == 0


def test_visit_with_one_invalid_request_row_saves_nothing(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a)
    rows = [
        {"category": category().pk, "title": "人才公寓申请", "urgency": "normal", "handling_unit": unit_a.pk},
        {"category": category().pk, "title": "   ", "urgency": "normal", "handling_unit": ""},
    ]

    response = client_for(staff_a).post(
        VISIT_CREATE, visit_post(enterprise, unit_a, timezone.localdate(), rows)
    )

    assert response.status_code == 200
    assert response.context["formset"].errors[1]
    assert (Visit.objects.count(), Request.objects.count()) == (0, 0)


def test_staff_cannot_log_a_visit_led_by_another_unit(staff_a, unit_a, unit_b):
    enterprise = EnterpriseFactory(unit=unit_b)

    response = client_for(staff_a).post(
        VISIT_CREATE, visit_post(enterprise, unit_b, timezone.localdate(), [])
    )

    assert response.status_code == 200
    assert "lead_unit" in response.context["form"].errors
    assert Visit.objects.count() == 0


# --- My to-do ----------------------------------------------------------------------------------------


def test_my_todo_lists_the_handlers_open_items_by_urgency_then_due(staff_a, colleague_a, unit_a):
    def mine(at, urgency, handler=staff_a):
        return make_request(staff_a, handling_unit=unit_a, handler=handler, at=at, urgency=urgency)

    normal_late = mine(local(2024, 3, 4, 10), "normal")  # due 18 Mar
    critical_late = mine(local(2024, 3, 11, 10), "critical")  # due 13 Mar
    urgent = mine(local(2024, 3, 4, 10), "urgent")  # due 11 Mar
    normal_early = mine(local(2024, 3, 1, 10), "normal")  # due 15 Mar
    critical_early = mine(local(2024, 3, 4, 10), "critical")  # due 6 Mar
    paused = walk_to(
        mine(local(2024, 3, 5, 10), "normal"),
        "paused",
        handler=staff_a,
        manager=None,
        at=local(2024, 3, 5, 10),
    )
    closed = walk_to(
        mine(local(2024, 3, 4, 10), "critical"),
        "closed",
        handler=staff_a,
        manager=None,
        at=local(2024, 3, 4, 10),
    )
    colleagues = mine(local(2024, 3, 4, 10), "critical", handler=colleague_a)

    response = client_for(staff_a).get(TODO)

    assert response.status_code == 200
    assert [r.pk for r in response.context["items"]] == [
        critical_early.pk,
        critical_late.pk,
        urgent.pk,
        normal_early.pk,
        normal_late.pk,
        paused.pk,  # due 19 Mar
    ]
    assert closed.pk not in {r.pk for r in response.context["items"]}
    assert colleagues.pk not in {r.pk for r in response.context["items"]}


def test_my_todo_shows_the_units_unassigned_open_items(staff_a, staff_b, unit_a, unit_b):
    unassigned = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
    other_unit = make_request(staff_b, handling_unit=unit_b, at=local(2024, 3, 4, 10))

    response = client_for(staff_a).get(TODO)

    assert [r.pk for r in response.context["unassigned"]] == [unassigned.pk]
    assert other_unit.pk not in {r.pk for r in response.context["unassigned"]}


# --- the request list, its filters and export ------------------------------------------------------------


@pytest.fixture
def requests_ab(staff_a, staff_b, manager_a, unit_a, unit_b):
    """Requests staff_a may see (logged or handled by unit A) and one of unit B alone."""
    now = timezone.now()
    old_open = walk_to(
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10), title="人才公寓申请"),
        "in_progress",
        handler=staff_a,
        manager=manager_a,
        at=local(2024, 3, 4, 10),
    )
    closed = walk_to(
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10), title="招聘会场地"),
        "closed",
        handler=staff_a,
        manager=manager_a,
        at=local(2024, 3, 4, 10),
    )
    paused = walk_to(
        make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10), title="用电增容"),
        "paused",
        handler=staff_a,
        manager=manager_a,
        at=local(2024, 3, 4, 10),
    )
    sent_to_b = make_request(
        staff_a,
        handling_unit=unit_b,
        at=now,
        title="污水管网接入",
        enterprise=EnterpriseFactory(unit=unit_a, name="江北新材料有限公司"),
    )
    for_desk = make_request(staff_a, at=now, title="厂房租金补贴")
    hidden = make_request(staff_b, handling_unit=unit_b, at=local(2024, 3, 4, 10), title="医药谷专属诉求")
    return {
        "old_open": old_open,
        "closed": closed,
        "paused": paused,
        "sent_to_b": sent_to_b,
        "for_desk": for_desk,
        "hidden": hidden,
    }


def pks(requests_ab, *names) -> set[int]:
    return {requests_ab[name].pk for name in names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("", ("old_open", "closed", "paused", "sent_to_b", "for_desk"), id="everything-visible"),
        pytest.param("status=closed", ("closed",), id="status"),
        pytest.param("status=new&status=dispatched", ("sent_to_b", "for_desk"), id="two-statuses"),
        pytest.param("overdue=on", ("old_open",), id="overdue-excludes-paused-and-closed"),
        pytest.param("q=污水", ("sent_to_b",), id="q-title"),
        pytest.param("q=新材料", ("sent_to_b",), id="q-enterprise"),
        pytest.param("status=in_progress&overdue=on", ("old_open",), id="combined"),
    ],
)
def test_request_list_filters_return_exact_rows(staff_a, requests_ab, query, expected):
    response = client_for(staff_a).get(f"{LIST}?{query}")
    assert listed_pks(response) == pks(requests_ab, *expected)


def test_request_list_filters_by_handling_unit(staff_a, unit_b, requests_ab):
    response = client_for(staff_a).get(LIST, {"handling_unit": unit_b.pk})
    assert listed_pks(response) == pks(requests_ab, "sent_to_b")


def test_request_list_search_by_number(staff_a, requests_ab):
    client = client_for(staff_a)
    assert listed_pks(client.get(LIST, {"q": f"#{requests_ab['closed'].pk}"})) == pks(requests_ab, "closed")
    assert listed_pks(client.get(LIST, {"q": f"#{requests_ab['hidden'].pk}"})) == set()


def test_other_unit_never_sees_unit_a_requests_in_list_export_or_detail(staff_b, requests_ab):
    client = client_for(staff_b)

    assert listed_pks(client.get(LIST)) == pks(requests_ab, "sent_to_b", "hidden")
    assert listed_pks(client.get(LIST, {"q": "人才"})) == set()

    export = client.get(EXPORT)
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    exported = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert exported == pks(requests_ab, "sent_to_b", "hidden")

    for name in ("old_open", "closed", "paused", "for_desk"):
        assert client.get(detail(requests_ab[name])).status_code == 404


def test_export_follows_the_filters(staff_a, requests_ab):
    export = client_for(staff_a).get(EXPORT, {"status": "closed"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [requests_ab["closed"].pk]


def test_leader_sees_every_request(leader, requests_ab):
    assert listed_pks(client_for(leader).get(LIST)) == pks(requests_ab, *requests_ab)


def test_handler_dropdown_lists_only_own_unit_users_for_staff(
    staff_a, colleague_a, manager_a, staff_b, leader, requests_ab
):
    for url in (LIST, VISITS):
        response = client_for(staff_a).get(url)
        field = "handler" if url == LIST else "staff"
        assert set(response.context["filter"].form.fields[field].queryset) == {
            staff_a,
            colleague_a,
            manager_a,
        }

    # a leader lists one unit's people at a time (a province has thousands): the unit chosen in the filter,
    # else the leader's own
    of_b = client_for(leader).get(LIST, {"handling_unit": staff_b.unit_id}).context["filter"]
    assert set(of_b.form.fields["handler"].queryset) == {staff_b}
    own = client_for(leader).get(LIST).context["filter"].form.fields["handler"].queryset
    assert set(own) == {leader}


# --- actions from the pages ---------------------------------------------------------------------------


def act_url(req) -> str:
    return reverse("service:request_act", args=[req.pk])


def test_request_act_acknowledges_for_the_handling_unit(staff_a, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, at=timezone.now())

    response = client_for(staff_a).post(
        act_url(req), {"action": "acknowledge", "expected_status": "dispatched"}
    )

    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "acknowledged"
    assert req.events.latest("id").by == staff_a


def test_request_act_by_another_units_user_is_404_and_changes_nothing(staff_a, staff_b, unit_a):
    req = make_request(staff_a, handling_unit=unit_a, at=timezone.now())
    before, events = snapshot(req), req.events.count()

    for action in ("acknowledge", "withdraw", "close"):
        response = client_for(staff_b).post(
            act_url(req),
            {
                "action": action,
                "expected_status": "dispatched",
                "note": "x",
                "outcome": "solved",
                "answer": "x",
            },
        )
        assert response.status_code == 404

    assert snapshot(req) == before
    assert req.events.count() == events


def test_request_act_with_a_stale_status_changes_nothing_and_says_so(staff_a, unit_a):
    req = acknowledge(make_request(staff_a, handling_unit=unit_a, at=timezone.now()), staff_a, timezone.now())
    before = snapshot(req)

    response = client_for(staff_a).post(
        act_url(req), {"action": "acknowledge", "expected_status": "dispatched"}
    )

    assert response.status_code == 302
    assert snapshot(req) == before
    assert any("Someone else" in m for m in messages_of(response))


def test_request_act_staff_approving_an_extension_is_refused(staff_a, unit_a):
    req = contact(
        acknowledge(make_request(staff_a, handling_unit=unit_a), staff_a, local(2024, 3, 4, 11)),
        staff_a,
        local(2024, 3, 4, 12),
    )
    req = act(req, A.EXTEND_ASK, staff_a, local(2024, 3, 5, 10), days=3)
    before = snapshot(req)

    response = client_for(staff_a).post(
        act_url(req), {"action": "extend_approve", "expected_status": "in_progress"}
    )

    assert response.status_code == 302
    assert snapshot(req) == before
    assert messages_of(response) == ["You may not do that on this request."]


def test_feedback_form_reopens_when_unsatisfied(staff_a, manager_a, unit_a):
    req = close(
        acknowledge(make_request(staff_a, handling_unit=unit_a), staff_a, local(2024, 3, 4, 11)),
        staff_a,
        local(2024, 3, 5, 10),
    )

    client_for(manager_a).post(
        act_url(req), {"action": "feedback", "expected_status": "closed", "satisfaction": "unsatisfied"}
    )

    req.refresh_from_db()
    assert (req.status, req.reopen_count) == ("in_progress", 1)


# --- attachments --------------------------------------------------------------------------------------


def upload(client, req, name: str, content: bytes):
    return client.post(
        reverse("service:attachment_upload", args=[req.pk]), {"file": SimpleUploadedFile(name, content)}
    )


@pytest.fixture
def open_request(staff_a, unit_a):
    return make_request(staff_a, handling_unit=unit_a, at=timezone.now())


def test_allowed_attachment_uploads_and_downloads_within_the_unit(staff_a, colleague_a, open_request):
    response = upload(client_for(staff_a), open_request, "营业执照.pdf", b"%PDF-1.4 test")

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.request, attachment.name, attachment.size, attachment.uploaded_by) == (
        open_request,
        "营业执照.pdf",
        13,
        staff_a,
    )
    assert attachment.file.name.endswith(".pdf")
    assert "营业执照" not in attachment.file.name  # stored under an unguessable name

    download = client_for(colleague_a).get(reverse("service:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
    assert download["Content-Disposition"].startswith("attachment")


def test_attachment_of_a_refused_type_is_not_stored(staff_a, open_request):
    response = upload(client_for(staff_a), open_request, "setup.exe", b"MZ\x90\x00")

    assert response.status_code == 302
    assert Attachment.objects.count() == 0
    assert any("not accepted" in m for m in messages_of(response))


def test_attachment_over_the_size_limit_is_refused(settings, staff_a, open_request):
    settings.ATTACHMENT_MAX_BYTES = 10

    upload(client_for(staff_a), open_request, "big.pdf", b"x" * 11)
    assert Attachment.objects.count() == 0

    upload(client_for(staff_a), open_request, "small.pdf", b"x" * 10)
    assert list(Attachment.objects.values_list("name", flat=True)) == ["small.pdf"]


def test_attachment_of_another_unit_is_404_to_download_and_upload(staff_a, staff_b, open_request):
    upload(client_for(staff_a), open_request, "营业执照.pdf", b"%PDF-1.4 test")
    attachment = Attachment.objects.get()

    assert (
        client_for(staff_b).get(reverse("service:attachment_download", args=[attachment.pk])).status_code
        == 404
    )
    assert upload(client_for(staff_b), open_request, "x.pdf", b"%PDF").status_code == 404
    assert Attachment.objects.count() == 1


# --- reminders ------------------------------------------------------------------------------------------

needs_reminders = pytest.mark.skipif(
    importlib.util.find_spec("apps.service.management.commands.send_reminders") is None,
    reason="manage.py send_reminders does not exist yet (apps/service/management/commands/).",
)


@needs_reminders
def test_send_reminders_mails_handlers_their_due_today_and_overdue_items(staff_a, manager_a, unit_a):
    staff_a.email, manager_a.email = "staff_a@example.com", "manager_a@example.com"
    staff_a.save(update_fields=["email"])
    manager_a.save(update_fields=["email"])
    now = timezone.localtime()
    overdue = make_request(
        staff_a, handling_unit=unit_a, handler=staff_a, at=local(2024, 3, 4, 10), title="超期诉求"
    )
    today = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=now, title="今日到期诉求")
    later = make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=now, title="以后到期诉求")
    end_of_today = now.replace(hour=23, minute=59, second=59, microsecond=999999)
    Request.objects.filter(pk=today.pk).update(close_due=end_of_today)
    Request.objects.filter(pk=later.pk).update(close_due=now + timedelta(days=10))
    mail.outbox.clear()

    call_command("send_reminders", stdout=io.StringIO())

    to_handler = [m for m in mail.outbox if m.to == ["staff_a@example.com"]]
    to_manager = [m for m in mail.outbox if m.to == ["manager_a@example.com"]]
    assert len(to_handler) == 1
    assert overdue.title in to_handler[0].body and today.title in to_handler[0].body
    assert later.title not in to_handler[0].body
    assert len(to_manager) == 1
    assert overdue.title in to_manager[0].body


@needs_reminders
def test_send_reminders_sends_nothing_when_nothing_is_due(staff_a, unit_a):
    staff_a.email = "staff_a@example.com"
    staff_a.save(update_fields=["email"])
    make_request(staff_a, handling_unit=unit_a, handler=staff_a, at=timezone.now())
    mail.outbox.clear()

    call_command("send_reminders", stdout=io.StringIO())

    assert mail.outbox == []


# --- query counts that hold at two data sizes ---------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def add_requests(n: int, staff_a, colleague_a, unit_a, unit_b):
    for i in range(n):
        req = make_request(
            staff_a,
            handling_unit=unit_a if i % 2 else unit_b,
            handler=staff_a if i % 2 else None,
            at=local(2024, 3, 4, 10) + timedelta(hours=i),
            urgency=("normal", "urgent", "critical")[i % 3],
        )
        req.co_units.set([unit_b])


def add_visits(n: int, staff_a, colleague_a, unit_b):
    for i in range(n):
        visit = VisitFactory(created_by=staff_a, visited_on=local(2024, 3, 1).date() + timedelta(days=i % 20))
        visit.staff.set([staff_a, colleague_a])
        visit.joint_units.set([unit_b])


@pytest.mark.parametrize(
    "url", [LIST, f"{LIST}?overdue=on&status=dispatched", TODO, reverse("service:unit_todo")]
)
def test_request_pages_make_the_same_number_of_queries_for_3_and_30_rows(
    url, staff_a, colleague_a, unit_a, unit_b
):
    client = client_for(staff_a)
    add_requests(3, staff_a, colleague_a, unit_a, unit_b)
    client.get(url)  # warm up the session and the content types
    few = count_queries(client, url)

    add_requests(27, staff_a, colleague_a, unit_a, unit_b)
    many = count_queries(client, url)

    assert few == many


def test_visit_list_makes_the_same_number_of_queries_for_3_and_30_rows(staff_a, colleague_a, unit_b):
    client = client_for(staff_a)
    add_visits(3, staff_a, colleague_a, unit_b)
    client.get(VISITS)
    few = count_queries(client, VISITS)

    add_visits(27, staff_a, colleague_a, unit_b)
    many = count_queries(client, VISITS)

    assert few == many
    assert len(client.get(VISITS).context["object_list"]) == 30


def test_request_detail_query_count_does_not_grow_with_its_history(staff_a, manager_a, unit_a):
    def in_progress():
        req = make_request(staff_a, handling_unit=unit_a, at=local(2024, 3, 4, 10))
        return walk_to(req, "in_progress", handler=staff_a, manager=manager_a, at=local(2024, 3, 4, 10))

    short, long = in_progress(), in_progress()
    for day in range(5, 10):  # five pauses: 12 more events
        long = act(long, A.PAUSE, staff_a, local(2024, 3, day, 9))
        long = act(long, A.RESUME, staff_a, local(2024, 3, day, 10))
    upload(client_for(staff_a), long, "a.pdf", b"%PDF")
    upload(client_for(staff_a), long, "b.pdf", b"%PDF")
    client = client_for(staff_a)
    client.get(detail(short))

    assert count_queries(client, detail(short)) == count_queries(client, detail(long))


def test_unit_isolation_holds_for_a_new_user_of_another_unit(unit_a, staff_a):
    """A user created later in a third unit sees nothing of unit A."""
    stranger = UserFactory(unit__code="unit-c", role="staff")
    req = make_request(staff_a, handling_unit=unit_a, at=timezone.now())

    assert listed_pks(client_for(stranger).get(LIST)) == set()
    assert client_for(stranger).get(detail(req)).status_code == 404
    assert RequestEvent.objects.filter(request=req).count() == 2
