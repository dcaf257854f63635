"""The little world the streaming-pair tests serve, written on the throwaway primary before its replica is
made: two units, their staff and a leader, a key enterprise visited once this month. Run in the server's
environment (`manage.py shell -c`); prints what the tests need as JSON: ids and signed-in session keys."""

import json

from django.test import Client
from django.utils import timezone

from apps.accounts import roles
from apps.service import services
from apps.service.models import Category
from tests.factories import EnterpriseFactory, UnitFactory, UserFactory


def seed() -> None:
    unit_a = UnitFactory(code="unit-a", name="产业技术研创园", short_name="研创园")
    UnitFactory(code="unit-b", name="生物医药谷", short_name="医药谷")
    office = UnitFactory(
        code="office", name="党政办公室", short_name="党政办", kind="office", peer_group="bureaus"
    )
    staff_a = UserFactory(username="staff_a", display_name="张伟", unit=unit_a, role=roles.STAFF)
    colleague_a = UserFactory(username="colleague_a", display_name="李娜", unit=unit_a, role=roles.STAFF)
    leader = UserFactory(username="leader", display_name="赵敏", unit=office, role=roles.LEADER)
    enterprise = EnterpriseFactory(unit=unit_a, is_key=True, name="南京研创精密机械有限公司")
    category = Category.objects.filter(is_active=True).order_by("pk").first()
    services.visit_record(
        by=staff_a,
        visited_on=timezone.localdate(),
        enterprise=enterprise,
        lead_unit=unit_a,
        mode="on_site",
        summary="首次走访",
        requests=[{"category": category, "title": "用地指标", "urgency": "normal", "handling_unit": unit_a}],
    )
    sessions = {}
    for user in (staff_a, colleague_a, leader):
        client = Client()
        client.force_login(user)
        sessions[user.username] = client.cookies["sessionid"].value
    print(
        json.dumps(
            {
                "unit_a": unit_a.pk,
                "enterprise": enterprise.pk,
                "category": category.pk,
                "sessions": sessions,
            }
        )
    )
