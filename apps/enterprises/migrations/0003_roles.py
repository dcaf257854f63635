# Data migration: the enterprise permissions of each role.
from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, revoke_app_permissions, sync_role_permissions

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
    revoke_app_permissions(apps, "enterprises")


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0002_initial"),
        ("accounts", "0002_roles"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
