"""A year of the calendar as twelve month grids (Monday first), each day with its kind: what the admin's
year page draws. One query for the year's stored days."""

from __future__ import annotations

import calendar as stdlib_calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _

from .models import CalendarDay, CalendarYear
from .names import imported_text

WORKDAY, WEEKEND, HOLIDAY, MAKEUP = "workday", "weekend", "holiday", "makeup"
KIND_LABELS = {
    WORKDAY: _("working day"),
    WEEKEND: _("weekend"),
    HOLIDAY: _("public holiday"),
    MAKEUP: _("make-up working day"),
}


@dataclass
class GridDay:
    date: date
    kind: str  # WORKDAY, WEEKEND, HOLIDAY or MAKEUP
    name: str = ""  # a holiday's name; for a weekend day inside a holiday break, the break's
    is_today: bool = False

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def is_off(self) -> bool:
        return self.kind in (WEEKEND, HOLIDAY)

    @property
    def in_break(self) -> bool:
        """A Saturday or Sunday that is part of a holiday break (e.g. 10–11 Feb 2024 in the Spring
        Festival's 10–17 Feb)."""
        return self.kind == WEEKEND and bool(self.name)


@dataclass
class GridMonth:
    first: date
    weeks: list[list[GridDay | None]]  # Monday to Sunday; None outside the month


@dataclass
class YearGrid:
    year: int
    months: list[GridMonth]
    entry: CalendarYear | None  # source and "schedule entered"
    counts: dict[str, int]

    @property
    def workdays(self) -> int:
        return self.counts[WORKDAY] + self.counts[MAKEUP]

    @property
    def source(self) -> str:
        return imported_text(self.entry.source) if self.entry else ""

    def day(self, on: date) -> GridDay:
        for week in self.months[on.month - 1].weeks:
            for cell in week:
                if cell is not None and cell.date == on:
                    return cell
        raise KeyError(on)


def year_grid(year: int, *, today: date) -> YearGrid:
    stored = {entry.date: entry for entry in CalendarDay.objects.filter(date__year=year)}
    days: dict[date, GridDay] = {}
    day = date(year, 1, 1)
    while day.year == year:
        entry = stored.get(day)
        if entry is None:
            kind, name = (WEEKEND if day.weekday() >= 5 else WORKDAY), ""
        else:
            kind = HOLIDAY if entry.kind == CalendarDay.Kind.HOLIDAY else MAKEUP
            name = imported_text(entry.name)
        days[day] = GridDay(date=day, kind=kind, name=name, is_today=day == today)
        day += timedelta(days=1)
    _name_breaks(days)
    months = []
    for month in range(1, 13):
        weeks = [
            [days[d] if d.month == month else None for d in week]
            for week in stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        ]
        months.append(GridMonth(first=date(year, month, 1), weeks=weeks))
    counts = {
        kind: sum(1 for d in days.values() if d.kind == kind) for kind in (WORKDAY, WEEKEND, HOLIDAY, MAKEUP)
    }
    return YearGrid(
        year=year, months=months, entry=CalendarYear.objects.filter(year=year).first(), counts=counts
    )


def _name_breaks(days: dict[date, GridDay]) -> None:
    """Give the weekend days of a holiday break the break's name: a run of days off that holds a public
    holiday is one break, as the notice announces it (春节: 2月10日至17日放假调休，共8天)."""
    run: list[GridDay] = []
    for cell in [*days.values(), None]:
        if cell is not None and cell.is_off:
            run.append(cell)
            continue
        names = [d.name for d in run if d.kind == HOLIDAY and d.name]
        if names:
            for d in run:
                if d.kind == WEEKEND:
                    d.name = names[0]
        run = []
