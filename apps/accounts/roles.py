"""The four roles are Django groups; this module names them and lists their permissions.

Code never checks a role's name: it asks for a permission. Each app's data migration grants the
permissions it defines to these groups with `sync_role_permissions`.
"""

from django.utils.translation import pgettext_lazy

STAFF = "staff"
UNIT_MANAGER = "unit manager"
LEADER = "leader"
ADMIN = "admin"

ROLES = [STAFF, UNIT_MANAGER, LEADER, ADMIN]

# A function some users have beside their role (not a role: it is added to one): the call-back checkers of
# the 12345 centre or the supervision office, who call a sample of each month's closures (回访抽查). Its
# permissions are granted by the service app's migration (service.check_callback).
CALLBACK_CHECKER = "call-back checker"

# The group names above are keys kept in the database; people read these labels instead.
LABELS = {
    STAFF: pgettext_lazy("role", "staff"),
    UNIT_MANAGER: pgettext_lazy("role", "unit manager"),
    LEADER: pgettext_lazy("role", "leader"),
    ADMIN: pgettext_lazy("role", "admin"),
    CALLBACK_CHECKER: pgettext_lazy("role", "call-back checker"),
}


def label(group_name: str) -> str:
    """What a role (or any group) is called on a page: its label, else the group's own name."""
    return str(LABELS.get(group_name, group_name))


# The permissions this app grants; each later app grants its own in its own data migration.
ACCOUNTS_ROLE_PERMISSIONS: dict[str, list[str]] = {
    STAFF: ["units.view_unit"],
    UNIT_MANAGER: ["units.view_unit", "accounts.manage_unit"],
    LEADER: ["units.view_unit", "accounts.view_all_units"],
}


def sync_role_permissions(apps, role_permissions: dict[str, list[str]], *, admin_gets_all: bool = True):
    """Create the role groups and grant them permissions. For use inside data migrations.

    ADMIN receives every permission that exists at that point: it runs the Django admin.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    for role, codes in role_permissions.items():
        group = Group.objects.get(name=role)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    if admin_gets_all:
        admin, _ = Group.objects.get_or_create(name=ADMIN)
        admin.permissions.add(*Permission.objects.all())


def revoke_app_permissions(apps, app_label: str) -> None:
    """Reverse of an app's roles migration: take that app's permissions away from every group."""
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.all():
        group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label))
