"""Django's model backend with the user's permissions (their own and their roles') read in one query instead
of two, that query composed once per process, and the signed-in user loaded with their unit (every page
shows it): two queries less on every page."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connections
from django.db.models import CharField, Q, Value
from django.db.models.functions import Concat

# A user id no row has, standing for the user in the permission question composed once (`_permissions_sql`)
ANYONE = -2_000_000_001


class OneQueryModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = get_user_model()._default_manager.select_related("unit").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                names = set(
                    Permission.objects.annotate(full_name=_full_name()).values_list("full_name", flat=True)
                )
            else:
                names = _read_permissions(user_obj.pk)
            user_obj._perm_cache = names
        return user_obj._perm_cache


def _full_name():
    return Concat("content_type__app_label", Value("."), "codename", output_field=CharField())


def _permission_names(user_id: int):
    """The "app_label.codename" of the permissions of a user: their own and their roles'."""
    own = get_user_model().user_permissions.through.objects.filter(user_id=user_id)
    of_roles = Group.permissions.through.objects.filter(group__user=user_id)
    return (
        Permission.objects.filter(
            Q(pk__in=own.values("permission_id")) | Q(pk__in=of_roles.values("permission_id"))
        )
        .annotate(full_name=_full_name())
        .order_by()
        .values_list("full_name", flat=True)
    )


@functools.cache
def _permissions_sql() -> tuple[str, tuple]:
    """The SQL of `_permission_names` for any user (ANYONE stands for them), composed once per process: the
    ORM spent longer composing it on every page than PostgreSQL spent answering it."""
    sql, params = _permission_names(ANYONE).query.sql_with_params()
    return sql, tuple(params)


def _read_permissions(user_id: int) -> set[str]:
    sql, params = _permissions_sql()
    with connections[Permission.objects.db].cursor() as cursor:
        cursor.execute(sql, [user_id if p == ANYONE else p for p in params])
        return {name for (name,) in cursor.fetchall()}
