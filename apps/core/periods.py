"""Calendar arithmetic every campaign's figures share: months, days in Asia/Shanghai, and how a span splits
into whole months (read from a campaign's monthly roll-ups) and at most two partial edge months (read from
the records), so that no figure aggregates more than a month of raw rows whatever its span.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


def is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def months_between(first: date, last: date) -> list[date]:
    """The first days of every month from `first`'s month to `last`'s, inclusive."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def start_of_day(day: date) -> datetime:
    """Midnight at the start of `day`, Asia/Shanghai."""
    return timezone.make_aware(datetime.combine(day, time.min))


def end_of_period(end: date) -> datetime:
    """The first instant after the period's last day, Asia/Shanghai."""
    return start_of_day(end + timedelta(days=1))


def local_month(moment: datetime | None) -> date | None:
    """The first day of the Asia/Shanghai month `moment` falls in (23:59:59 on the 31st counts in it)."""
    return None if moment is None else month_start(timezone.localdate(moment))


def split(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The partial edge months of [start, end] (read raw) and its whole months (first days, inclusive)."""
    first = start if start.day == 1 else next_month(start)
    last_end = end if is_month_end(end) else month_start(end) - timedelta(days=1)
    if first > last_end:
        return [(start, end)], None
    edges = []
    if start < first:
        edges.append((start, first - timedelta(days=1)))
    if last_end < end:
        edges.append((last_end + timedelta(days=1), end))
    return edges, (first, month_start(last_end))


def live_end(end: date) -> date:
    """A period that ends today (or later) in the current month reads that month from the roll-up: nothing is
    received, closed or visited after today, so the month so far *is* the whole month — month-to-date figures
    then read no raw row either. (Not for deadlines, which fall in the future.)"""
    today = timezone.localdate()
    if end >= today and month_start(end) == month_start(today):
        return month_end(end)
    return end


def date_ranges(field: str, ranges: Iterable[tuple[date, date]]) -> Q:
    """`field` (a date) within any of `ranges` (inclusive)."""
    q = Q(pk__in=[])
    for a, b in ranges:
        q |= Q(**{f"{field}__gte": a, f"{field}__lte": b})
    return q


def time_ranges(field: str, ranges: Iterable[tuple[date, date]]) -> Q:
    """`field` (a moment) within any of `ranges` of Asia/Shanghai days (inclusive)."""
    q = Q(pk__in=[])
    for a, b in ranges:
        q |= Q(**{f"{field}__gte": start_of_day(a), f"{field}__lt": end_of_period(b)})
    return q
