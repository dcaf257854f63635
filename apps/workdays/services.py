"""Writes to the working-day calendar: one day from the year grid, or a year's whole notice.

Each returns the days whose kind changed (a renamed holiday moves no deadline). This app sits below the
requests, so it cannot recompute their deadlines itself: the caller that may reach them
(apps.workbench.workdays) does, in the same transaction, with the days returned here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from .calendar import clear_cache
from .models import CalendarDay, CalendarYear
from .names import imported_text
from .notice import Notice

CHANGE_PERMISSION = "workdays.change_calendarday"


def may_change_calendar(user) -> bool:
    """Admins (Django-admin users who may change the calendar) edit it; nobody else."""
    return user.is_active and user.is_staff and user.has_perm(CHANGE_PERMISSION)


def _lock_year(year: int) -> None:
    """Serialise writes to one year's calendar (two admins clicking the same new day, or a notice applied
    while a day is clicked) until the transaction ends; a row lock cannot hold a day not stored yet."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('workdays.calendar'), %s)", [year])


def _clean_text(value: str, field: str) -> str:
    """As posted: stripped, at most what the column holds, no NUL byte (PostgreSQL refuses it)."""
    max_length = (CalendarYear if field == "source" else CalendarDay)._meta.get_field(field).max_length
    return forms.CharField(max_length=max_length, required=False).clean(value)


@transaction.atomic
def calendar_day_toggle(*, day: date, name: str = "", by) -> list[date]:
    """Cycle one day through its two possible states: a weekday between working day and public holiday, a
    Saturday or Sunday between day off and make-up working day (调休上班); either named `name` (a make-up
    day carries its holiday's name, as the official schedules do)."""
    if not may_change_calendar(by):
        raise PermissionDenied
    name = _clean_text(name, "name")
    _lock_year(day.year)
    existing = CalendarDay.objects.filter(date=day).first()
    if existing is not None:
        existing.delete()
    else:
        weekend = day.weekday() >= 5
        kind = CalendarDay.Kind.WORKDAY if weekend else CalendarDay.Kind.HOLIDAY
        entry = CalendarDay(date=day, kind=kind, name=name)
        entry.full_clean()
        entry.save()
    transaction.on_commit(clear_cache)
    return [day]


@dataclass(frozen=True)
class DayChange:
    date: date
    before: CalendarDay | None
    kind: str | None  # None: back to the Monday–Friday rule
    name: str

    @property
    def before_name(self) -> str:
        return imported_text(self.before.name) if self.before else ""

    @property
    def moves_deadlines(self) -> bool:
        return (self.before.kind if self.before else None) != self.kind


def notice_changes(*, notice: Notice, year: int) -> list[DayChange]:
    """What applying `notice` to `year` would change, day by day (the preview and the write share it): the
    notice is the year's whole schedule, so a stored day it does not name goes back to the rule."""
    wanted = notice.schedule()
    stored = {entry.date: entry for entry in CalendarDay.objects.filter(date__year=year)}
    changes = []
    for day in sorted(set(wanted) | set(stored)):
        before = stored.get(day)
        kind, name = wanted.get(day, (None, ""))
        if before is None or (before.kind, before.name) != (kind, name):
            changes.append(DayChange(date=day, before=before, kind=kind, name=name))
    return changes


@transaction.atomic
def calendar_notice_apply(*, notice: Notice, year: int, source: str, entered: bool, by) -> list[date]:
    """Make `year`'s stored schedule the notice's, and record its source and whether the year's schedule
    is complete ("schedule entered"). All or nothing: a notice with errors saves nothing."""
    if not may_change_calendar(by):
        raise PermissionDenied
    if notice.errors:
        raise ValidationError(notice.errors)
    source = _clean_text(source, "source")
    _lock_year(year)
    changes = notice_changes(notice=notice, year=year)
    CalendarDay.objects.filter(pk__in=[c.before.pk for c in changes if c.before is not None]).delete()
    entries = [CalendarDay(date=c.date, kind=c.kind, name=c.name) for c in changes if c.kind is not None]
    for entry in entries:
        entry.full_clean(validate_unique=False)
    CalendarDay.objects.bulk_create(entries)
    CalendarYear.objects.update_or_create(year=year, defaults={"source": source, "is_published": entered})
    transaction.on_commit(clear_cache)
    return [c.date for c in changes if c.moves_deadlines]
