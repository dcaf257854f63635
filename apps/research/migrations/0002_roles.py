# Data migration: the research permissions of each role.
from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, revoke_app_permissions, sync_role_permissions

_STAFF = [
    "research.view_entity",
    "research.view_result",
    "research.view_carrier",
    "research.view_match",
    "research.change_result",
]

ROLE_PERMISSIONS = {STAFF: _STAFF, UNIT_MANAGER: _STAFF, LEADER: _STAFF}


def forwards(apps, schema_editor):
    sync_role_permissions(apps, ROLE_PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_app_permissions(apps, "research")


class Migration(migrations.Migration):
    dependencies = [("research", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
