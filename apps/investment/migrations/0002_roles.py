# Data migration: the investment permissions of each role.
from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, revoke_app_permissions, sync_role_permissions

_STAFF = [
    "investment.view_lead",
    "investment.add_lead",
    "investment.change_lead",
    "investment.view_trip",
    "investment.add_trip",
]

ROLE_PERMISSIONS = {STAFF: _STAFF, UNIT_MANAGER: _STAFF, LEADER: _STAFF}


def forwards(apps, schema_editor):
    sync_role_permissions(apps, ROLE_PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_app_permissions(apps, "investment")


class Migration(migrations.Migration):
    dependencies = [("investment", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
