# Data migration: the enterprise permissions of each role.
from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, sync_role_permissions

_STAFF = [
    "enterprises.view_enterprise",
    "enterprises.add_enterprise",
    "enterprises.change_enterprise",
    "enterprises.view_tag",
    "enterprises.view_contact",
    "enterprises.add_contact",
    "enterprises.change_contact",
    "enterprises.delete_contact",
]

ROLE_PERMISSIONS = {
    STAFF: _STAFF,
    UNIT_MANAGER: _STAFF,
    LEADER: [*_STAFF, "enterprises.change_any_enterprise"],
}


def forwards(apps, schema_editor):
    sync_role_permissions(apps, ROLE_PERMISSIONS)


def backwards(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.all():
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="enterprises"))


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0002_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
