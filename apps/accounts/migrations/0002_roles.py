# Data migration: the four role groups and this app's permissions for them.
from django.db import migrations

from apps.accounts.roles import ACCOUNTS_ROLE_PERMISSIONS, sync_role_permissions


def forwards(apps, schema_editor):
    sync_role_permissions(apps, ACCOUNTS_ROLE_PERMISSIONS)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["staff", "unit manager", "leader", "admin"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("units", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
