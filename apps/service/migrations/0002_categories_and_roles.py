# Data migration: the seeded request categories with their default limits, and this app's role permissions.
from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, revoke_app_permissions, sync_role_permissions

# (name, first contact within, close within) in working days
CATEGORIES = [
    ("人才安居", 1, 10),
    ("招聘用工", 1, 10),
    ("金融上市", 1, 15),
    ("用地空间", 2, 25),
    ("审批许可", 1, 10),
    ("政策兑现", 1, 10),
    ("基础设施与水电气", 1, 15),
    ("市场订单", 1, 10),
    ("其他", 1, 10),
]

_STAFF = [
    "service.view_visit",
    "service.add_visit",
    "service.view_request",
    "service.add_request",
    "service.handle_request",
    "service.view_jointaction",
    "service.add_jointaction",
    "service.view_category",
]

ROLE_PERMISSIONS = {
    STAFF: _STAFF,
    UNIT_MANAGER: [*_STAFF, "service.dispatch_request", "service.add_visitassignment"],
    LEADER: [*_STAFF, "service.dispatch_request"],
}


def forwards(apps, schema_editor):
    Category = apps.get_model("service", "Category")
    for order, (name, contact, close) in enumerate(CATEGORIES, start=1):
        Category.objects.get_or_create(
            name=name, defaults={"contact_days": contact, "close_days": close, "sort_order": order * 10}
        )
    sync_role_permissions(apps, ROLE_PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_app_permissions(apps, "service")


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0001_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
