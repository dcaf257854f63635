"""The clocks of a request, derived from its event history alone.

Rules (all in working days of the official calendar, see apps.workdays):
- acknowledge by the end of the working day of dispatch (事不过夜; end of day = WORKDAY_END); dispatched
  after that time or on a day off → by the end of the next working day;
- a limit of N working days ends at the end of the N-th working day after the dispatch day;
- first-contact and closure limits come from the category, shortened by urgency (URGENCY_FACTOR);
- a transfer restarts every clock for the new unit; a reopen restarts the closure clock;
- working days spent paused (挂起) do not count; approved extensions move the closure deadline.
Re-running `compute` over stored events after a calendar change gives the corrected deadlines.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from apps.workdays.calendar import WorkCalendar, end_of, workday_end

URGENCY_FACTOR = {"normal": Decimal(1), "urgent": Decimal("0.5"), "critical": Decimal("0.2")}


def effective_days(days: int, urgency: str) -> int:
    """A category limit shortened by urgency, never below one working day."""
    return max(1, math.ceil(days * URGENCY_FACTOR.get(urgency, Decimal(1))))


def ack_deadline(dispatched_at: datetime, calendar: WorkCalendar) -> datetime:
    local = timezone.localtime(dispatched_at)
    day = local.date()
    hour, minute = workday_end()
    if calendar.is_workday(day) and (local.hour, local.minute) < (hour, minute):
        return end_of(day)
    return end_of(calendar.next_workday(day))


@dataclass
class Clocks:
    dispatched_at: datetime | None = None
    ack_due: datetime | None = None
    acknowledged_at: datetime | None = None
    contact_due: datetime | None = None
    first_contact_at: datetime | None = None
    close_due: datetime | None = None
    closed_at: datetime | None = None
    feedback_at: datetime | None = None
    ack_on_time: bool | None = None
    closed_on_time: bool | None = None
    workdays_to_close: int | None = None

    FIELDS = (
        "dispatched_at",
        "ack_due",
        "acknowledged_at",
        "contact_due",
        "first_contact_at",
        "close_due",
        "closed_at",
        "feedback_at",
        "ack_on_time",
        "closed_on_time",
        "workdays_to_close",
    )


def compute(
    *, events, contact_days: int, close_days: int, urgency: str, received_on: date, calendar
) -> Clocks:
    """Replay `events` (objects with .action, .at, .data, in order) into the request's clocks."""
    c = Clocks()
    close_base: date | None = None  # the day the closure clock (re)started
    extra_days = 0  # approved extensions + working days paused, for the current closure clock
    paused_since: date | None = None
    for event in events:
        action, at = event.action, event.at
        day = timezone.localdate(at)
        if action in ("dispatch", "transfer"):
            c.dispatched_at, c.acknowledged_at, c.first_contact_at, c.closed_at = at, None, None, None
            close_base, extra_days, paused_since = day, 0, None
        elif action == "return":
            c.dispatched_at = c.acknowledged_at = c.first_contact_at = None
            close_base = None
        elif action == "acknowledge" and c.acknowledged_at is None:
            c.acknowledged_at = at
        elif action == "contact" and c.first_contact_at is None:
            c.first_contact_at = at
        elif action == "pause":
            paused_since = day
        elif action == "resume" and paused_since is not None:
            extra_days += calendar.workdays_between(paused_since, day)
            paused_since = None
        elif action == "extend_approve":
            extra_days += int(event.data.get("days", 0))
        elif action == "close":
            c.closed_at = at
        elif action == "reopen":
            c.closed_at, c.feedback_at = None, None
            close_base, extra_days = day, 0
        elif action == "confirm":
            c.feedback_at = at

    if c.dispatched_at is not None:
        c.ack_due = ack_deadline(c.dispatched_at, calendar)
        dispatch_day = timezone.localdate(c.dispatched_at)
        c.contact_due = end_of(calendar.add_workdays(dispatch_day, effective_days(contact_days, urgency)))
        c.ack_on_time = c.acknowledged_at is not None and c.acknowledged_at <= c.ack_due
    if close_base is not None:
        c.close_due = end_of(
            calendar.add_workdays(close_base, effective_days(close_days, urgency) + extra_days)
        )
    if c.closed_at is not None:
        c.closed_on_time = c.close_due is not None and c.closed_at <= c.close_due
        closed_day = timezone.localdate(c.closed_at)
        c.workdays_to_close = calendar.workdays_between(received_on, closed_day)
    return c


def calendar_change_window(days: Iterable[date], *, today: date) -> Q:
    """The requests (a filter on their clock fields) whose clocks a change of the calendar on `days` can
    move. A request's clocks read the calendar from its dispatch day (`dispatched_at`: the last dispatch
    or transfer; a reopen restarts later) to its latest deadline, and, for the working days spent paused,
    up to today. So a changed day D matters to a request dispatched on or before D whose latest deadline
    is on or after D — or to any request dispatched on or before D when D is not after today. Requests
    without a dispatch (new, returned) have no deadline and never match."""

    def start_of(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    window = Q(pk__in=[])
    for first, last in _runs(sorted(set(days))):
        dispatched = Q(dispatched_at__lt=start_of(last + timedelta(days=1)))
        if first > today:
            since = start_of(first)
            dispatched &= Q(ack_due__gte=since) | Q(contact_due__gte=since) | Q(close_due__gte=since)
        window |= dispatched
    return window


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) ranges: [1, 2, 3, 7 Feb] → [(1, 3), (7, 7)]."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
