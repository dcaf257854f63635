"""Django's model backend with the signed-in user loaded with their unit (every page shows it) and their
permissions (their own and their roles'), all in the one query that reads the user: two queries less on
every page than Django's backend, and a round trip less than reading the permissions apart (~1 ms of every
signed-in page at province scale: its planning and its trip). The question is composed once per process and
asked with each user's id: the ORM spent longer composing it on every page than PostgreSQL spent answering
it. It is prepared on each connection (apps.core.prepared), the user's id its parameter: PostgreSQL planned
it on every page (0.3 of its 0.5 ms at province scale)."""

import functools

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import CharField, OuterRef, Q, Value
from django.db.models.functions import Concat

from apps.core import prepared
from apps.core.prepared import Late

# A user id no row has, standing for the user in the questions composed once (`_user_sql`, `_permissions_sql`)
ANYONE = -2_000_000_001


class OneQueryModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = _read_user(user_id)
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


def _permission_names(user_id):
    """The "app_label.codename" of the permissions of a user (an id, or a reference to an outer query's):
    their own and their roles'."""
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


def _ask(db: str, sql: str, params: tuple, user_id: int) -> list[tuple]:
    """The rows a question composed for ANYONE answers for `user_id` (prepared on each connection, the
    user a parameter of it: planned once, not on every page)."""
    with connections[db].cursor() as cursor:
        prepared.execute(cursor, sql, [Late(user_id, "bigint") if p == ANYONE else p for p in params])
        return cursor.fetchall()


def _read_permissions(user_id: int) -> set[str]:
    sql, params = _permissions_sql()
    return {name for (name,) in _ask(Permission.objects.db, sql, params, user_id)}


@functools.cache
def _user_sql() -> tuple[str, tuple, list[str], list[str]]:
    """The signed-in user's row with their unit's (every page shows it), for any user (ANYONE stands for
    them), composed once per process: the SQL, its parameters, the user's and the unit's columns."""
    user_model = get_user_model()
    unit_model = user_model._meta.get_field("unit").related_model
    mine = [f.attname for f in user_model._meta.concrete_fields]
    units = [f.attname for f in unit_model._meta.concrete_fields]
    rows = user_model._default_manager.filter(pk=ANYONE).order_by()
    # their permissions, as _permission_names reads them: the user is the outer query's outer query there
    names = ArraySubquery(_permission_names(OuterRef(OuterRef("pk"))))
    rows = rows.annotate(permission_names=names)
    rows = rows.values_list(*mine, *(f"unit__{c}" for c in units), "permission_names")
    sql, params = rows.query.sql_with_params()
    return sql, tuple(params), mine, units


def _read_user(user_id):
    """The user `user_id` with their unit, as select_related("unit") gives them, and their permissions as
    get_all_permissions would read them; None when there is none."""
    sql, params, mine, units = _user_sql()
    user_model = get_user_model()
    db = user_model._default_manager.db
    found = _ask(db, sql, params, user_id)
    if not found:
        return None
    *row, permission_names = found[0]
    user = user_model.from_db(db, mine, row[: len(mine)])
    unit_field, unit = user_model._meta.get_field("unit"), None
    if row[len(mine)] is not None:  # a leader or an admin may belong to no unit
        unit = unit_field.related_model.from_db(db, units, row[len(mine) :])
    unit_field.set_cached_value(user, unit)
    if user.is_active and not user.is_superuser:  # a superuser has every permission, read when asked
        user._perm_cache = set(permission_names)
    return user
