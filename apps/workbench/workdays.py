"""Changes of the working-day calendar with their consequence: the deadlines of the open requests they move.

Why here, at the top: apps.workdays sits below every campaign and may not know that requests exist, and the
requests' clocks (apps.service) read the calendar but do not write it. Only an app above both may save a
day and then recompute what it moves — in one transaction, one explicit path, no signal. The recompute is
`requests_recompute_clocks`, the function `manage.py recompute_clocks` runs, over the open requests whose
clock windows hold a changed day (apps.service.clocks.calendar_change_window).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from apps.service import clocks
from apps.service.models import Request
from apps.service.services import requests_recompute_clocks
from apps.workdays import services as workdays_services
from apps.workdays.calendar import load_calendar
from apps.workdays.notice import Notice


@dataclass(frozen=True)
class Saved:
    days: list[date]  # the days whose kind changed
    recomputed: int  # open requests whose deadlines moved


def affected_requests(days: list[date]):
    """The open requests whose clocks a change on `days` can move (the preview counts them too)."""
    if not days:
        return Request.objects.none()
    window = clocks.calendar_change_window(days, today=timezone.localdate())
    return Request.objects.open().filter(window)


def _recompute(days: list[date]) -> int:
    # The calendar as this transaction now holds it (the cached one is cleared only after the commit).
    return requests_recompute_clocks(requests=affected_requests(days), calendar=load_calendar())


@transaction.atomic
def calendar_day_change(*, day: date, name: str = "", by) -> Saved:
    """Cycle one day of the year grid (see workdays.services.calendar_day_toggle), then recompute."""
    days = workdays_services.calendar_day_toggle(day=day, name=name, by=by)
    return Saved(days=days, recomputed=_recompute(days))


@transaction.atomic
def calendar_notice_enter(*, notice: Notice, year: int, source: str, entered: bool, by) -> Saved:
    """Make a year's schedule the official notice's (workdays.services.calendar_notice_apply), then
    recompute."""
    days = workdays_services.calendar_notice_apply(
        notice=notice, year=year, source=source, entered=entered, by=by
    )
    return Saved(days=days, recomputed=_recompute(days))
