"""Periodic jobs: a task enqueued once per slot (a local time of day, on the days a predicate accepts).

The worker calls `enqueue_due()` every few seconds. Each slot is claimed by inserting a `PeriodicRun` row
(unique on schedule and slot) in the same transaction as the enqueued job, so with any number of workers a
slot is enqueued exactly once, and a worker that was down at the slot's time still enqueues it when it comes
back within `catch_up` (default 6 hours; a later start skips that slot and waits for the next one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.tasks import Task
from django.utils import timezone

_LOOK_BACK_DAYS = 40  # the longest run of days a predicate may refuse (the Spring Festival is ~9 days)


@dataclass(frozen=True)
class Schedule:
    name: str
    task: Task
    at: time  # local time of day (TIME_ZONE, Asia/Shanghai)
    days: Callable[[date], bool] | None = None  # None: every day
    catch_up: timedelta = timedelta(hours=6)

    def _slot(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, self.at))

    def _runs_on(self, day: date) -> bool:
        return self.days is None or self.days(day)

    def next_run(self, after: datetime) -> datetime:
        """The first slot strictly after `after`."""
        day = timezone.localdate(after)
        for offset in range(366):
            candidate = day + timedelta(days=offset)
            if self._runs_on(candidate) and self._slot(candidate) > after:
                return self._slot(candidate)
        raise ValueError(f"schedule {self.name!r} has no slot within a year of {after}")

    def last_due(self, now: datetime) -> datetime | None:
        """The latest slot at or before `now` (looking back at most _LOOK_BACK_DAYS)."""
        day = timezone.localdate(now)
        for offset in range(_LOOK_BACK_DAYS):
            candidate = day - timedelta(days=offset)
            if self._runs_on(candidate) and self._slot(candidate) <= now:
                return self._slot(candidate)
        return None


_schedules: dict[str, Schedule] = {}


def periodic(
    task: Task,
    *,
    at: time,
    days: Callable[[date], bool] | None = None,
    name: str = "",
    catch_up: timedelta = timedelta(hours=6),
) -> Schedule:
    """Register `task` (called without arguments) to run every day at `at` local time, or only on the days
    `days(day)` accepts. Call it in the app's tasks.py, at import."""
    schedule = Schedule(name=name or task.module_path, task=task, at=at, days=days, catch_up=catch_up)
    _schedules[schedule.name] = schedule
    return schedule


def schedules() -> list[Schedule]:
    return sorted(_schedules.values(), key=lambda s: s.name)


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every schedule whose latest slot is due, not yet enqueued and within its catch-up window;
    returns the names enqueued."""
    from .models import PeriodicRun

    now = now or timezone.now()
    enqueued = []
    for schedule in schedules():
        slot = schedule.last_due(now)
        if slot is None or now - slot > schedule.catch_up:
            continue
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(name=schedule.name, slot=slot)
                schedule.task.enqueue()
        except IntegrityError:  # another worker (or an earlier tick) claimed this slot
            continue
        enqueued.append(schedule.name)
    return enqueued
