# Data migration: the project permissions of each role.
from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, revoke_app_permissions, sync_role_permissions

_STAFF = [
    "projects.view_project",
    "projects.add_project",
    "projects.change_project",
    "projects.report_investment",
    "projects.view_yearplan",
    "projects.view_monthlyreport",
]

ROLE_PERMISSIONS = {STAFF: _STAFF, UNIT_MANAGER: _STAFF, LEADER: _STAFF}


def forwards(apps, schema_editor):
    sync_role_permissions(apps, ROLE_PERMISSIONS)


def backwards(apps, schema_editor):
    revoke_app_permissions(apps, "projects")


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
