"""Campaign 1's background jobs: the morning reminders, and the requests sheet (registered for large exports).

The reminders run at 08:30 Asia/Shanghai on the working days of the official calendar (apps/workdays: a
holiday is skipped, a make-up working day 调休 on a weekend is not), from the worker's schedule;
`manage.py send_reminders` sends them at once, whatever the day.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, time, timedelta

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.jobs import job, periodic
from apps.workdays.calendar import get_calendar

from . import exports  # noqa: F401 (registers the requests sheet for export jobs)
from .models import Notification, Request, Status
from .services import notifications_send, reminders_notify

logger = logging.getLogger("jianbei.jobs")


def is_working_day(day: date) -> bool:
    return get_calendar().is_workday(day)


@job(max_attempts=3, backoff=timedelta(minutes=5))
def reminders_send(*, working_days_only: bool = True) -> int:
    """Remind each handler of their items due today and overdue, and each manager of the unit's overdue
    items, through the channels each chose (e-mail, the unit's group robot); add an unread notification per
    overdue item. Returns the people reminded (0 on a day off when working_days_only). A retried run may
    remind again those it reached before the failure."""
    now = timezone.now()
    today = timezone.localdate(now)
    if working_days_only and not is_working_day(today):
        logger.info("Reminders: %s is not a working day; nothing sent", today.isoformat())
        return 0
    with translation.override("zh-hans"):
        return _send(now, today)


periodic(reminders_send, at=time(8, 30), days=is_working_day, name="service.reminders")


def _send(now, today) -> int:
    active = (
        Request.objects.open()
        .exclude(status=Status.PAUSED)
        .filter(close_due__isnull=False)
        .select_related("enterprise", "handler", "handling_unit")
    )
    overdue = [r for r in active if r.close_due < now]
    due_today = [r for r in active if r.close_due >= now and timezone.localdate(r.close_due) == today]
    by_handler = defaultdict(lambda: {"overdue": [], "due_today": []})
    for r in overdue:
        if r.handler_id:
            by_handler[r.handler]["overdue"].append(r)
    for r in due_today:
        if r.handler_id:
            by_handler[r.handler]["due_today"].append(r)
    by_unit = defaultdict(list)
    for r in overdue:
        by_unit[r.handling_unit_id].append(r)
    managers = User.objects.filter(
        is_active=True, unit_id__in=by_unit, groups__permissions__codename="manage_unit"
    ).distinct()

    handlers = {user: items for user, items in by_handler.items() if user.is_active}
    notifications = [
        Notification(
            user=user, request=r, message=_("Overdue: %(title)s") % {"title": r.title}, created_at=now
        )
        for user, items in handlers.items()
        for r in items["overdue"]
    ]
    notifications_send(notifications)
    # e-mail and the unit's group robot, as each person chose (apps.messaging: its delivery log, its retries)
    reminders_notify(handlers=handlers, managers={manager: by_unit[manager.unit_id] for manager in managers})
    return len(handlers) + len(managers)
