"""The audit history: every create, update and delete is recorded with who, when, before and after —
through the ORM, queryset updates and bulk writes, web forms and the Django admin — and read on each record's
history page by unit managers, leaders and admins."""

from datetime import date
from decimal import Decimal

import pghistory
import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from apps.accounts import roles
from apps.audit import models as audit
from apps.projects import services as project_services
from apps.projects.models import MonthlyReport, Project
from apps.service.models import Request, Status, Visit
from apps.units.models import Unit

from ..conftest import client_for
from ..factories import EnterpriseFactory, UnitFactory, UserFactory
from ..service.factories import VisitFactory, make_request

UnitHistory = audit.AuditedUnit.pgh_event_model
RequestHistory = audit.AuditedRequest.pgh_event_model
EnterpriseHistory = audit.AuditedEnterprise.pgh_event_model
UserHistory = audit.AuditedUser.pgh_event_model
UserRoleHistory = audit.AuditedUserRole.pgh_event_model
RoleHistory = audit.AuditedRole.pgh_event_model
RolePermissionHistory = audit.AuditedRolePermission.pgh_event_model

pytestmark = pytest.mark.django_db

DISPATCHED, ACKNOWLEDGED = Status.DISPATCHED.label, Status.ACKNOWLEDGED.label


def zh(text) -> str:
    """`text` (a msgid or a lazy string) as a page in Chinese shows it."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def history_url(kind, record) -> str:
    return reverse("audit:history", args=[kind, record.pk])


# --- what is recorded ---------------------------------------------------------------------------------------


def test_create_update_and_delete_through_the_orm_are_recorded_with_the_values():
    unit = UnitFactory(code="jiang", name="江北街道", short_name="江北")
    unit.name = "江北新街道"
    unit.save()
    pk = unit.pk
    unit.delete()

    assert list(
        UnitHistory.objects.filter(pgh_obj_id=pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "name", "pgh_context")
    ) == [("insert", "江北街道", None), ("update", "江北新街道", None), ("delete", "江北新街道", None)]


def test_a_queryset_update_records_every_changed_row_and_the_command_context(staff_a, unit_a):
    first, second = make_request(staff_a), make_request(staff_a)
    untouched = make_request(staff_a)

    with pghistory.context(command="reclassify"):
        count = Request.objects.filter(pk__in=[first.pk, second.pk]).update(urgency="urgent")

    assert count == 2
    updates = RequestHistory.objects.filter(pgh_label="update").order_by("pgh_obj_id")
    assert list(updates.values_list("pgh_obj_id", "urgency", "pgh_context")) == [
        (first.pk, "urgent", {"command": "reclassify"}),
        (second.pk, "urgent", {"command": "reclassify"}),
    ]
    assert not RequestHistory.objects.filter(pgh_obj_id=untouched.pk, pgh_label="update").exists()


def test_an_update_that_only_touches_the_timestamp_leaves_no_history(staff_a):
    req = make_request(staff_a)
    before = RequestHistory.objects.count()

    Request.objects.filter(pk=req.pk).update(updated_at=timezone.now(), urgency=req.urgency)

    assert RequestHistory.objects.count() == before


def test_bulk_create_records_every_row(unit_a):
    Unit.objects.bulk_create(
        [
            Unit(code=f"s{i}", name=f"街道{i}", short_name=f"街{i}", kind="street", peer_group="streets")
            for i in range(3)
        ]
    )

    assert sorted(
        UnitHistory.objects.filter(pgh_label="insert", code__startswith="s").values_list("name", flat=True)
    ) == [
        "街道0",
        "街道1",
        "街道2",
    ]


def test_a_web_edit_is_recorded_with_the_user_and_the_url(staff_a, unit_a):
    enterprise = EnterpriseFactory(unit=unit_a, name="原名称")
    url = reverse("enterprises:update", args=[enterprise.pk])
    data = {
        "name": "新名称",
        "credit_code": enterprise.credit_code,
        "unit": unit_a.pk,
        "industry": "C",
        "size": "small",
        "version": "0",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
    }

    assert client_for(staff_a).post(url, data).status_code == 302

    row = EnterpriseHistory.objects.filter(pgh_obj_id=enterprise.pk).latest("pgh_id")
    assert (row.pgh_label, row.name, row.version, row.pgh_context) == (
        "update",
        "新名称",
        1,
        {"user": staff_a.pk, "url": url},
    )


def test_an_admin_change_is_recorded_with_the_admin(admin_user):
    unit = UnitFactory(code="jiang", name="江北街道", short_name="江北", kind="street", peer_group="streets")
    url = reverse("admin:units_unit_change", args=[unit.pk])
    data = {
        "code": "jiang",
        "name": "江北新街道",
        "short_name": "江北",
        "kind": "street",
        "peer_group": "streets",
        "sort_order": "5",
        "is_active": "on",
    }

    assert client_for(admin_user).post(url, data).status_code == 302

    row = UnitHistory.objects.filter(pgh_obj_id=unit.pk).latest("pgh_id")
    assert (row.pgh_label, row.name, row.sort_order, row.pgh_context) == (
        "update",
        "江北新街道",
        5,
        {"user": admin_user.pk, "url": url},
    )


def test_an_admin_action_deleting_records_is_recorded_with_the_admin(admin_user):
    units = [UnitFactory(code=f"del{i}", name=f"待删单位{i}") for i in range(2)]
    url = reverse("admin:units_unit_changelist")

    response = client_for(admin_user).post(
        url, {"action": "delete_selected", "_selected_action": [u.pk for u in units], "post": "yes"}
    )

    assert response.status_code == 302
    assert not Unit.objects.filter(pk__in=[u.pk for u in units]).exists()
    deleted = UnitHistory.objects.filter(pgh_label="delete").order_by("pgh_obj_id")
    assert list(deleted.values_list("name", "pgh_context")) == [
        ("待删单位0", {"user": admin_user.pk, "url": url}),
        ("待删单位1", {"user": admin_user.pk, "url": url}),
    ]


def test_user_history_never_copies_the_password_nor_the_last_login(unit_a):
    user = UserFactory(username="wangwu", unit=unit_a)
    columns = {f.name for f in UserHistory._meta.fields}
    assert "password" not in columns and "last_login" not in columns

    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    user.set_password("a-new-secret-2024")
    user.save(update_fields=["password"])
    user.is_active = False
    user.save(update_fields=["is_active"])

    rows = UserHistory.objects.filter(pgh_obj_id=user.pk).order_by("pgh_id")
    assert list(rows.values_list("pgh_label", "is_active")) == [
        ("insert", True),
        ("password_change", True),
        ("update", False),
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {UserHistory._meta.db_table}")  # noqa: S608 — a model's table name
        stored = repr(cursor.fetchall())
    assert user.password not in stored


def test_roles_and_their_members_are_recorded(unit_a):
    user = UserFactory(username="wangwu", unit=unit_a)
    manager = Group.objects.get(name=roles.UNIT_MANAGER)
    permission = Permission.objects.get(codename="manage_unit")
    # rows older than this test (a test that restores a flushed database re-adds the roles' permissions,
    # and the triggers record it) are not this test's
    before = RolePermissionHistory.objects.aggregate(last=Max("pgh_id"))["last"] or 0
    renamed_before = RoleHistory.objects.aggregate(last=Max("pgh_id"))["last"] or 0

    user.groups.add(manager)
    user.groups.remove(manager)
    manager.permissions.remove(permission)
    manager.name = "unit managers"
    manager.save()

    assert list(
        UserRoleHistory.objects.filter(user_id=user.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "group_id")
    ) == [("add", manager.pk), ("remove", manager.pk)]
    assert list(
        RolePermissionHistory.objects.filter(
            group_id=manager.pk, permission_id=permission.pk, pgh_id__gt=before
        ).values_list("pgh_label", flat=True)
    ) == ["remove"]
    renames = RoleHistory.objects.filter(pgh_obj_id=manager.pk, pgh_id__gt=renamed_before)
    assert list(renames.values_list("pgh_label", "name")) == [("update", "unit managers")]


# --- the history page ---------------------------------------------------------------------------------------


def _acknowledged_request(staff_a):
    """A request dispatched to unit A, then acknowledged by staff_a on the web."""
    req = make_request(staff_a, handling_unit=staff_a.unit, handler=staff_a)
    response = client_for(staff_a).post(
        reverse("service:request_act", args=[req.pk]),
        {"action": "acknowledge", "expected_status": "dispatched", "expected_version": req.version},
    )
    assert response.status_code == 302
    return req


def test_the_history_page_shows_who_changed_what_newest_first(staff_a, manager_a):
    req = _acknowledged_request(staff_a)

    response = client_for(manager_a).get(history_url("request", req))

    assert response.status_code == 200
    entries = list(response.context["page_obj"])
    # Created already dispatched, with its deadlines, in one write by the service outside a request (no
    # user), then acknowledged on the web.
    assert [(e.action, e.actor) for e in entries] == [("update", str(staff_a)), ("insert", None)]
    # The transition and the deadlines it re-derived, written in one request: one entry.
    assert [(c.field.name, c.before_text, c.after_text) for c in entries[0].changes] == [
        ("status", zh(DISPATCHED), zh(ACKNOWLEDGED)),
        (
            "acknowledged_at",
            "—",
            timezone.localtime(Request.objects.get(pk=req.pk).acknowledged_at).strftime("%Y-%m-%d %H:%M"),
        ),
    ]
    created = {c.field.name: c.after_text for c in entries[-1].changes}
    assert (created["title"], created["logged_unit"], created["created_by"]) == (
        "人才公寓申请",
        str(staff_a.unit),
        str(staff_a),
    )
    page = response.content.decode()
    assert f'{zh(DISPATCHED)}</td><td class="prewrap">{zh(ACKNOWLEDGED)}' in page
    assert zh("system (no signed-in user)") in page


def test_writes_of_one_request_make_one_entry(staff_a, manager_a, unit_a):
    with pghistory.context(user=staff_a.pk, url="/service/requests/new/"):
        req = make_request(staff_a, handling_unit=unit_a)  # created, dispatched, deadlines derived

    entries = list(client_for(manager_a).get(history_url("request", req)).context["page_obj"])

    assert [(e.action, e.actor, e.url) for e in entries] == [
        ("insert", str(staff_a), "/service/requests/new/")
    ]
    created = {c.field.name: c.after_text for c in entries[0].changes}
    assert (created["status"], created["handling_unit"], created["close_due"]) == (
        zh(DISPATCHED),
        str(unit_a),
        "2024-03-18 18:00",
    )


def test_the_history_page_names_the_monthly_reports_of_a_project(staff_a, manager_a, unit_a):
    project = Project.objects.create(
        code="A-001",
        name="研创园项目",
        owner=EnterpriseFactory(unit=unit_a),
        unit=unit_a,
        level="district",
        kind="industrial",
        industry="C",
        total_investment=Decimal("1000"),
    )
    report = MonthlyReport.objects.create(
        project=project, month=date(2024, 1, 1), amount=Decimal("50"), reported_by=staff_a
    )
    project_services.report_correct(report=report, amount=Decimal("60"), reason="漏报", by=staff_a)

    response = client_for(manager_a).get(history_url("project", project))

    corrected = next(e for e in response.context["page_obj"] if e.action == "update")
    assert corrected.subject == zh("Monthly report %(month)s") % {"month": "2024-01"}
    assert [
        (c.field.name, c.before_text, c.after_text) for c in corrected.changes if c.field.name == "amount"
    ] == [("amount", "50.00", "60.00")]


def test_the_history_of_a_visit_shows_its_joint_units_added_and_removed(staff_a, manager_a, leader, unit_b):
    visit = VisitFactory(created_by=staff_a)
    with pghistory.context(user=manager_a.pk):
        visit.joint_units.add(unit_b)
    with pghistory.context(user=leader.pk):
        visit.joint_units.remove(unit_b)

    entries = list(client_for(manager_a).get(history_url("visit", visit)).context["page_obj"])

    assert [(e.action, e.actor, e.subject) for e in entries[:2]] == [
        ("remove", str(leader), zh(Visit._meta.get_field("joint_units").verbose_name).capitalize()),
        ("add", str(manager_a), zh(Visit._meta.get_field("joint_units").verbose_name).capitalize()),
    ]
    assert [(c.field.name, c.before_text, c.after_text) for e in entries[:2] for c in e.changes] == [
        ("unit", str(unit_b), "—"),
        ("unit", "—", str(unit_b)),
    ]


def test_staff_may_not_read_histories(staff_a):
    req = _acknowledged_request(staff_a)

    assert client_for(staff_a).get(history_url("request", req)).status_code == 403


def test_another_units_manager_gets_404_and_a_leader_reads_every_unit(staff_b, manager_a, leader):
    req = make_request(staff_b, handling_unit=staff_b.unit)

    assert client_for(manager_a).get(history_url("request", req)).status_code == 404
    assert client_for(leader).get(history_url("request", req)).status_code == 200


def test_an_unknown_kind_or_record_is_404(manager_a, staff_a):
    req = make_request(staff_a)

    assert client_for(manager_a).get(reverse("audit:history", args=["password", req.pk])).status_code == 404
    assert client_for(manager_a).get(reverse("audit:history", args=["request", 999999])).status_code == 404


def test_the_history_is_paginated_and_any_page_number_is_answered(settings, staff_a, manager_a):
    settings.PAGE_SIZE = 2
    req = make_request(staff_a)
    for title in ["一", "二", "三"]:
        Request.objects.filter(pk=req.pk).update(title=title)
    client = client_for(manager_a)

    pages = [client.get(history_url("request", req) + f"?page={n}") for n in ["1", "2", "abc", "-1", "99"]]

    assert [r.status_code for r in pages] == [200] * 5
    titles = [
        [c.after_text for e in r.context["page_obj"] for c in e.changes if c.field.name == "title"]
        for r in pages
    ]
    assert titles == [
        ["三", "二"],
        ["一", "人才公寓申请"],
        ["三", "二"],
        ["一", "人才公寓申请"],
        ["一", "人才公寓申请"],
    ]


def test_the_history_page_costs_the_same_queries_however_long_the_history(settings, staff_a, manager_a):
    short, long = make_request(staff_a), make_request(staff_a)
    for n in range(30):
        Request.objects.filter(pk=long.pk).update(title=f"标题{n}", urgency="urgent" if n % 2 else "normal")
    client = client_for(manager_a)
    client.get(history_url("request", short))  # the session and permissions, read once

    counts = []
    for req in (short, long):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(history_url("request", req)).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("request", "service:request_detail"),
        ("project", "projects:detail"),
        ("enterprise", "enterprise_record"),
    ],
)
def test_the_record_page_links_to_its_history_for_managers_only(kind, detail, staff_a, manager_a, unit_a):
    records = {
        "request": lambda: make_request(staff_a, handling_unit=unit_a),
        "enterprise": lambda: EnterpriseFactory(unit=unit_a),
        "project": lambda: Project.objects.create(
            code="A-001",
            name="研创园项目",
            owner=EnterpriseFactory(unit=unit_a),
            unit=unit_a,
            level="district",
            kind="industrial",
            industry="C",
            total_investment=Decimal("1000"),
        ),
    }
    record = records[kind]()
    link = f'href="{history_url(kind, record)}"'

    assert link in client_for(manager_a).get(reverse(detail, args=[record.pk])).content.decode()
    assert link not in client_for(staff_a).get(reverse(detail, args=[record.pk])).content.decode()


def test_admins_read_the_history_of_users_and_roles_in_the_django_admin(admin_user, manager_a, unit_a):
    UserFactory(username="wangwu", unit=unit_a)
    url = reverse("admin:audit_userhistory_changelist")

    response = client_for(admin_user).get(url)

    assert response.status_code == 200
    assert "wangwu" in response.content.decode()
    assert client_for(admin_user).get(reverse("admin:audit_rolehistory_changelist")).status_code == 200
    assert client_for(manager_a).get(url).status_code == 302  # the Django admin is for admins only
