"""Writes to the enterprise record. Views and the importer call these; nothing else saves an enterprise."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import QuerySet

from apps.core import monthset
from apps.core.locking import check_version
from apps.units.models import Unit

from .credit_code import normalize
from .models import Enterprise, EnterpriseCoverage, Tag

EDITABLE_FIELDS = ["name", "credit_code", "address", "unit", "industry", "size", "is_key", "founded_on"]


def can_edit_unit(user, unit_id: int | None) -> bool:
    """May `user` edit enterprises whose responsible unit is `unit_id`?"""
    if not user.has_perm("enterprises.change_enterprise"):
        return False
    return user.has_perm("enterprises.change_any_enterprise") or (
        unit_id is not None and unit_id == user.unit_id
    )


@transaction.atomic
def enterprise_create(
    *,
    by,
    name: str,
    credit_code: str,
    unit: Unit,
    industry: str,
    size: str,
    is_key: bool = False,
    address: str = "",
    founded_on: date | None = None,
    tags: Iterable[Tag] = (),
) -> Enterprise:
    if not by.has_perm("enterprises.add_enterprise") or not can_edit_unit(by, unit.pk):
        raise PermissionDenied
    enterprise = Enterprise(
        name=name.strip(),
        credit_code=normalize(credit_code),
        unit=unit,
        industry=industry,
        size=size,
        is_key=is_key,
        address=address.strip(),
        founded_on=founded_on,
    )
    enterprise.full_clean()
    enterprise.save()
    enterprise.tags.set(tags)
    coverage_sync(enterprises=[enterprise])
    return enterprise


@transaction.atomic
def enterprise_update(
    *,
    enterprise: Enterprise,
    by,
    tags: Iterable[Tag] | None = None,
    expected_version: int | None = None,
    related_changed: bool = False,
    **changes,
) -> Enterprise:
    """Change the given fields; the user must be allowed to edit both the old and the new unit.

    Compares with the stored row, locked, not with `enterprise`'s attributes: a ModelForm bound to the
    same instance has already copied the new values onto it, unit included. `expected_version` is the
    version the user's form was loaded with (EditConflict if the record has changed since). Any change
    — fields, tags, or rows of the record the caller saves in the same transaction (`related_changed`:
    its contacts) — counts as a new version.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    enterprise = (
        Enterprise.objects.select_for_update(of=("self",)).select_related("unit").get(pk=enterprise.pk)
    )
    new_unit = changes.get("unit", enterprise.unit)
    if not can_edit_unit(by, enterprise.unit_id) or not can_edit_unit(by, new_unit.pk):
        raise PermissionDenied
    check_version(enterprise, expected_version)
    if "credit_code" in changes:
        changes["credit_code"] = normalize(changes["credit_code"])
    changed = [name for name, value in changes.items() if getattr(enterprise, name) != value]
    for name in changed:
        setattr(enterprise, name, changes[name])
    enterprise.full_clean()
    tags = None if tags is None else list(tags)
    tags_changed = tags is not None and {t.pk for t in tags} != set(
        enterprise.tags.values_list("pk", flat=True)
    )
    if changed or tags_changed or related_changed:
        enterprise.version += 1  # the row is locked: no lost update
        enterprise.save(update_fields=[*changed, "version", "updated_at"])
    if tags_changed:
        enterprise.tags.set(tags)
    if {"unit", "is_key"} & set(changed):
        coverage_sync(enterprises=[enterprise])
    return enterprise


def coverage_sync(*, enterprises: Iterable[Enterprise]) -> None:
    """Copy the unit and key flag of `enterprises` (created or changed) to their coverage rows, creating the
    rows of new ones; their visited months stay."""
    rows = [EnterpriseCoverage(enterprise=e, unit_id=e.unit_id, is_key=e.is_key) for e in enterprises]
    EnterpriseCoverage.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["enterprise"],
        update_fields=["unit", "is_key"],
        batch_size=2000,
    )


def enterprise_visited(*, enterprise_id: int, on: date) -> None:
    """Campaign 1 logged a visit to the enterprise on `on`: mark that month on its record (nothing to do when
    the month is already marked). Visits are never moved or deleted, so a month is never unmarked."""
    with connection.cursor() as cursor:
        cursor.execute(
            monthset.add_month_sql(EnterpriseCoverage._meta.db_table, "months", key="enterprise_id"),
            {"i": monthset.month_index(on), "id": enterprise_id},
        )


def coverage_rebuild(visits: QuerySet) -> None:
    """Every enterprise's coverage row from scratch: its unit and key flag, and its visited months from
    `visits` (rows with `enterprise_id` and `visited_on`: all the visits there are), as the services would
    have kept them one by one. For rebuilds and bulk loads."""
    table = EnterpriseCoverage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608  (a model's table name)
        cursor.execute(
            f"INSERT INTO {table} (enterprise_id, unit_id, is_key, months) "  # noqa: S608
            f"SELECT id, unit_id, is_key, B'' FROM {Enterprise._meta.db_table}"
        )
    monthset.rebuild(table, "months", visits, owner="enterprise_id", day="visited_on", key="enterprise_id")
