"""A small world with one record of every kind for unit A (and a few of unit B), made through the same
factories and services as the other tests, and the helpers that tell whether a request wrote anything."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.messages import constants, get_messages
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from apps.accounts import roles
from apps.projects.models import Project
from apps.research import services as research_services
from apps.research.models import Carrier, Entity, Match, Result
from apps.service import services as service_services
from apps.service.models import Category, JointAction, Request, Visit

from ..factories import EnterpriseFactory, UnitFactory, UserFactory
from ..investment.factories import TripFactory
from ..investment.factories import create as lead_create
from ..projects.factories import planned, report
from ..research.factories import CarrierFactory, EntityFactory, catalogue
from ..service.factories import TALENT, make_request

# Every table these apps own (many-to-many tables included): "nothing was written" means none changed.
DOMAIN_APPS = ["enterprises", "service", "projects", "research", "investment", "rankings", "units"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert messages in the source language, whatever translations exist."""
    settings.LANGUAGE_CODE = "en"


def row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._base_manager.count()
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


def error_messages(response) -> list[str]:
    """The error messages the view flashed while answering (read from its own request: a redirect)."""
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == constants.ERROR]


@dataclass
class World:
    users: dict
    unit_a: object
    unit_b: object
    enterprise: object
    key_enterprise: object
    other_enterprise: object
    category: Category
    request: Request
    spare_request: Request  # open, handled by unit A, in no joint action
    visit: Visit
    joint_action: JointAction
    project: Project
    report: object
    other_project: Project
    entity: Entity
    result: Result
    carrier: Carrier
    match: Match
    lead: object
    other_lead: object
    trip: object
    other_request: Request
    # the enterprise side (issue #19): a personal link to `enterprise`'s pages, and its request closed by
    # unit A, waiting for the contact's rating
    portal_token: str = ""
    closed_request: Request | None = None


def _enterprise_side(users, enterprise, unit_a, now):
    from apps.enterprises.models import Contact
    from apps.portal import services as portal

    from ..service.factories import walk_to

    person = Contact.objects.create(enterprise=enterprise, name="王经理", is_primary=True)
    token = portal.link_issue(contact=person, by=users["manager_a"], days=30).token
    closed = make_request(
        users["staff_a"], enterprise=enterprise, handling_unit=unit_a, at=now, title="路灯损坏"
    )
    closed = walk_to(closed, "closed", handler=users["staff_a"], manager=users["manager_a"], at=now)
    return token, closed


def _canonical_users():
    """The canonical users of tests/conftest.py (same names, units and roles), built once per module."""
    unit_a = UnitFactory(code="unit-a", name="产业技术研创园", short_name="研创园")
    unit_b = UnitFactory(code="unit-b", name="生物医药谷", short_name="医药谷")
    office = UnitFactory(
        code="office", name="党政办公室", short_name="党政办", kind="office", peer_group="bureaus"
    )
    users = {
        "staff_a": UserFactory(username="staff_a", display_name="张伟", unit=unit_a, role=roles.STAFF),
        "colleague_a": UserFactory(
            username="colleague_a", display_name="李娜", unit=unit_a, role=roles.STAFF
        ),
        "staff_b": UserFactory(username="staff_b", display_name="王芳", unit=unit_b, role=roles.STAFF),
        "manager_a": UserFactory(
            username="manager_a", display_name="刘洋", unit=unit_a, role=roles.UNIT_MANAGER
        ),
        "leader": UserFactory(username="leader", display_name="赵敏", unit=office, role=roles.LEADER),
        "admin": UserFactory(
            username="admin", unit=office, role=roles.ADMIN, is_staff=True, is_superuser=True
        ),
    }
    return users, unit_a, unit_b


def _build_world() -> World:
    users, unit_a, unit_b = _canonical_users()
    staff_a, colleague_a, staff_b, manager_a = (
        users[name] for name in ("staff_a", "colleague_a", "staff_b", "manager_a")
    )
    now = timezone.now()
    today = timezone.localdate()
    enterprise = EnterpriseFactory(unit=unit_a, name="南京示例智造科技有限公司")
    key_enterprise = EnterpriseFactory(unit=unit_a, name="南京重点示例科技有限公司", is_key=True)
    other_enterprise = EnterpriseFactory(unit=unit_b, name="南京医药示例有限公司")
    visit = service_services.visit_record(
        by=staff_a,
        visited_on=today - timedelta(days=1),
        enterprise=enterprise,
        lead_unit=unit_a,
        mode="on_site",
        summary="走访了解企业经营情况",
    )
    request = make_request(staff_a, enterprise=enterprise, handling_unit=unit_a, at=now, visit=visit)
    spare_request = make_request(
        staff_a, enterprise=enterprise, handling_unit=unit_a, at=now, title="招聘用工"
    )
    grouped = [
        make_request(staff_a, enterprise=enterprise, handling_unit=unit_a, at=now, title=f"同类诉求{n}")
        for n in (1, 2)
    ]
    joint_action = service_services.joint_action_create(
        by=colleague_a, title="集中解决人才公寓", description="", requests=grouped
    )
    other_request = make_request(staff_b, enterprise=other_enterprise, handling_unit=unit_b, at=now)
    project = planned(unit_a, "1000", year=today.year, owner=enterprise, code="FZ-A-001")
    monthly = report(project, f"{today.year}-01", "100", by=staff_a)
    other_project = planned(unit_b, "1000", year=today.year, owner=other_enterprise, code="FZ-B-001")
    entity = EntityFactory(unit=unit_a, park=unit_a, name="南京示例研究院")
    result = catalogue(staff_a, entity=entity, on=today, title="高性能电池隔膜")
    carrier = CarrierFactory(park=unit_a, unit=unit_a, name="研创园孵化器A座", free_area_m2=Decimal("500"))
    match = research_services.match_propose(result=result, by=staff_a, carrier=carrier)
    trip = TripFactory(unit=unit_a, leader=manager_a, created_by=manager_a, start_on=today, end_on=today)
    lead = lead_create(staff_a, at=now, name="新能源电池材料基地", trip=trip)
    other_lead = lead_create(staff_b, at=now, name="生物医药中试基地")
    portal_token, closed_request = _enterprise_side(users, enterprise, unit_a, now)
    return World(
        portal_token=portal_token,
        closed_request=closed_request,
        users={**users, "anonymous": None},
        unit_a=unit_a,
        unit_b=unit_b,
        enterprise=enterprise,
        key_enterprise=key_enterprise,
        other_enterprise=other_enterprise,
        category=Category.objects.get(name=TALENT),
        request=request,
        spare_request=spare_request,
        visit=visit,
        joint_action=joint_action,
        project=project,
        report=monthly,
        other_project=other_project,
        entity=entity,
        result=result,
        carrier=carrier,
        match=match,
        lead=lead,
        other_lead=other_lead,
        trip=trip,
        other_request=other_request,
    )


@pytest.fixture(scope="module")
def _world_once(django_db_setup, django_db_blocker):
    """Built once per module in a transaction that each test's own transaction nests in (and rolls back
    to), rolled back when the module ends (as tests/test_permission_matrix.py does)."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world(_world_once, db) -> World:
    """The module's world. A test that changes a record reads it afresh: its changes are rolled back after
    it, but not on the Python objects here."""
    return _world_once
