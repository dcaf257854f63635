"""A year's official notice (国务院办公厅关于节假日安排的通知) typed in as date ranges, one per line.

    2027-01-01~2027-01-03 元旦          a holiday break: its weekdays become public holidays
    2027-02-06~2027-02-12 春节
    2027-02-14 班                       a make-up working day (调休上班): a name ending in 班, or 调休
    2027-02-20 春节 班                  a make-up working day named after its holiday
    # a comment

Ranges take `~`, `～`, `至` or `到` between the dates; full-width digits and punctuation are read as their
ASCII forms. Only exceptions to Monday–Friday are stored (see models.py): the weekend days inside a holiday
break are already days off, so a break that falls on a weekend only is refused, as is a make-up day on a
weekday. Every line is checked, and the first error stops nothing else from being reported: the whole
notice is either valid or not saved at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from .models import CalendarDay

# A line whose name is one of these, or ends in 班 (上班, 补班, 春节调休上班), is a make-up working day.
WORKDAY_WORDS = {"调休", "workday"}
MAX_DAYS_IN_A_LINE = 31

_DATE = r"(\d{4})-(\d{1,2})-(\d{1,2})"
_LINE = re.compile(rf"^{_DATE}(?:\s*(?:~|至|到)\s*{_DATE})?(?:\s+(.*))?$")
_WORKDAY_SUFFIX = re.compile(r"(调休上班|调休|上班|补班|班)$")
_NAME_MAX = CalendarDay._meta.get_field("name").max_length


@dataclass(frozen=True)
class NoticeLine:
    number: int
    start: date
    end: date
    kind: str  # CalendarDay.Kind
    name: str

    def days(self) -> list[date]:
        """The days this line stores: the weekdays of a holiday break, the weekend days of a make-up line."""
        span = [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]
        weekend = self.kind == CalendarDay.Kind.WORKDAY
        return [day for day in span if (day.weekday() >= 5) == weekend]


@dataclass
class Notice:
    lines: list[NoticeLine]
    errors: list[str]

    def schedule(self) -> dict[date, tuple[str, str]]:
        """Every stored day of the notice: date → (kind, name)."""
        return {day: (line.kind, line.name) for line in self.lines for day in line.days()}


def _date(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def notice_parse(text: str, *, year: int) -> Notice:
    """Read the notice of `year`; `errors` names every bad line by its number (nothing is saved then)."""
    lines, errors = [], []
    text = unicodedata.normalize("NFKC", text or "").replace("\x00", "")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append(
                _("Line %(line)d: “%(text)s” is not “YYYY-MM-DD~YYYY-MM-DD name” or “YYYY-MM-DD 班”.")
                % {"line": number, "text": line[:60]}
            )
            continue
        groups = match.groups()
        start = _date(*groups[0:3])
        end = _date(*groups[3:6]) if groups[3] else start
        name = (groups[6] or "").strip()
        if start is None or end is None:
            bad = "-".join(groups[0:3]) if start is None else "-".join(groups[3:6])
            errors.append(_("Line %(line)d: %(date)s is not a date.") % {"line": number, "date": bad})
            continue
        if end < start:
            errors.append(_("Line %(line)d: the range ends before it starts.") % {"line": number})
            continue
        if start.year != year or end.year != year:
            errors.append(
                _("Line %(line)d: the dates must fall in %(year)d.") % {"line": number, "year": year}
            )
            continue
        if (end - start).days >= MAX_DAYS_IN_A_LINE:
            errors.append(
                _("Line %(line)d: a range may span at most %(days)d days.")
                % {"line": number, "days": MAX_DAYS_IN_A_LINE}
            )
            continue
        workday = name in WORKDAY_WORDS or name.endswith("班")
        kind = CalendarDay.Kind.WORKDAY if workday else CalendarDay.Kind.HOLIDAY
        if workday:  # "春节调休上班", "春节 班": a make-up day of the Spring Festival
            name = "" if name in WORKDAY_WORDS else _WORKDAY_SUFFIX.sub("", name).strip()
        if len(name) > _NAME_MAX:
            errors.append(
                _("Line %(line)d: the name is longer than %(max)d characters.")
                % {"line": number, "max": _NAME_MAX}
            )
            continue
        notice_line = NoticeLine(number=number, start=start, end=end, kind=kind, name=name)
        if not notice_line.days():
            if kind == CalendarDay.Kind.WORKDAY:
                message = _("Line %(line)d: a make-up working day must fall on a Saturday or Sunday.")
            else:
                message = _("Line %(line)d: the holiday falls on a weekend only, which is a day off already.")
            errors.append(message % {"line": number})
            continue
        lines.append(notice_line)
    errors += _overlaps(lines)
    if not lines and not errors:
        errors.append(_("The notice is empty: enter one date or range per line."))
    return Notice(lines=lines, errors=errors)


def _overlaps(lines: list[NoticeLine]) -> list[str]:
    """Each line that starts inside an earlier-starting line's range, named with the line it overlaps."""
    errors, reach = [], None  # reach: of the lines seen so far (by start), the one that ends last
    for line in sorted(lines, key=lambda line: (line.start, line.number)):
        if reach is not None and line.start <= reach.end:
            first, second = sorted([reach.number, line.number])
            errors.append(
                _("Lines %(first)d and %(second)d overlap (%(date)s).")
                % {"first": first, "second": second, "date": line.start.isoformat()}
            )
        if reach is None or line.end > reach.end:
            reach = line
    return errors
