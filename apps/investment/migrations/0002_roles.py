# Data migration: the investment permissions of each role.
from django.db import migrations

from apps.accounts.roles import LEADER, STAFF, UNIT_MANAGER, sync_role_permissions

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
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.all():
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="investment"))


class Migration(migrations.Migration):
    dependencies = [("investment", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(forwards, backwards)]
